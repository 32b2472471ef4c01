"""Scorecard: which value and which target version rate each KPI for a period."""

from decimal import Decimal

from django.urls import reverse

from kpis.models import Kpi, KpiValue, TargetProfile
from kpis.scorecard import Scorecard, rating_counts, reporting_period
from pmf import rag
from pmf.periods import Period

SEPTEMBER = Period.parse("2014-09")


def row_for(kpi, period=SEPTEMBER):
    return Scorecard([kpi], period).row(kpi)


def test_boundary_values_rated(make_kpi, make_target, make_value):
    amber = make_kpi(decimal_places=2)
    red = make_kpi(decimal_places=2)
    for kpi, value in ((amber, "80.75"), (red, "80.74")):
        make_target(kpi, "85")
        make_value(kpi, SEPTEMBER, value)

    assert row_for(amber).rating == rag.Rating.AMBER
    assert row_for(red).rating == rag.Rating.RED


def test_missing_value_is_no_data(make_kpi, make_target, make_value):
    kpi = make_kpi()
    make_target(kpi, "85")
    make_value(kpi, SEPTEMBER, None)
    row = row_for(kpi)
    assert row.rating == rag.Rating.NO_DATA
    assert row.actual is None


def test_later_target_version_keeps_earlier_rating(make_kpi, make_target, make_value):
    kpi = make_kpi()
    make_target(kpi, "85", effective_from=1)
    make_target(kpi, "95", effective_from=7, reason="Re-baselined from October")
    make_value(kpi, SEPTEMBER, "86")
    make_value(kpi, "2014-10", "86")

    assert row_for(kpi, SEPTEMBER).rating == rag.Rating.GREEN
    assert row_for(kpi, SEPTEMBER).target_value == Decimal("85")
    assert row_for(kpi, Period.parse("2014-10")).rating == rag.Rating.RED


def test_profiled_target_for_cumulative(make_kpi, make_target, make_value):
    kpi = make_kpi(accumulation=Kpi.Accumulation.CUMULATIVE, unit=Kpi.Unit.NUMBER)
    target = make_target(kpi, "1200")
    TargetProfile.objects.create(target=target, period=6, value=Decimal("600"))
    make_value(kpi, SEPTEMBER, "590")

    row = row_for(kpi)
    assert row.target_value == Decimal("600")
    assert row.rating == rag.Rating.AMBER


def test_quarterly_kpi_uses_last_quarter_end(make_kpi, make_target, make_value):
    kpi = make_kpi(frequency=Kpi.Frequency.QUARTERLY)
    make_target(kpi, "85")
    make_value(kpi, "2014-06", "90")

    august = Period.parse("2014-08")
    assert reporting_period(kpi, august) == Period.parse("2014-06")
    assert row_for(kpi, august).rating == rag.Rating.GREEN


def test_quarterly_kpi_previous_crosses_year_end(make_kpi, make_target, make_value):
    kpi = make_kpi(frequency=Kpi.Frequency.QUARTERLY)
    make_target(kpi, "85", year=2014)
    make_value(kpi, "2014-03", "90")  # Q4 2013/14
    make_value(kpi, "2014-06", "88")  # Q1 2014/15

    row = row_for(kpi, Period.parse("2014-06"))
    assert row.direction_previous == rag.Direction.WORSENING


def test_cumulative_rate_sums_parts(make_kpi, make_target, make_value):
    kpi = make_kpi(
        accumulation=Kpi.Accumulation.CUMULATIVE,
        numerator_label="Answered",
        denominator_label="Received",
        decimal_places=2,
    )
    make_target(kpi, "90")
    make_value(kpi, "2014-04", "50", numerator=Decimal(1), denominator=Decimal(2))
    make_value(kpi, "2014-05", "99", numerator=Decimal(99), denominator=Decimal(100))

    row = row_for(kpi, Period.parse("2014-05"))
    # 100 of 102 calls, not the average of 50% and 99%.
    assert row.actual == Decimal(100) / Decimal(102) * 100
    assert row.rating == rag.Rating.GREEN


