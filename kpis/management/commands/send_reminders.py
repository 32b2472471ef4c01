from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kpis.reminders import send_reminders


class Command(BaseCommand):
    help = "Email KPI owners whose returns are due within --days days or overdue, once per return per stage."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=3, help="Remind about returns due within this many days (default 3)."
        )

    def handle(self, *args, days: int, **options):
        if days < 0:
            raise CommandError("--days cannot be negative: give 0 or more.")
        sent = send_reminders(today=timezone.localdate(), days=days)
        self.stdout.write(f"Sent {sent} reminder email{'s' if sent != 1 else ''}.")
