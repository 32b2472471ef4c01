"""Import of published council scorecards: the label mapper, the parsers, and the shipped files."""

import csv
import logging
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection

from kpis.models import Kpi, KpiValue, Target, TargetProfile
from kpis.published import (
    LabelKind,
    MappedLabel,
    ParsedRow,
    SkippedRow,
    UnmappedPeriod,
    council_initials,
    expected_rating,
    import_published_scorecard,
    map_period_label,
    parse_polarity,
    parse_row,
    parse_target,
    parse_unit,
)
from pmf import rag
from pmf.periods import Period

DATA = Path(__file__).resolve().parents[2] / "data" / "published"
HART = DATA / "hart_dc_2013_15_kpis.csv"
BRACKNELL = DATA / "bracknell_forest_2024_26_kpis.csv"
BRACKNELL_TARGETS = DATA / "bracknell_forest_kpi_targets_2024_27.csv"
CHESHIRE_EAST = DATA / "cheshire_east_actuals_national_stats.csv"
NORTHUMBERLAND = DATA / "northumberland_2024_kpis.csv"
OTHERS = DATA / "other_councils_target_actual_rag.csv"
ROTHERHAM = DATA / "target_definitions_with_published_polarity.csv"
SHIPPED = [HART, BRACKNELL, BRACKNELL_TARGETS, CHESHIRE_EAST, NORTHUMBERLAND, OTHERS, ROTHERHAM]

HEADER = "council,kpi_name,unit,polarity,period,target,actual,published_rag,source\n"


def write_csv(tmp_path, *lines, name="scorecard.csv"):
    path = tmp_path / name
    path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def row(**overrides):
    base = {
        "council": "Test Borough Council",
        "kpi_name": "T01 Calls answered",
        "unit": "%",
        "polarity": "higher is better",
        "period": "2024/25 Q1",
        "target": "90",
        "actual": "91",
        "published_rag": "Green",
        "source": "test",
    }
    return base | overrides


# The label mapper ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("2014/15 Q1", MappedLabel(LabelKind.QUARTER, Period(2014, 3))),
        ("2014/15 Q2", MappedLabel(LabelKind.QUARTER, Period(2014, 6))),
        ("2013/14 Q4 (previous value shown in Aug-2014 tiles)", MappedLabel(LabelKind.QUARTER, Period(2013, 12))),
        ("2023/24 Q4 (year end)", MappedLabel(LabelKind.QUARTER, Period(2023, 12))),
        ("2024/25 Q1 (Apr 2024; status Overdue)", MappedLabel(LabelKind.QUARTER, Period(2024, 3))),
        ("2024/25 Q2 (Apr-Sep cumulative)", MappedLabel(LabelKind.QUARTER, Period(2024, 6))),
        ("2023/24 year end", MappedLabel(LabelKind.YEAR, Period(2023, 12))),
        ("2023/24 outturn", MappedLabel(LabelKind.YEAR, Period(2023, 12), is_outturn=True)),
        ("2023/24 outturn (as displayed)", MappedLabel(LabelKind.YEAR, Period(2023, 12), is_outturn=True)),
        ("2023/24 (annual)", MappedLabel(LabelKind.YEAR, Period(2023, 12))),
        ("2022/23 (annual; shown May 2024)", MappedLabel(LabelKind.YEAR, Period(2022, 12))),
        ("2021/22 full year", MappedLabel(LabelKind.YEAR, Period(2021, 12))),
        ("2018/19 (in-year)", MappedLabel(LabelKind.YEAR, Period(2018, 12))),
        ("2017/18", MappedLabel(LabelKind.YEAR, Period(2017, 12))),
        ("2016-17", MappedLabel(LabelKind.YEAR, Period(2016, 12))),
        ("2009/10", MappedLabel(LabelKind.YEAR, Period(2009, 12))),
        ("Apr 2024", MappedLabel(LabelKind.MONTH, Period(2024, 1))),
        ("Sep 2024 (YTD)", MappedLabel(LabelKind.MONTH, Period(2024, 6))),
        ("Sept 2024 entry", MappedLabel(LabelKind.MONTH, Period(2024, 6))),
        ("Mar 2024 (month)", MappedLabel(LabelKind.MONTH, Period(2023, 12))),
        ("Dec 2023 (month; status Overdue)", MappedLabel(LabelKind.MONTH, Period(2023, 9))),
        ("end Mar 2022", MappedLabel(LabelKind.MONTH, Period(2021, 12))),
        ("Baseline", MappedLabel(LabelKind.BASELINE)),
        ("Baseline (academic year 2021/22)", MappedLabel(LabelKind.BASELINE)),
        ("2024/25 (Year 1 target)", MappedLabel(LabelKind.TARGET, Period(2024, 12))),
        ("2022/23 (target)", MappedLabel(LabelKind.TARGET, Period(2022, 12))),
        ("2018/19 (target only)", MappedLabel(LabelKind.TARGET, Period(2018, 12))),
    ],
)
def test_label_mapper_maps_financial_periods(label, expected):
    assert map_period_label(label) == expected


