import time

from django.core.management.base import BaseCommand, CommandError

from pmf.periods import Period
from reporting.synthetic import build_synthetic_council, synthetic_council_exists


class Command(BaseCommand):
    help = (
        "Build a large illustrative council (KPIs, targets, monthly and quarterly values, "
        "and a golden thread of actions) for measuring the portal at scale."
    )

    def add_arguments(self, parser):
        parser.add_argument("--kpis", type=int, default=2000, help="How many KPIs (default 2000).")
        parser.add_argument("--years", type=int, default=10, help="Financial years of values (default 10).")
        parser.add_argument("--actions", type=int, default=10000, help="Actions in the golden thread (default 10000).")
        parser.add_argument("--services", type=int, default=40, help="Services across six directorates (default 40).")
        parser.add_argument(
            "--last-period", default="", help="Last period with values, for example 2025-06 (default: last month)."
        )

    def handle(self, *args, kpis, years, actions, services, last_period, **options):
        if min(kpis, years, services) < 1 or actions < 3:
            raise CommandError("--kpis, --years and --services must be at least 1, and --actions at least 3.")
        if synthetic_council_exists():
            raise CommandError("A synthetic council is already in this database: build it into a fresh one.")
        period = self._last_period(last_period)

        started = time.perf_counter()
        counts = build_synthetic_council(
            kpis=kpis, years=years, actions=actions, services=services, last_period=period
        )
        seconds = time.perf_counter() - started

        self.stdout.write(
            f"Built an illustrative council up to {period.label} in {seconds:.1f} s: "
            f"{counts.directorates} directorates, {counts.services} services, {counts.users} officers, "
            f"{counts.thread_items} thread items ({counts.actions} actions), {counts.kpis} KPIs, "
            f"{counts.targets} targets ({counts.profile_points} profile points), {counts.values} values."
        )

    def _last_period(self, text: str) -> Period:
        if not text:
            return Period.current().previous()
        try:
            return Period.parse(text)
        except ValueError as error:
            raise CommandError(f"--last-period: {error}") from error