def test_lower_is_better_direction(make_kpi, make_target, make_value):
    kpi = make_kpi(polarity="lower", unit=Kpi.Unit.DAYS)
    make_target(kpi, "20")
    make_value(kpi, "2014-08", "22")
    make_value(kpi, SEPTEMBER, "21")
    make_value(kpi, "2013-09", "19")

    row = row_for(kpi)
    assert row.rating == rag.Rating.AMBER
    assert row.direction_previous == rag.Direction.IMPROVING
    assert row.direction_last_year == rag.Direction.WORSENING


def test_monitor_only_not_rated(make_kpi, make_value):
    kpi = make_kpi(polarity="monitor")
    make_value(kpi, SEPTEMBER, "12")
    assert row_for(kpi).rating == rag.Rating.NOT_RATED


def test_rating_counts_include_zeroes(make_kpi, make_target, make_value):
    kpi = make_kpi()
    make_target(kpi, "85")
    make_value(kpi, SEPTEMBER, "90")
    counts = rating_counts(Scorecard([kpi], SEPTEMBER).rows())
    assert counts[rag.Rating.GREEN] == 1
    assert counts[rag.Rating.RED] == 0
    assert set(counts) == set(rag.Rating)


def test_scorecard_queries_constant(make_kpi, make_target, make_value, django_assert_num_queries):
    def build(count):
        kpis = []
        for _ in range(count):
            kpi = make_kpi()
            make_target(kpi, "85")
            make_value(kpi, SEPTEMBER, "86")
            kpis.append(kpi)
        return kpis

    small, large = build(3), build(30)
    with django_assert_num_queries(3):
        Scorecard(small, SEPTEMBER).rows()
    with django_assert_num_queries(3):
        Scorecard(small + large, SEPTEMBER).rows()


def mixed_kpis(make_kpi, make_target, make_value):
    """KPIs of every shape the scorecard treats differently, with two years of values.

    A monthly snapshot re-baselined from October, a quarterly one, an annual
    one, a cumulative rate (its position sums every month so far) and a
    cumulative count with a profiled target.
    """
    monthly = make_kpi()
    quarterly = make_kpi(frequency=Kpi.Frequency.QUARTERLY)
    annual = make_kpi(frequency=Kpi.Frequency.ANNUAL, polarity="lower")
    rate = make_kpi(accumulation=Kpi.Accumulation.CUMULATIVE, numerator_label="Answered",
                    denominator_label="Received")
    profiled = make_kpi(accumulation=Kpi.Accumulation.CUMULATIVE, unit=Kpi.Unit.NUMBER)
    for year in (2013, 2014):
        for kpi in (monthly, quarterly, annual, rate):
            make_target(kpi, "85", year=year)
        target = make_target(profiled, "1200", year=year)
        TargetProfile.objects.create(target=target, period=6, value=Decimal("600"))
    make_target(monthly, "95", year=2014, effective_from=7)

    for period in Period.range(Period.parse("2013-04"), Period.parse("2014-12")):
        step = Decimal(period.index % 7)
        make_value(monthly, period, 80 + step)
        make_value(rate, period, None, numerator=40 + step, denominator=50)
        make_value(profiled, period, 100 * period.number - step)
        if period.is_quarter_end:
            make_value(quarterly, period, 84 + step)
        if period.number == 12:
            make_value(annual, period, 90 - step)
    return [monthly, quarterly, annual, rate, profiled]


def shown(row, *, trend=True):
    """What a page shows of a row, with the record and target by identity."""
    facts = (row.period, row.record and row.record.pk, row.actual, row.target and row.target.pk,
             row.target_value, row.rating)
    return facts + ((row.direction_previous, row.direction_last_year, row.trend) if trend else ())