@pytest.mark.parametrize(
    ("label", "why"),
    [
        ("2019", "a calendar year"),
        ("2023 calendar year", "a calendar year"),
        ("calendar 2022", "a calendar year"),
        ("2024 awards", "a calendar year"),
        ("2019 - 21", "a range"),
        ("2020/21 - 24/25", "a range"),
        ("2021/22 Q1 - 2022/23 Q4", "a range"),
        ("2021/22 academic year", "an academic year"),
        ("Spring term 2024", "a school term"),
        ("Milestone 1 - Jul 2023 (actual = academic year 2022/23)", "a milestone"),
        ("End target (England average 2021/22)", "an end target"),
        ("survey period from Apr 2024 (291 surveys)", "a survey period"),
        ("2022/23 (reported Q3)", "a part-year figure"),
        ("whenever", "not a month, quarter or financial year"),
    ],
)
def test_label_mapper_reports_unmapped_labels_with_the_reason(label, why):
    with pytest.raises(UnmappedPeriod) as raised:
        map_period_label(label)

    message = str(raised.value)
    assert message.startswith(f"period '{label}' could not be mapped to a financial period: ")
    assert why in message


# Parsers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "implied"),
    [
        ("93%", Decimal("93"), None),
        ("Fewer than 85", Decimal("85"), rag.Polarity.LOWER),
        ("Less than 22%", Decimal("22"), rag.Polarity.LOWER),
        ("98.5 (year-end)", Decimal("98.5"), None),
        ("1,234", Decimal("1234"), None),
        ("", None, None),
        ("info", None, None),
        ("Data only", None, None),
        ("No target", None, None),
    ],
)
def test_parse_target(text, value, implied):
    parsed = parse_target(text)

    assert parsed.value == value
    assert parsed.implied_polarity == implied


@pytest.mark.parametrize(
    ("text", "polarity"),
    [
        ("higher is better (inferred)", rag.Polarity.HIGHER),
        ("Good is High (published)", rag.Polarity.HIGHER),
        ("lower is better (as rated; national avg 43)", rag.Polarity.LOWER),
        ("Good is Low (published)", rag.Polarity.LOWER),
        ("lower is better (published: Minimise)", rag.Polarity.LOWER),
        ("n/a (data only) (inferred)", rag.Polarity.MONITOR),
        ("lower is better (data only)", rag.Polarity.MONITOR),
        ("not ranked (Oflog rank_order=None)", rag.Polarity.MONITOR),
        ("contextual (target 95)", rag.Polarity.MONITOR),
        ("Good is Measure for information (published)", rag.Polarity.MONITOR),
        ("sideways", None),
    ],
)
def test_parse_polarity(text, polarity):
    assert parse_polarity(text) == polarity


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("%", Kpi.Unit.PERCENTAGE),
        ("% YTD", Kpi.Unit.PERCENTAGE),
        ("Percentage", Kpi.Unit.PERCENTAGE),
        ("days (average)", Kpi.Unit.DAYS),
        ("£ per pupil per day", Kpi.Unit.MONEY),
        ("rate per 10,000 aged 0-17", Kpi.Unit.RATE),
        ("Per 1,000", Kpi.Unit.RATE),
        ("missed collections per 100,000", Kpi.Unit.RATE),
        ("visits per quarter", Kpi.Unit.NUMBER),
        ("", Kpi.Unit.NUMBER),
    ],
)
def test_parse_unit(text, unit):
    assert parse_unit(text) == unit


def test_council_initials_leave_out_small_words_and_remarks():
    assert council_initials("Hart District Council") == "HDC"
    assert council_initials("Cheshire West and Chester Council") == "CWCC"
    assert council_initials('Unidentified English district council (stored page "CPRC")') == "UEDC"


