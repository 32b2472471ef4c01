from django.core.management.base import BaseCommand, CommandError

from golden_thread.demo import load_demo_data


class Command(BaseCommand):
    help = (
        "Load the demonstration council (Hart District Council's published KPIs in an illustrative "
        "golden thread) into a database with no KPIs, then print the address and the demonstration logins."
    )

    def handle(self, *args, **options):
        try:
            load_demo_data(stdout=self.stdout)
        except FileNotFoundError as error:
            raise CommandError(f"The published scorecard is missing: {error.filename}") from error