def test_rows_only_matches_whole_window(make_kpi, make_target, make_value):
    kpis = mixed_kpis(make_kpi, make_target, make_value)

    for code in ("2014-05", "2014-06", "2014-09", "2014-10", "2014-12"):
        period = Period.parse(code)
        whole = Scorecard(kpis, period).rows()
        lean = Scorecard(kpis, period, rows_only=True).rows()
        assert [shown(row) for row in lean] == [shown(row) for row in whole], code
        assert any(row.trend[0][1] is not None for row in lean)


def test_rows_without_trend_keep_rating_and_compare_nothing(make_kpi, make_target, make_value):
    kpis = mixed_kpis(make_kpi, make_target, make_value)
    period = Period.parse("2014-10")

    whole = Scorecard(kpis, period).rows()
    lean = Scorecard(kpis, period, with_trend=False, rows_only=True).rows()

    assert [shown(row, trend=False) for row in lean] == [shown(row, trend=False) for row in whole]
    assert {row.direction_previous for row in lean} == {rag.Direction.NOT_COMPARABLE}
    assert {row.direction_last_year for row in lean} == {rag.Direction.NOT_COMPARABLE}
    assert all(row.trend == [] for row in lean)


def test_rows_only_keeps_records_of_reporting_and_chosen_periods(make_kpi, make_target, make_value):
    kpi = make_kpi(frequency=Kpi.Frequency.QUARTERLY)
    make_target(kpi, "85")
    june = make_value(kpi, "2014-06", "90", commentary="Ahead of plan")
    make_value(kpi, "2014-03", "80")
    august = Period.parse("2014-08")

    scorecard = Scorecard([kpi], august, rows_only=True)

    assert scorecard.row(kpi).record == june
    assert scorecard.row(kpi).record.commentary == "Ahead of plan"
    # The previous quarter only feeds the direction, so it is not kept as a record.
    assert scorecard.record(kpi, Period.parse("2014-03")) is None
    assert scorecard.row(kpi).direction_previous == rag.Direction.IMPROVING


def test_rating_matches_row(make_kpi, make_target, make_value):
    kpis = mixed_kpis(make_kpi, make_target, make_value)
    scorecard = Scorecard(kpis, Period.parse("2014-09"), with_trend=False, rows_only=True)

    assert [scorecard.rating(kpi) for kpi in kpis] == [row.rating for row in scorecard.rows()]


def test_rows_only_queries_constant(make_kpi, make_target, make_value, django_assert_num_queries):
    small = mixed_kpis(make_kpi, make_target, make_value)
    large = small + mixed_kpis(make_kpi, make_target, make_value) + mixed_kpis(make_kpi, make_target, make_value)

    for kpis in (small, large):
        with django_assert_num_queries(3):
            Scorecard(kpis, SEPTEMBER, rows_only=True).rows()


def test_reported_only_leaves_out_drafts(make_kpi, make_target, make_value):
    kpi = make_kpi()
    make_target(kpi, "85")
    make_value(kpi, SEPTEMBER, "70", status=KpiValue.Status.DRAFT)

    assert Scorecard([kpi], SEPTEMBER, reported_only=True).row(kpi).rating == rag.Rating.NO_DATA
    assert Scorecard([kpi], SEPTEMBER).row(kpi).rating == rag.Rating.RED


def test_reported_only_keeps_submitted(make_kpi, make_target, make_value):
    kpi = make_kpi()
    make_target(kpi, "85")
    make_value(kpi, SEPTEMBER, "70", status=KpiValue.Status.SUBMITTED)
    assert Scorecard([kpi], SEPTEMBER, reported_only=True).row(kpi).rating == rag.Rating.RED


def test_dashboard_hides_draft_values(client_for, officer, make_kpi, make_target, make_value):
    kpi = make_kpi("DR01", name="Draft measure")
    make_target(kpi, "85")
    make_value(kpi, SEPTEMBER, "12.3", status=KpiValue.Status.DRAFT)
    html = client_for(officer).get(reverse("reporting:dashboard"), {"period": "2014-09"}).content.decode()
    assert "Draft measure" in html
    assert "12.3%" not in html