def test_decimal_comma_actual_is_skipped():
    result = parse_row(row(actual="12,5"), 7)

    assert result == SkippedRow(
        7, "Test Borough Council", "T01 Calls answered", "2024/25 Q1",
        "actual '12,5' is not a number: a decimal comma is not accepted",
    )


def test_thousands_separator_in_an_actual_is_accepted():
    result = parse_row(row(actual="1,234"), 2)

    assert isinstance(result, ParsedRow)
    assert result.actual == Decimal("1234")


def test_threshold_target_implies_polarity():
    result = parse_row(row(polarity="", target="Fewer than 85", period="2022/23 (target)", actual=""), 2)

    assert result.polarity is rag.Polarity.LOWER
    assert result.target == Decimal("85")


def test_expected_rating_reads_first_word_and_ignores_benchmarks():
    assert expected_rating("Green (above target)") is rag.Rating.GREEN
    assert expected_rating("amber") is rag.Rating.AMBER
    assert expected_rating("Red (published: missed by more than 10%)") is rag.Rating.RED
    assert expected_rating("Data only (no status)") is rag.Rating.NOT_RATED
    assert expected_rating("Info only") is rag.Rating.NOT_RATED
    assert expected_rating("N/A (data only)") is rag.Rating.NOT_RATED
    assert expected_rating("vs England: Better (OHID Fingertips benchmark, not a target RAG)") is None
    assert expected_rating("slightly under target (text)") is None
    assert expected_rating("") is None


# Hart: 45 KPIs, each with a 2013/14 outturn, a Q4 2013/14 value and Q1 and Q2 2014/15 ------


@pytest.fixture
def hart(db):
    return import_published_scorecard(HART)


def test_hart_counts(hart):
    # 180 rows = 45 KPIs x 4 labels. The outturn and Q4 2013/14 both land on Mar 2014,
    # so the outturn becomes the baseline and Q4, Q1 and Q2 are the 3 x 45 values.
    # Three data-only KPIs (SNH03, SNH04, SNH06) have no target, so 42 targets for 2014/15.
    assert hart.rows_read == 180
    assert hart.skipped == []
    assert (hart.kpis_created, hart.values_created, hart.targets_created) == (45, 135, 42)
    assert Kpi.objects.filter(baseline__isnull=False, baseline_label="2013/14 outturn").count() == 45
    assert set(KpiValue.objects.values_list("financial_year", "period").distinct()) == {(2013, 12), (2014, 3), (2014, 6)}
    assert set(Kpi.objects.values_list("frequency", flat=True)) == {Kpi.Frequency.QUARTERLY}


def test_hart_kpi_fields(hart):
    kpi = Kpi.objects.get(reference="CS01")

    assert kpi.name == "Quality of Customer Service Call Handling - % score from monitoring sample"
    assert kpi.import_key == "Hart District Council|CS01 Quality of Customer Service Call Handling - % score from monitoring sample"
    assert (kpi.unit, kpi.decimal_places, kpi.polarity) == (Kpi.Unit.PERCENTAGE, 1, "higher")
    assert kpi.baseline == Decimal("94.8")
    assert kpi.data_source.startswith("Hart District Council: github:HartDC/")
    assert Kpi.objects.get(reference="HR11").accumulation == Kpi.Accumulation.CUMULATIVE
    assert Kpi.objects.get(reference="SNH03").polarity == "monitor"
    assert Kpi.objects.get(reference="RB07").unit == Kpi.Unit.DAYS


def test_hart_values_are_signed_off(hart):
    value = KpiValue.objects.get(kpi__reference="CS02a", financial_year=2014, period=3)

    assert value.value == Decimal("78.5")
    assert value.status == KpiValue.Status.SIGNED_OFF
    assert value.published_rating == "Amber (close to target)"
    assert "7854b407" in value.source


def test_missing_actual_is_stored_as_null_not_zero(hart):
    # ETS01 has no figure for Q4 2013/14, Q1 or Q2; IT06 and PS05 none for Q2.
    missing = KpiValue.objects.filter(value__isnull=True)

    assert missing.count() == 5
    assert set(missing.values_list("kpi__reference", flat=True)) == {"ETS01", "IT06", "PS05"}
    assert not KpiValue.objects.filter(kpi__reference="ETS01", value=0).exists()


def test_quarter_varying_targets_become_one_profiled_target(hart):
    # HR11's cumulative sickness target is 1.58 at Q1 and 3.15 at Q2.
    target = Target.objects.get(kpi__reference="HR11")

    assert (target.financial_year, target.effective_from, target.value) == (2014, 1, Decimal("3.15"))
    assert target.tolerance == rag.DEFAULT_TOLERANCE
    assert dict(target.profile.values_list("period", "value")) == {3: Decimal("1.58"), 6: Decimal("3.15")}
    assert target.profiled_value(3) == Decimal("1.58")


