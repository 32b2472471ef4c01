"""Time the Excel import of returns on a generated sheet, and report its peak memory.

Everything it creates (KPIs, targets, a user, the saved returns) is rolled
back at the end, so the database is left as it was.
"""

import io
import resource
import time
from decimal import Decimal

import openpyxl
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils import timezone

from golden_thread.models import Profile
from kpis.excel import TEMPLATE_HEADERS
from kpis.models import Kpi, Target
from kpis.returns_import import check_returns, commit_returns
from pmf.periods import Period

REFERENCE_PREFIX = "BENCH-"


class Rollback(Exception):
    """Raised to leave the benchmark's transaction without keeping anything."""


class Command(BaseCommand):
    help = (
        "Generate a returns sheet of --rows rows (one per generated KPI, for last month), then time "
        "checking every row and saving them all, and report the peak memory of the process. "
        "Everything created is rolled back."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=5000, help="Rows in the sheet (default 5,000).")

    def handle(self, *args, rows, **options):
        if rows < 1:
            raise CommandError("--rows must be at least 1.")
        period = Period.current(timezone.localdate()).previous()
        try:
            with override_settings(DEBUG=False), transaction.atomic():
                self.run(rows, period)
                raise Rollback
        except Rollback:
            pass

    def run(self, rows: int, period: Period) -> None:
        user = benchmark_user()
        kpis = make_kpis(rows, period, user)
        data = sheet_bytes(kpis, period)
        baseline = peak_rss_mb()

        started = clocks()
        report = check_returns(data, user=user, period=period, today=timezone.localdate())
        checked = clocks()
        if not report.is_valid:
            raise CommandError(f"The generated sheet has errors, first: {report.errors[0]}")
        saved = commit_returns(report, user=user)
        committed = clocks()

        self.stdout.write(f"{database_description()}; {rows} rows ({len(data) / 1024:.0f} KB .xlsx) for {period.label}")
        self.stdout.write(f"Validation: {elapsed(started, checked)}")
        self.stdout.write(f"Commit:     {elapsed(checked, committed)}; {saved} returns saved, then rolled back")
        self.stdout.write(f"Total:      {elapsed(started, committed)}")
        self.stdout.write(f"Peak memory (ru_maxrss): {peak_rss_mb():.0f} MB, {baseline:.0f} MB before the import")


def benchmark_user():
    user = get_user_model().objects.create(username="benchmark-import", first_name="Benchmark")
    Profile.objects.create(user=user, role=Profile.Role.SPP)
    return user


def make_kpis(rows: int, period: Period, owner) -> list[Kpi]:
    kpis = Kpi.objects.bulk_create(
        Kpi(reference=f"{REFERENCE_PREFIX}{number:05d}", name=f"Benchmark KPI {number}", unit=Kpi.Unit.PERCENTAGE,
            decimal_places=1, polarity="higher", owner=owner)
        for number in range(rows)
    )
    if connection.vendor == "sqlite" or any(kpi.pk is None for kpi in kpis):
        kpis = list(Kpi.objects.filter(reference__startswith=REFERENCE_PREFIX).order_by("reference"))
    Target.objects.bulk_create(Target(kpi=kpi, financial_year=period.year, value=Decimal(85)) for kpi in kpis)
    return kpis


def sheet_bytes(kpis: list[Kpi], period: Period) -> bytes:
    """Build a filled-in template with values from well above to well below target, so every rating occurs."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Returns")
    sheet.append(TEMPLATE_HEADERS)
    for number, kpi in enumerate(kpis):
        value = 70 + number % 25
        sheet.append([
            kpi.reference, kpi.name, "Percentage", "Higher is better", 85, None, None,
            value, None, None, f"Benchmark commentary {number}", "Demand rose", "Extra shifts", "None",
            "Y" if number % 2 else "N", period.code, 0,
        ])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def clocks() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def elapsed(start: tuple[float, float], end: tuple[float, float]) -> str:
    """Wall-clock time, and this process's CPU time, which other load on the machine does not inflate."""
    return f"{end[0] - start[0]:.2f} s ({end[1] - start[1]:.2f} s CPU)"


def peak_rss_mb() -> float:
    # Linux reports ru_maxrss in kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def database_description() -> str:
    if connection.vendor == "sqlite":
        return f"SQLite {connection.Database.sqlite_version}"
    return f"PostgreSQL {connection.pg_version // 10000}"
