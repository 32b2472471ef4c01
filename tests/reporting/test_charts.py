from decimal import Decimal

import pytest

from pmf import rag
from pmf.rag import amber_band
from reporting.charts import TrendPoint, figure_html, kpi_trend_figure, sparkline_svg

STEP = Decimal("0.000001")
GREEN, AMBER, RED = rag.Rating.GREEN, rag.Rating.AMBER, rag.Rating.RED


def rate(value, polarity, **target):
    return rag.rate(value, polarity=polarity, **target)


def test_amber_band_worked_example():
    assert amber_band("higher", target=Decimal(85), tolerance=Decimal("0.05")) == [
        (Decimal("80.75"), Decimal(85))
    ]


@pytest.mark.parametrize("target", ["85", "0.5", "1200", "-10", "0"])
@pytest.mark.parametrize("tolerance", ["0.05", "0.1", "0"])
def test_higher_band_edges_match_rag(target, tolerance):
    target, tolerance = Decimal(target), Decimal(tolerance)
    [(low, high)] = amber_band("higher", target=target, tolerance=tolerance)
    rules = {"target": target, "tolerance": tolerance}

    assert high == target
    assert rate(high, "higher", **rules) is GREEN
    assert rate(low - STEP, "higher", **rules) is RED
    assert rate(low, "higher", **rules) is (AMBER if low < high else GREEN)


@pytest.mark.parametrize("target", ["20", "0.5", "-10", "0"])
@pytest.mark.parametrize("tolerance", ["0.05", "0.2"])
def test_lower_band_edges_match_rag(target, tolerance):
    target, tolerance = Decimal(target), Decimal(tolerance)
    [(low, high)] = amber_band("lower", target=target, tolerance=tolerance)
    rules = {"target": target, "tolerance": tolerance}

    assert low == target
    assert rate(low, "lower", **rules) is GREEN
    assert rate(high + STEP, "lower", **rules) is RED
    assert rate(high, "lower", **rules) is (AMBER if low < high else GREEN)


def test_lower_band_of_target_20():
    assert amber_band("lower", target=Decimal(20)) == [(Decimal(20), Decimal(21))]


def test_zero_target_has_zero_band():
    assert amber_band("lower", target=Decimal(0)) == [(Decimal(0), Decimal(0))]
    assert rate(STEP, "lower", target=Decimal(0)) is RED


def test_range_has_two_bands():
    bounds = {"lower": Decimal(10), "upper": Decimal(20), "tolerance": Decimal("0.1")}
    below, above = amber_band("range", **bounds)

    assert below == (Decimal(9), Decimal(10))
    assert above == (Decimal(20), Decimal(22))
    assert rate(Decimal(9), "range", **bounds) is AMBER
    assert rate(Decimal(9) - STEP, "range", **bounds) is RED
    assert rate(Decimal(10) - STEP, "range", **bounds) is AMBER
    assert rate(Decimal(22), "range", **bounds) is AMBER
    assert rate(Decimal(22) + STEP, "range", **bounds) is RED


@pytest.mark.parametrize(
    ("polarity", "bounds"),
    [
        ("monitor", {"target": Decimal(5)}),
        ("higher", {}),
        ("lower", {}),
        ("range", {"lower": Decimal(1)}),
    ],
)
def test_no_band_without_target(polarity, bounds):
    assert amber_band(polarity, **bounds) == []


def higher_points():
    band = (Decimal("80.75"), Decimal(85))
    return [
        TrendPoint("Jul 2014", Decimal(86), (Decimal(85),), (band,)),
        TrendPoint("Aug 2014", None, (Decimal(85),), (band,)),
        TrendPoint("Sep 2014", Decimal("80.75"), (Decimal(85),), (band,)),
    ]


def test_figure_has_actual_target_and_band():
    figure = kpi_trend_figure(higher_points(), value_title="Percentage")
    traces = {trace.name: trace for trace in figure.data}

    assert traces["Actual"].mode == "lines+markers"
    assert list(traces["Actual"].y) == [86.0, None, 80.75]
    assert list(traces["Actual"].x) == ["Jul 2014", "Aug 2014", "Sep 2014"]
    assert list(traces["Target"].y) == [85.0, 85.0, 85.0]
    assert traces["Amber tolerance band"].fill == "tonexty"
    assert list(traces["Amber tolerance band"].y) == [85.0, 85.0, 85.0]
    assert list(traces["Amber band edge"].y) == [80.75, 80.75, 80.75]
    assert figure.layout.yaxis.title.text == "Percentage"


def test_band_edge_precedes_its_fill():
    names = [trace.name for trace in kpi_trend_figure(higher_points()).data]

    assert names.index("Amber band edge") + 1 == names.index("Amber tolerance band")


def test_range_figure_draws_both_bands():
    bands = ((Decimal(9), Decimal(10)), (Decimal(20), Decimal(22)))
    points = [TrendPoint("Apr 2014", Decimal(15), (Decimal(10), Decimal(20)), bands)]

    figure = kpi_trend_figure(points, target_names=("Range bottom", "Range top"))
    names = [trace.name for trace in figure.data]

    assert names.count("Amber tolerance band") == 2
    assert "Range bottom" in names
    assert "Range top" in names


def test_figure_without_targets_has_actual_only():
    figure = kpi_trend_figure([TrendPoint("Apr 2014", Decimal(3))])

    assert [trace.name for trace in figure.data] == ["Actual"]


def test_figure_html_escapes_labels_without_cdn():
    points = [TrendPoint("</script><script>alert(1)</script>", Decimal(1))]

    html = figure_html(kpi_trend_figure(points))

    assert "Plotly.newPlot" in html
    assert "<script src" not in html
    assert "cdn" not in html.lower()
    assert "</script><script>alert(1)" not in html


def test_sparkline_breaks_at_missing_value():
    svg = sparkline_svg([Decimal(1), Decimal(2), None, Decimal(3), Decimal(4)], description="Trend")

    assert svg.count("<polyline") == 2
    assert svg.count("<circle") == 1


def test_sparkline_highest_value_on_top():
    svg = sparkline_svg([Decimal(10), Decimal(30)], description="Trend")

    points = svg.split('points="')[1].split('"')[0].split()
    first_y, last_y = (float(point.split(",")[1]) for point in points)
    assert last_y < first_y


def test_sparkline_has_escaped_text_alternative():
    svg = sparkline_svg([Decimal(1)], description="Trend: Apr 2014 <b>1</b>")

    assert 'role="img"' in svg
    assert 'aria-label="Trend: Apr 2014 &lt;b&gt;1&lt;/b&gt;"' in svg
    assert "<title>Trend: Apr 2014 &lt;b&gt;1&lt;/b&gt;</title>" in svg


def test_sparkline_of_nothing_is_empty():
    svg = sparkline_svg([None, None], description="No values")

    assert "<polyline" not in svg
    assert "<circle" not in svg