def test_profiled_targets_only_where_quarters_differ(hart):
    with HART.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_kpi = {}
    for line in rows:
        if line["period"].startswith("2014/15") and line["target"]:
            by_kpi.setdefault(line["kpi_name"].split()[0], set()).add(Decimal(line["target"]))
    varying = {reference for reference, targets in by_kpi.items() if len(targets) > 1}

    profiled = set(TargetProfile.objects.values_list("target__kpi__reference", flat=True))
    assert profiled == varying == {"HR11", "HS07", "HS08", "HS16", "IA01"}
    assert Target.objects.get(kpi__reference="CS01").profile.count() == 0


def test_hart_imported_ratings_agreement(hart):
    # The row check agrees on 39 of 45 in each quarter (docs/ratings-check.md). Imported,
    # RB09 Q2 differs too: its Q2 row states no target ("Info only"), but a target is set
    # per year, so the Q1 target of 12 applies to Q2 and the engine rates 9.4 Green.
    agree = {3: 0, 6: 0}
    values = KpiValue.objects.filter(financial_year=2014).select_related("kpi")
    for record in values:
        target = Target.objects.in_force(record.kpi_id, record.period_obj)
        target_value = target.profiled_value(record.period) if target else None
        engine = rag.rate(record.value, polarity=record.kpi.polarity, target=target_value)
        agree[record.period] += engine is expected_rating(record.published_rating)

    assert values.count() == 90
    assert agree == {3: 39, 6: 38}


# The other shipped files ---------------------------------------------------------


def test_bracknell_quarterly_file(db):
    report = import_published_scorecard(BRACKNELL)

    # 10 KPIs: 9 with Q2 2024/25 to Q2 2025/26 and 1.3.3.KR with Q2 and Q3 2024/25 only.
    # Q2 2024/25 carries no target, so 9 KPIs have targets in both years and 1.3.3.KR in one.
    assert (report.kpis_created, report.values_created, report.targets_created) == (10, 47, 19)
    assert report.skipped == []
    # Targets that change within a year: 1.1.4.KR 2025/26, 1.1.6.KR 2024/25, 1.2.1.KR both years.
    assert Target.objects.filter(profile__isnull=False).distinct().count() == 4
    assert Kpi.objects.get(reference="1.1.2.PI").name == "Percentage of school admission appeals upheld"
    assert Kpi.objects.get(reference="1.1.4.KR").accumulation == Kpi.Accumulation.CUMULATIVE


def test_bracknell_targets_file_gives_baselines_and_targets_only(db):
    report = import_published_scorecard(BRACKNELL_TARGETS)

    # 7 KPIs x (baseline + 3 yearly targets); 1.4.1.KR has no figure in any of its 4 rows.
    assert (report.kpis_created, report.targets_created, report.values_created) == (6, 18, 0)
    assert [(skipped.line, skipped.reason) for skipped in report.skipped] == [
        (26, "actual 'New' is not a number"),
        (27, "target 'Establish baseline' is not a number"),
        (28, "target '+2% increase' is not a number"),
        (29, "target '+2% increase' is not a number"),
    ]
    kpi = Kpi.objects.get(reference="1.5.1.KR")
    assert (kpi.baseline, kpi.baseline_label) == (Decimal("220000"), "Baseline")
    assert dict(kpi.targets.values_list("financial_year", "value")) == {
        2024: Decimal("250000"), 2025: Decimal("285000"), 2026: Decimal("325000"),
    }


def test_cheshire_east_calendar_years_and_ranges_are_reported(db):
    report = import_published_scorecard(CHESHIRE_EAST)

    assert report.rows_read == 382
    assert len(report.skipped) == 171
    assert all(
        "a calendar year" in skipped.reason or "a range" in skipped.reason for skipped in report.skipped
    )
    # No duplicate periods: every row that maps is a value. No targets are published.
    assert report.values_created == 382 - 171
    assert report.targets_created == 0
    skipped_lines = {skipped.line for skipped in report.skipped}
    with CHESHIRE_EAST.open(newline="", encoding="utf-8") as handle:
        mapped_names = {
            line["kpi_name"] for number, line in enumerate(csv.DictReader(handle), start=2)
            if number not in skipped_lines
        }
    assert report.kpis_created == len(mapped_names) == 35


