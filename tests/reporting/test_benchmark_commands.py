"""build_synthetic_council and benchmark at a tiny size."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from golden_thread.models import ACTION_KINDS, Directorate, ItemKind, ThreadItem
from kpis.models import Kpi, KpiValue, Target, TargetProfile
from pmf import rag
from pmf.periods import FinancialYear, Period
from reporting.management.commands.benchmark import percentile

TINY = ["--kpis", "20", "--years", "2", "--actions", "50", "--services", "8"]
# Two whole financial years, 2023/24 and 2024/25, end at March 2025.
LAST_PERIOD = "2025-03"


def build(*extra):
    out = StringIO()
    call_command("build_synthetic_council", *TINY, "--last-period", LAST_PERIOD, *extra, stdout=out)
    return out.getvalue()


def benchmark_rows(output: str) -> dict[str, list[str]]:
    rows = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] not in {"page", "---"}:
            rows[cells[0]] = cells[1:]
    return rows


@pytest.mark.django_db
def test_build_creates_the_requested_organisation_and_kpis():
    output = build()

    assert Kpi.objects.count() == 20
    assert Directorate.objects.count() == 6
    assert Directorate.objects.filter(services__isnull=False).distinct().count() == 6
    assert "20 KPIs" in output


@pytest.mark.django_db
def test_build_marks_every_item_and_kpi_illustrative():
    build()

    assert not ThreadItem.objects.filter(is_illustrative=False).exists()
    assert all("illustrative" in name.lower() for name in Kpi.objects.values_list("name", flat=True))
    assert not KpiValue.objects.exclude(source__icontains="illustrative").exists()


@pytest.mark.django_db
def test_build_keeps_thread_paths_consistent():
    build()

    assert ThreadItem.objects.filter(kind__in=ACTION_KINDS).count() <= 50
    items = {item.pk: item for item in ThreadItem.objects.all()}
    for item in items.values():
        parent_path = items[item.parent_id].path if item.parent_id else "/"
        assert item.path == f"{parent_path}{item.pk}/"
        assert item.depth == item.path.count("/") - 2
    plan = ThreadItem.objects.get(kind=ItemKind.CORPORATE_PLAN)
    assert ThreadItem.objects.descendants_of(plan).count() == len(items) - 1


@pytest.mark.django_db
def test_build_writes_every_due_value():
    build()

    periods = FinancialYear(2023).periods() + FinancialYear(2024).periods()
    for kpi in Kpi.objects.all():
        due = [(p.year, p.number) for p in periods if kpi.is_due(p)]
        stored = list(kpi.values.order_by("financial_year", "period").values_list("financial_year", "period"))
        assert stored == due, kpi.reference
    assert not KpiValue.objects.filter(financial_year__gt=2024).exists()


@pytest.mark.django_db
def test_build_sets_targets_for_rated_kpis():
    build()

    for kpi in Kpi.objects.all():
        years = set(kpi.targets.values_list("financial_year", flat=True))
        assert years == (set() if kpi.polarity == rag.Polarity.MONITOR else {2023, 2024}), kpi.reference
    for target in Target.objects.filter(kpi__accumulation=Kpi.Accumulation.CUMULATIVE):
        assert TargetProfile.objects.filter(target=target).count() == 12


@pytest.mark.django_db
def test_build_rejects_second_council():
    build()

    with pytest.raises(CommandError, match="already"):
        build()
    assert Kpi.objects.count() == 20


@pytest.mark.django_db
def test_benchmark_prints_row_per_page():
    build()
    out = StringIO()

    call_command("benchmark", "--repeat", "2", stdout=out)

    rows = benchmark_rows(out.getvalue())
    assert set(rows) >= {"Dashboard", "KPI list", "KPI page", "Golden thread"}
    for name, (median, p95, sql, ratio, queries) in rows.items():
        assert 0 < float(median) <= float(p95), name
        assert float(sql) > 0, name
        assert int(queries) > 0, name
    assert re.search(r"period (Mar|March) 2025", out.getvalue())


@pytest.mark.django_db
def test_benchmark_rejects_empty_database():
    with pytest.raises(CommandError, match="no KPI values"):
        call_command("benchmark", "--repeat", "1", stdout=StringIO())


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (list(range(1, 21)), 19),  # nearest rank: ceil(0.95 × 20) = 19th
        ([5.0], 5.0),
        ([3, 1, 2], 3),  # ceil(0.95 × 3) = 3rd
    ],
)
def test_percentile_is_the_nearest_rank(values, expected):
    assert percentile(values, 95) == expected


def test_last_period_is_the_end_of_2024_25():
    assert Period.parse(LAST_PERIOD) == FinancialYear(2024).periods()[-1]
