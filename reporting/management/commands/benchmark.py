import math
import statistics
import time
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import NoReverseMatch, reverse

from golden_thread.models import ItemKind, Profile, ThreadItem
from kpis.models import Kpi, KpiValue
from pmf import rag
from pmf.periods import Period

BENCHMARK_USERNAME = "benchmark-spp"


@dataclass
class Page:
    name: str
    path: str
    headers: dict
    user: object


@dataclass
class Measurement:
    page: Page
    status: int
    median_ms: float
    p95_ms: float
    sql_ms: float
    queries: int

    @property
    def ratio(self) -> float:
        return self.median_ms / self.sql_ms if self.sql_ms else math.inf


class Command(BaseCommand):
    help = (
        "Time the main pages server side with Django's test client: median and 95th percentile "
        "over repeated requests, queries per request, and the time of the page's own SQL. "
        "Signs in as a council-wide SPP user named benchmark-spp, creating it if absent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=20, help="Timed requests per page (default 20).")

    def handle(self, *args, repeat, **options):
        if repeat < 1:
            raise CommandError("--repeat must be at least 1.")
        period = latest_period()
        if period is None:
            raise CommandError("There are no KPI values to show: load data first (load_demo or build_synthetic_council).")

        pages, unavailable = main_pages(period, benchmark_user())

        self.stdout.write(self._context_line(period, repeat))
        with override_settings(DEBUG=False):
            measurements = [measure(signed_in_client(page.user), page, repeat) for page in pages]
        self.stdout.write(format_table(measurements))
        for name in unavailable:
            self.stdout.write(f"Not measured (no such page yet): {name}")

        failed = [m for m in measurements if m.status != 200]
        if failed:
            raise CommandError("Pages failed with a status other than 200: " + ", ".join(f"{m.page.name} ({m.status})" for m in failed))

    def _context_line(self, period: Period, repeat: int) -> str:
        return (
            f"{database_description()}; {Kpi.objects.count()} KPIs, {KpiValue.objects.count()} values, "
            f"{ThreadItem.objects.count()} thread items; period {period.label}; {repeat} timed requests per page"
        )


def database_description() -> str:
    if connection.vendor == "sqlite":
        return f"SQLite {connection.Database.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


def latest_period() -> Period | None:
    record = KpiValue.objects.exclude(value=None).order_by("-financial_year", "-period").first()
    return Period(record.financial_year, record.period) if record else None


def benchmark_user():
    user, created = get_user_model().objects.get_or_create(
        username=BENCHMARK_USERNAME, defaults={"first_name": "Benchmark", "last_name": "User"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    Profile.objects.get_or_create(user=user, defaults={"role": Profile.Role.SPP})
    return user


def signed_in_client(user) -> Client:
    client = Client(SERVER_NAME="127.0.0.1", raise_request_exception=False)
    client.force_login(user)
    return client


def main_pages(period: Period, spp_user) -> tuple[list[Page], list[str]]:
    """Return the pages to time, and the names of those whose URL does not exist yet.

    Every page is read by the council-wide SPP user except "My returns",
    which is read by the owner of the KPI page's KPI so that it lists returns.
    """
    # The same kind of KPI at every size, so query counts compare.
    kpi = (
        Kpi.objects.filter(
            frequency=Kpi.Frequency.MONTHLY, polarity=rag.Polarity.HIGHER, accumulation=Kpi.Accumulation.SNAPSHOT
        ).order_by("reference").first()
        or Kpi.objects.order_by("reference").first()
    )
    deliverable = ThreadItem.objects.filter(kind=ItemKind.PRIORITY_DELIVERABLE).order_by("pk").first()
    owner = kpi.owner if kpi and kpi.owner else spp_user
    htmx = {"HX-Request": "true"}
    in_period = f"?period={period.code}"
    candidates = [
        ("Dashboard", "reporting:dashboard", [], in_period, {}, spp_user),
        ("Dashboard period swap (HTMX)", "reporting:dashboard", [], f"?period={period.previous().code}", htmx, spp_user),
        ("KPI list", "kpis:list", [], "", {}, spp_user),
        ("KPI page", "kpis:detail", [kpi.reference] if kpi else None, "", {}, spp_user),
        ("Golden thread", "golden_thread:tree", [], in_period, {}, spp_user),
        ("Thread item", "golden_thread:item", [deliverable.pk] if deliverable else None, "", {}, spp_user),
        ("My returns (KPI owner)", "returns:mine", [], in_period, {}, owner),
        ("Sign-off", "returns:sign-off", [], in_period, {}, spp_user),
        ("Completeness", "returns:completeness", [], in_period, {}, spp_user),
    ]
    pages, unavailable = [], []
    for name, url_name, args, query, headers, user in candidates:
        try:
            if args is None:
                raise NoReverseMatch
            pages.append(Page(name, reverse(url_name, args=args) + query, headers, user))
        except NoReverseMatch:
            unavailable.append(name)
    return pages, unavailable


def measure(client: Client, page: Page, repeat: int) -> Measurement:
    with CaptureQueriesContext(connection) as captured:
        status = client.get(page.path, headers=page.headers).status_code
    # Read now: the next request clears the connection's query log.
    statements = [query["sql"] for query in captured.captured_queries]

    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(page.path, headers=page.headers)
        timings.append((time.perf_counter() - started) * 1000)

    sql_timings = [sql_time_ms(statements) for _ in range(repeat)]
    return Measurement(
        page=page,
        status=status,
        median_ms=statistics.median(timings),
        p95_ms=percentile(timings, 95),
        sql_ms=statistics.median(sql_timings),
        queries=len(statements),
    )


def sql_time_ms(statements: list[str]) -> float:
    """Run a page's read statements again, on their own, and return the time they take.

    Writes (a session save, a savepoint) are not repeated.
    """
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in statements:
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cursor.execute(sql)
            cursor.fetchall()
    return (time.perf_counter() - started) * 1000


def percentile(values: list[float], rank: int) -> float:
    """Return the nearest-rank percentile: with 20 values the 95th is the 19th smallest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(rank / 100 * len(ordered)) - 1)]


def format_table(measurements: list[Measurement]) -> str:
    header = ("page", "median ms", "p95 ms", "SQL ms", "ratio to SQL", "queries")
    rows = [
        (
            m.page.name if m.status == 200 else f"{m.page.name} (HTTP {m.status})",
            f"{m.median_ms:.1f}",
            f"{m.p95_ms:.1f}",
            f"{m.sql_ms:.1f}",
            f"{m.ratio:.1f}",
            str(m.queries),
        )
        for m in measurements
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)