def test_northumberland_unmapped_labels_and_duplicate_period(db):
    report = import_published_scorecard(NORTHUMBERLAND)

    # 41 measures; 7 have only academic-year, school-term or calendar-year rows.
    assert report.kpis_created == 34
    assert len(report.skipped) == 16
    assert report.values_created == 73 - 16
    reasons = {skipped.line: skipped.reason for skipped in report.skipped}
    assert reasons[12] == (
        "period 'survey period from Apr 2024 (291 surveys)' could not be mapped to a financial period: "
        "a survey period has no single month, quarter or year"
    )
    assert "an academic year" in reasons[62]
    assert "a school term" in reasons[58]
    assert "a calendar year" in reasons[10]
    # "2023/24 (annual)" and "2023/24 Q4" of one measure both land on Mar 2024: the first is kept.
    assert reasons[54] == "Mar 2024 is already given by row 53 ('2023/24 (annual)')"
    assert Kpi.objects.filter(frequency=Kpi.Frequency.MONTHLY).count() > 0


def test_other_councils_file(db):
    report = import_published_scorecard(OTHERS)

    # 202 rows: 32 skipped, 8 Wandsworth target-only rows and 6 Devon baselines leave 156 values.
    assert (report.rows_read, len(report.skipped), report.values_created) == (202, 32, 156)
    # 55 measures; Rotherham's two-year-olds measure has only a part-year row.
    assert report.kpis_created == 54
    devon = Kpi.objects.get(import_key__startswith="Devon County Council|Suspension rate of children and young people with SEN support")
    assert (devon.baseline, devon.baseline_label) == (Decimal("28.92"), "Baseline (academic year 2021/22)")
    assert not devon.values.exists()
    wandsworth = Kpi.objects.get(import_key="Wandsworth Borough Council|Average time taken to clear a reported fly-tip")
    assert list(wandsworth.targets.values_list("financial_year", "value")) == [(2018, Decimal("2"))]


def test_rotherham_target_definitions(db):
    report = import_published_scorecard(ROTHERHAM)

    assert (report.kpis_created, report.targets_created, report.values_created) == (6, 6, 0)
    assert len(report.skipped) == 4
    ch03 = Kpi.objects.get(reference="CH03")
    assert ch03.polarity == "lower"
    assert ch03.targets.get().value == Decimal("85")
    assert Kpi.objects.get(reference="CH01").targets.get().value == Decimal("93")


def test_only_council_imports_that_council(db):
    report = import_published_scorecard(OTHERS, only_council="Maidstone Borough Council")

    assert report.rows_read == 13
    keys = list(Kpi.objects.values_list("import_key", flat=True))
    assert len(keys) == report.kpis_created == 8
    assert all(key.startswith("Maidstone Borough Council|") for key in keys)


# Idempotence and the transaction ---------------------------------------------------


def snapshot():
    return [
        list(model.objects.order_by("pk").values())
        for model in (Kpi, Target, TargetProfile, KpiValue, Kpi.history.model, KpiValue.history.model)
    ]


def test_second_import_of_every_file_changes_nothing(db):
    for path in SHIPPED:
        import_published_scorecard(path)
    before = snapshot()

    reports = [import_published_scorecard(path) for path in SHIPPED]

    assert all(report.changed == 0 for report in reports)
    assert all(report.unchanged > 0 for report in reports)
    assert snapshot() == before


def test_changed_figure_updates_in_place(db, tmp_path):
    first = write_csv(tmp_path, "Test Council,T01 Calls,%,higher is better,2024/25 Q1,90,91,Green,v1")
    import_published_scorecard(first)
    second = write_csv(tmp_path, "Test Council,T01 Calls,%,higher is better,2024/25 Q1,90,88,Amber,v2", name="b.csv")

    report = import_published_scorecard(second)

    # The KPI is updated too: its data source quotes the source text.
    assert (report.values_updated, report.values_created, report.kpis_updated) == (1, 0, 1)
    value = KpiValue.objects.get()
    assert (value.value, value.published_rating, value.source, value.version) == (Decimal("88"), "Amber", "v2", 2)


