"""Compare the ratings councils published with the RAG engine's, without the database."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kpis.published import check_rating, read_rows


class Command(BaseCommand):
    help = (
        "Rate every row of published scorecards that states a rating (Green, Amber, Red, or "
        "data only) with the RAG engine at the default 5% tolerance, and list the disagreements."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        parser.add_argument("--strict", action="store_true", help="Exit with status 1 when any row disagrees.")

    def handle(self, *args, files, strict=False, **options):
        rated = agree = 0
        for path in files:
            if not path.is_file():
                raise CommandError(f"{path}: file not found")
            checks = self._check_file(path)
            for check in checks:
                if not check.agrees:
                    self.stdout.write(self._describe(path, check))
            file_agree = sum(check.agrees for check in checks)
            if len(files) > 1:
                self.stdout.write(f"{path}: {self._counts(len(checks), file_agree)}")
            rated += len(checks)
            agree += file_agree

        self.stdout.write(self._counts(rated, agree))
        if strict and agree < rated:
            raise CommandError(f"{rated - agree} published rating(s) disagree with the engine", returncode=1)

    def _check_file(self, path):
        try:
            rows = list(read_rows(path))
        except ValueError as error:
            raise CommandError(str(error)) from error
        return [check for line, row in rows if (check := check_rating(row, line)) is not None]

    @staticmethod
    def _describe(path, check):
        return (
            f"{path}:{check.line}: {check.kpi_name} | {check.period} | target {check.target or '–'} | "
            f"actual {check.actual or '–'} | published {check.published} | engine {check.engine_text}"
        )

    @staticmethod
    def _counts(rated, agree):
        return f"{rated} rated, {agree} agree, {rated - agree} disagree"
