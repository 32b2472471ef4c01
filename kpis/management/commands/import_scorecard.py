"""Load published council scorecards (CSV) into KPIs, targets and signed-off values."""

from decimal import InvalidOperation
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from kpis.published import import_published_scorecard


class Command(BaseCommand):
    help = (
        "Import published scorecards with the columns council, kpi_name, unit, polarity, period, "
        "target, actual, published_rag and source. Each file is imported in one transaction; "
        "rows that cannot be read are listed with the reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        parser.add_argument("--council", help="Import only the rows of this council, named exactly as in the file.")

    def handle(self, *args, files, council=None, **options):
        for path in files:
            if not path.is_file():
                raise CommandError(f"{path}: file not found")
            try:
                report = import_published_scorecard(path, only_council=council)
            except (ValueError, DatabaseError, InvalidOperation) as error:
                raise CommandError(f"{path}: {error}. Nothing from this file was imported.") from error
            for skipped in report.skipped:
                self.stdout.write(f"{path.name}: {skipped}")
            self.stdout.write(f"{path.name}: {report.summary()}")