def test_bad_rows_are_reported_and_the_rest_imports(db, tmp_path):
    path = write_csv(
        tmp_path,
        "Test Council,T01 Calls,%,higher is better,2024/25 Q1,90,91,Green,s",
        'Test Council,T01 Calls,%,higher is better,2024/25 Q2,90,"12,5",Green,s',
        "Test Council,T01 Calls,%,higher is better,2024/25 Q3,90,92,Green,s",
    )

    report = import_published_scorecard(path)

    assert [(skipped.line, skipped.reason) for skipped in report.skipped] == [
        (3, "actual '12,5' is not a number: a decimal comma is not accepted"),
    ]
    assert sorted(KpiValue.objects.values_list("period", flat=True)) == [3, 9]


def _fail_on_insert_of_source(marker):
    """A database trigger that rejects a KPI value whose source is ``marker``."""
    table = KpiValue._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f"CREATE TRIGGER reject_marked BEFORE INSERT ON {table} "
                f"WHEN NEW.source = '{marker}' BEGIN SELECT RAISE(ABORT, 'rejected'); END"
            )
            return
        cursor.execute(
            "CREATE FUNCTION reject_marked() RETURNS trigger AS $$ BEGIN "
            f"IF NEW.source = '{marker}' THEN RAISE EXCEPTION 'rejected'; END IF; RETURN NEW; END $$ "
            "LANGUAGE plpgsql"
        )
        cursor.execute(f"CREATE TRIGGER reject_marked BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION reject_marked()")


def test_database_error_mid_file_leaves_nothing(db, tmp_path):
    _fail_on_insert_of_source("boom")
    path = write_csv(
        tmp_path,
        "Test Council,T01 Calls,%,higher is better,2024/25 Q1,90,91,Green,fine",
        "Test Council,T02 Visits,number,higher is better,2024/25 Q1,10,12,Green,fine",
        "Test Council,T03 Waste,%,lower is better,2024/25 Q1,5,4,Green,boom",
        "Test Council,T04 Fly-tips,number,lower is better,2024/25 Q1,5,4,Green,fine",
    )

    with pytest.raises(DatabaseError):
        import_published_scorecard(path)

    assert (Kpi.objects.count(), Target.objects.count(), KpiValue.objects.count()) == (0, 0, 0)


def test_reference_clash_adds_council_initials(db, tmp_path):
    path = write_csv(
        tmp_path,
        "North Council,CH01 Children seen,%,higher is better,2024/25 Q1,90,91,Green,s",
        "South Council,CH01 Children placed,%,higher is better,2024/25 Q1,90,91,Green,s",
    )

    import_published_scorecard(path)
    import_published_scorecard(path)

    assert dict(Kpi.objects.values_list("import_key", "reference")) == {
        "North Council|CH01 Children seen": "CH01",
        "South Council|CH01 Children placed": "SC-CH01",
    }


def test_name_without_code_gets_a_stable_council_reference(db, tmp_path):
    path = write_csv(tmp_path, "Hart District Council,Bins emptied,number,higher is better,2024/25,10,12,,s")

    import_published_scorecard(path)
    reference = Kpi.objects.get().reference
    Kpi.objects.all().delete()
    import_published_scorecard(path)

    assert reference.startswith("HDC-")
    assert Kpi.objects.get().reference == reference


def test_import_logs_commit_and_skipped_row_numbers(db, tmp_path, caplog):
    path = write_csv(
        tmp_path,
        "Test Council,T01 Calls,%,higher is better,2024/25 Q1,90,91,Green,s",
        "Test Council,T01 Calls,%,higher is better,2019,90,91,Green,s",
    )

    with caplog.at_level(logging.INFO, logger="kpis.published"):
        import_published_scorecard(path)

    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    infos = [record.getMessage() for record in caplog.records if record.levelno == logging.INFO]
    assert warnings == ["Published scorecard scorecard.csv: row 3 skipped"]
    assert len(infos) == 1
    assert "2 rows" in infos[0]


# The command --------------------------------------------------------------------------


def test_import_command_prints_skipped_rows_and_counts(db):
    out = StringIO()

    call_command("import_scorecard", str(ROTHERHAM), stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[-1] == (
        f"{ROTHERHAM.name}: 10 rows read: 6 KPIs created, 0 updated; 6 targets created, 0 updated; "
        "0 values created, 0 updated; 0 unchanged; 4 rows skipped"
    )
    assert any("row 11" in line and "target 'Additional 800' is not a number" in line for line in lines)


def test_import_command_council_option(db):
    call_command("import_scorecard", str(OTHERS), "--council", "Barnsley Metropolitan Borough Council", stdout=StringIO())

    assert list(Kpi.objects.values_list("import_key", flat=True)) == [
        "Barnsley Metropolitan Borough Council|Average working days lost to sickness absence per employee"
    ]
