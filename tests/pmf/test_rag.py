from datetime import date, timedelta
from decimal import Decimal

import pytest

from pmf.rag import (
    DEFAULT_TOLERANCE,
    DeliveryStatus,
    Direction,
    InvalidNumber,
    Polarity,
    Rating,
    aggregate_rate,
    cumulative_to_date,
    direction_of_travel,
    format_value,
    needs_explanation,
    profiled_target,
    quarter_end_position,
    rate,
    rate_action,
    round_half_up,
    to_decimal,
)

D = Decimal
GREEN, AMBER, RED = Rating.GREEN, Rating.AMBER, Rating.RED
HIGHER, LOWER, RANGE, MONITOR = Polarity.HIGHER, Polarity.LOWER, Polarity.RANGE, Polarity.MONITOR


def test_default_tolerance_is_five_percent():
    assert DEFAULT_TOLERANCE == D("0.05")


@pytest.mark.parametrize(
    ("member", "value", "label"),
    [
        (Rating.GREEN, "green", "Green"),
        (Rating.AMBER, "amber", "Amber"),
        (Rating.RED, "red", "Red"),
        (Rating.NO_DATA, "no_data", "No data"),
        (Rating.NOT_RATED, "not_rated", "Not rated"),
        (Polarity.HIGHER, "higher", "Higher is better"),
        (Polarity.LOWER, "lower", "Lower is better"),
        (Polarity.RANGE, "range", "Within a range"),
        (Polarity.MONITOR, "monitor", "Monitor only"),
        (Direction.IMPROVING, "improving", "Improving"),
        (Direction.WORSENING, "worsening", "Worsening"),
        (Direction.NO_CHANGE, "no_change", "No change"),
        (Direction.UP, "up", "Up"),
        (Direction.DOWN, "down", "Down"),
        (Direction.NOT_COMPARABLE, "not_comparable", "Not comparable"),
        (DeliveryStatus.NOT_STARTED, "not_started", "Not started"),
        (DeliveryStatus.IN_PROGRESS, "in_progress", "In progress"),
        (DeliveryStatus.DELIVERED, "delivered", "Delivered"),
        (DeliveryStatus.CANCELLED, "cancelled", "Cancelled"),
    ],
)
def test_enum_values_and_labels(member, value, label):
    assert member == value
    assert str(member) == value
    assert type(member)(value) is member
    assert member.label == label


def test_choices_pairs_values_with_labels():
    assert Rating.choices() == [
        ("green", "Green"),
        ("amber", "Amber"),
        ("red", "Red"),
        ("no_data", "No data"),
        ("not_rated", "Not rated"),
    ]


@pytest.mark.parametrize(
    ("actual", "target", "tolerance", "expected"),
    [
        # Target 85, default tolerance 0.05: the Amber band runs from 80.75 up to 85.
        ("90", "85", DEFAULT_TOLERANCE, GREEN),
        ("85", "85", DEFAULT_TOLERANCE, GREEN),
        ("85.00", "85", DEFAULT_TOLERANCE, GREEN),
        ("84.99", "85", DEFAULT_TOLERANCE, AMBER),
        ("84.999", "85", DEFAULT_TOLERANCE, AMBER),
        ("80.75", "85", DEFAULT_TOLERANCE, AMBER),
        ("80.7499999", "85", DEFAULT_TOLERANCE, RED),
        ("80.74", "85", DEFAULT_TOLERANCE, RED),
        ("0", "85", DEFAULT_TOLERANCE, RED),
        # Tolerance 0: anything below target is Red.
        ("85", "85", "0", GREEN),
        ("84.99", "85", "0", RED),
        # Tolerance 0.10: the band runs down to 76.5.
        ("76.5", "85", "0.10", AMBER),
        ("76.49", "85", "0.10", RED),
        # Tolerance 0.01: the band runs down to 84.15.
        ("84.15", "85", "0.01", AMBER),
        ("84.14", "85", "0.01", RED),
        # Negative target: the band width uses |target|, so 0.5 below -10.
        ("-9", "-10", DEFAULT_TOLERANCE, GREEN),
        ("-10", "-10", DEFAULT_TOLERANCE, GREEN),
        ("-10.5", "-10", DEFAULT_TOLERANCE, AMBER),
        ("-10.51", "-10", DEFAULT_TOLERANCE, RED),
        # Zero target: zero-width band.
        ("0", "0", DEFAULT_TOLERANCE, GREEN),
        ("1", "0", DEFAULT_TOLERANCE, GREEN),
        ("-0.0001", "0", DEFAULT_TOLERANCE, RED),
    ],
)
def test_rate_higher_is_better(actual, target, tolerance, expected):
    assert rate(D(actual), polarity=HIGHER, target=D(target), tolerance=D(tolerance)) is expected


@pytest.mark.parametrize(
    ("actual", "target", "tolerance", "expected"),
    [
        # Target 20, default tolerance 0.05: the Amber band runs from 20 up to 21.
        ("15", "20", DEFAULT_TOLERANCE, GREEN),
        ("20", "20", DEFAULT_TOLERANCE, GREEN),
        ("20.01", "20", DEFAULT_TOLERANCE, AMBER),
        ("21", "20", DEFAULT_TOLERANCE, AMBER),
        ("21.0000001", "20", DEFAULT_TOLERANCE, RED),
        ("21.01", "20", DEFAULT_TOLERANCE, RED),
        # Tolerance 0: anything above target is Red.
        ("20", "20", "0", GREEN),
        ("20.01", "20", "0", RED),
        # Tolerance 0.10: the band runs up to 22.
        ("22", "20", "0.10", AMBER),
        ("22.01", "20", "0.10", RED),
        # Tolerance 0.01: the band runs up to 20.2.
        ("20.2", "20", "0.01", AMBER),
        ("20.21", "20", "0.01", RED),
        # Negative target: the band width uses |target|, so 0.5 above -10.
        ("-11", "-10", DEFAULT_TOLERANCE, GREEN),
        ("-10", "-10", DEFAULT_TOLERANCE, GREEN),
        ("-9.5", "-10", DEFAULT_TOLERANCE, AMBER),
        ("-9.49", "-10", DEFAULT_TOLERANCE, RED),
        # Zero target: zero-width band, so any value above 0 is Red.
        ("0", "0", DEFAULT_TOLERANCE, GREEN),
        ("-1", "0", DEFAULT_TOLERANCE, GREEN),
        ("0.0001", "0", DEFAULT_TOLERANCE, RED),
        ("1", "0", "0.50", RED),
    ],
)
def test_rate_lower_is_better(actual, target, tolerance, expected):
    assert rate(D(actual), polarity=LOWER, target=D(target), tolerance=D(tolerance)) is expected


@pytest.mark.parametrize(
    ("actual", "lower", "upper", "tolerance", "expected"),
    [
        # Range 10 to 20, tolerance 0.05: Amber from 9.5 below and up to 21 above.
        ("15", "10", "20", DEFAULT_TOLERANCE, GREEN),
        ("10", "10", "20", DEFAULT_TOLERANCE, GREEN),
        ("20", "10", "20", DEFAULT_TOLERANCE, GREEN),
        ("9.99", "10", "20", DEFAULT_TOLERANCE, AMBER),
        ("9.5", "10", "20", DEFAULT_TOLERANCE, AMBER),
        ("9.49", "10", "20", DEFAULT_TOLERANCE, RED),
        ("20.01", "10", "20", DEFAULT_TOLERANCE, AMBER),
        ("21", "10", "20", DEFAULT_TOLERANCE, AMBER),
        ("21.01", "10", "20", DEFAULT_TOLERANCE, RED),
        # Tolerance 0: outside the range is Red.
        ("9.99", "10", "20", "0", RED),
        ("20.01", "10", "20", "0", RED),
        # Tolerance 0.10: 9 and 22 are the band edges.
        ("9", "10", "20", "0.10", AMBER),
        ("8.99", "10", "20", "0.10", RED),
        ("22", "10", "20", "0.10", AMBER),
        ("22.01", "10", "20", "0.10", RED),
        # Tolerance 0.01: 9.9 and 20.2 are the band edges.
        ("9.9", "10", "20", "0.01", AMBER),
        ("9.89", "10", "20", "0.01", RED),
        ("20.2", "10", "20", "0.01", AMBER),
        ("20.21", "10", "20", "0.01", RED),
        # A zero bound has a zero-width band.
        ("-0.01", "0", "5", DEFAULT_TOLERANCE, RED),
        # Negative bounds use their absolute value for the band width.
        ("-10.5", "-10", "-5", DEFAULT_TOLERANCE, AMBER),
        ("-10.51", "-10", "-5", DEFAULT_TOLERANCE, RED),
        ("-4.75", "-10", "-5", DEFAULT_TOLERANCE, AMBER),
        ("-4.74", "-10", "-5", DEFAULT_TOLERANCE, RED),
        # A range of one value.
        ("7", "7", "7", DEFAULT_TOLERANCE, GREEN),
    ],
)
def test_rate_within_range(actual, lower, upper, tolerance, expected):
    rating = rate(D(actual), polarity=RANGE, lower=D(lower), upper=D(upper), tolerance=D(tolerance))

    assert rating is expected


@pytest.mark.parametrize(
    ("actual", "target", "lower", "upper"),
    [("50", "85", None, None), (None, "85", None, None), ("15", None, "10", "20"), (None, None, None, None)],
)
def test_rate_monitor_only_is_not_rated(actual, target, lower, upper):
    assert rate(actual, polarity=MONITOR, target=target, lower=lower, upper=upper) is Rating.NOT_RATED


@pytest.mark.parametrize(
    ("polarity", "target", "lower", "upper"),
    [(HIGHER, "85", None, None), (LOWER, "20", None, None), (RANGE, None, "10", "20")],
)
@pytest.mark.parametrize("actual", [None, "", "   "])
def test_rate_missing_actual_is_no_data(polarity, target, lower, upper, actual):
    assert rate(actual, polarity=polarity, target=target, lower=lower, upper=upper) is Rating.NO_DATA


@pytest.mark.parametrize(
    ("actual", "polarity", "target", "lower", "upper"),
    [
        ("80", HIGHER, None, None, None),
        ("80", LOWER, None, None, None),
        ("80", HIGHER, "", None, None),
        ("15", RANGE, None, None, "20"),
        ("15", RANGE, None, "10", None),
        ("15", RANGE, "15", None, None),
        # A missing target wins over a missing actual.
        (None, HIGHER, None, None, None),
        (None, RANGE, None, "10", None),
    ],
)
def test_rate_missing_target_is_not_rated(actual, polarity, target, lower, upper):
    assert rate(actual, polarity=polarity, target=target, lower=lower, upper=upper) is Rating.NOT_RATED


def test_rate_accepts_text_values_and_polarity():
    assert rate("80.75", polarity="higher", target="85") is AMBER
    assert rate("1,000", polarity="lower", target="1,000", tolerance="0") is GREEN


@pytest.mark.parametrize(("actual", "target"), [("11.7", "13"), ("18.9", "21")])
def test_rate_avoids_float_band_error(actual, target):
    # With binary floats the band edge target * (1 - 0.1) lands just above the exact
    # edge, so a value exactly on the edge would be rated Red instead of Amber.
    assert float(target) * (1 - 0.1) > float(actual)

    assert rate(actual, polarity=HIGHER, target=target, tolerance="0.10") is AMBER


def test_rate_target_85_edge_from_text():
    assert rate("80.75", polarity=HIGHER, target="85") is AMBER
    assert rate("80.74", polarity=HIGHER, target="85") is RED


@pytest.mark.parametrize("tolerance", [D("-0.01"), "-0.05", None])
def test_rate_rejects_invalid_tolerance(tolerance):
    with pytest.raises(ValueError, match="Invalid tolerance"):
        rate("80", polarity=HIGHER, target="85", tolerance=tolerance)


def test_rate_rejects_inverted_range():
    with pytest.raises(ValueError, match="Invalid range 20 to 10"):
        rate("15", polarity=RANGE, lower="20", upper="10")


def test_rate_rejects_float_actual():
    with pytest.raises(TypeError):
        rate(80.75, polarity=HIGHER, target="85")


def test_rate_rejects_unknown_polarity():
    with pytest.raises(ValueError):
        rate("80", polarity="sideways", target="85")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234", D("1234")),
        ("1,234,567.89", D("1234567.89")),
        (" 12 ", D("12")),
        ("\t12\n", D("12")),
        ("\u00a012\u00a0", D("12")),
        ("-3.5", D("-3.5")),
        ("+2", D("2")),
        ("-1,000", D("-1000")),
        ("0", D("0")),
        ("0.5", D("0.5")),
        (".5", D("0.5")),
        ("5.", D("5")),
        ("123456", D("123456")),
        ("80.75", D("80.75")),
    ],
)
def test_to_decimal_accepts_text(text, expected):
    assert to_decimal(text) == expected


def test_to_decimal_keeps_exact_digits():
    assert str(to_decimal("1.10")) == "1.10"
    assert str(to_decimal(D("80.750"))) == "80.750"


@pytest.mark.parametrize("value", [None, "", "   ", "\t"])
def test_to_decimal_missing_is_none(value):
    assert to_decimal(value) is None


def test_to_decimal_accepts_int_and_decimal():
    assert to_decimal(5) == D(5)
    assert to_decimal(-7) == D(-7)
    assert to_decimal(D("2.5")) == D("2.5")


@pytest.mark.parametrize("text", ["80,75", "1,23", "12,3456", "1.234,5", "-0,5"])
def test_to_decimal_rejects_decimal_comma(text):
    with pytest.raises(InvalidNumber) as raised:
        to_decimal(text)

    assert repr(text) in str(raised.value)
    assert "decimal comma is not accepted" in str(raised.value)


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "NaN",
        "nan",
        "Infinity",
        "-inf",
        "1.2.3",
        "1e3",
        "1 234",
        "1,2345.6",
        "1,234,5",
        ",123",
        "12,",
        "--1",
        "+-1",
        "£5",
        "5%",
        ".",
        "-",
    ],
)
def test_to_decimal_rejects_invalid_text(text):
    with pytest.raises(InvalidNumber) as raised:
        to_decimal(text)

    assert repr(text) in str(raised.value)


def test_invalid_number_is_a_value_error():
    assert issubclass(InvalidNumber, ValueError)


@pytest.mark.parametrize("value", [D("NaN"), D("Infinity"), D("-Infinity"), D("sNaN")])
def test_to_decimal_rejects_non_finite_decimal(value):
    with pytest.raises(InvalidNumber):
        to_decimal(value)


@pytest.mark.parametrize("value", [0.1, 80.75, 1.0, True, False, [1], object()])
def test_to_decimal_rejects_float_bool_and_others(value):
    with pytest.raises(TypeError):
        to_decimal(value)


def test_to_decimal_sum_is_exact():
    assert 0.1 + 0.2 != 0.3
    assert to_decimal("0.1") + to_decimal("0.2") == D("0.3")


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (D("2.675"), 2, D("2.68")),
        ("0.125", 2, D("0.13")),
        ("0.5", 0, D("1")),
        ("1.5", 0, D("2")),
        ("2.5", 0, D("3")),
        ("-2.5", 0, D("-3")),
        ("1.005", 2, D("1.01")),
        ("1.2345", 3, D("1.235")),
        ("1.2344", 3, D("1.234")),
        ("80.745", 2, D("80.75")),
        ("7", 2, D("7.00")),
        ("1234.5", 0, D("1235")),
    ],
)
def test_round_half_up(value, places, expected):
    result = round_half_up(value, places)

    assert result == expected
    assert result.as_tuple().exponent == -places


def test_round_half_up_differs_from_float_round():
    assert round(2.675, 2) == 2.67
    assert round_half_up(D("2.675"), 2) == D("2.68")


def test_round_half_up_rejects_negative_places():
    with pytest.raises(ValueError, match="decimal places"):
        round_half_up(D("1"), -1)


def test_round_half_up_rejects_missing_value():
    with pytest.raises(ValueError, match="Missing value None"):
        round_half_up(None, 2)


@pytest.mark.parametrize(
    ("value", "places", "unit", "expected"),
    [
        (D("1234.5"), 1, "", "1,234.5"),
        ("1234.45", 1, "", "1,234.5"),
        ("2.675", 2, "", "2.68"),
        ("999.5", 0, "", "1,000"),
        ("1234567.891", 2, "", "1,234,567.89"),
        ("-1234567.891", 1, "", "-1,234,567.9"),
        ("12", 2, "", "12.00"),
        ("0", 0, "", "0"),
        ("-0.001", 2, "", "0.00"),
        ("80.745", 2, "%", "80.75%"),
        ("80.745", 1, "percentage", "80.7%"),
        ("98.5", 0, "Percentage", "99%"),
        ("1234567.891", 2, "£", "£1,234,567.89"),
        ("-1234.5", 0, "£", "-£1,235"),
        ("12", 0, "days", "12"),
    ],
)
def test_format_value(value, places, unit, expected):
    assert format_value(value, places, unit=unit) == expected


@pytest.mark.parametrize("unit", ["", "%", "£"])
def test_format_value_missing_is_en_dash(unit):
    assert format_value(None, 2, unit=unit) == "\u2013"


@pytest.mark.parametrize(
    ("pairs", "multiplier", "expected"),
    [
        ([(D(1), D(2)), (D(99), D(100))], D(100), D(10000) / D(102)),
        ([(D(1), D(2)), (None, D(100)), (D(5), None), (D(3), D(4))], D(100), D(400) / D(6)),
        ([("5", "10")], D(1), D("0.5")),
        ([(D(0), D(10))], D(100), D(0)),
        ([(D(30), D(40)), (D(10), D(60))], D(1000), D(400)),
        ([], D(100), None),
        ([(None, None)], D(100), None),
        ([(D(1), None), (None, D(2))], D(100), None),
        ([(D(0), D(0))], D(100), None),
        ([(D(5), D(0))], D(100), None),
    ],
)
def test_aggregate_rate(pairs, multiplier, expected):
    assert aggregate_rate(pairs, multiplier=multiplier) == expected


def test_aggregate_rate_never_averages_percentages():
    result = aggregate_rate([(D(1), D(2)), (D(99), D(100))])

    assert round_half_up(result, 3) == D("98.039")
    assert result != D("74.5")


def test_aggregate_rate_accepts_a_generator():
    pairs = ((D(n), D(10)) for n in range(1, 4))

    assert aggregate_rate(pairs) == D(20)


MONTHLY = {1: D(10), 2: D(20), 3: D(30), 4: D(40), 5: None, 6: D(60), 12: D(120)}


@pytest.mark.parametrize(
    ("values", "quarter_number", "expected"),
    [
        (MONTHLY, 1, D(30)),
        (MONTHLY, 2, D(60)),
        (MONTHLY, 4, D(120)),
        # Q3 has no December value, and October and November are never used instead.
        ({7: D(70), 8: D(80)}, 3, None),
        ({7: D(70), 8: D(80), 9: None}, 3, None),
        ({}, 1, None),
    ],
)
def test_quarter_end_position(values, quarter_number, expected):
    assert quarter_end_position(values, quarter_number) == expected


@pytest.mark.parametrize("quarter_number", [0, 5])
def test_quarter_end_position_rejects_invalid_quarter(quarter_number):
    with pytest.raises(ValueError, match="quarter number"):
        quarter_end_position(MONTHLY, quarter_number)


@pytest.mark.parametrize(
    ("values", "period_number", "expected"),
    [
        (MONTHLY, 1, D(10)),
        (MONTHLY, 3, D(60)),
        (MONTHLY, 4, D(100)),
        # May is missing, so the year to date from May onwards is unknown.
        (MONTHLY, 5, None),
        (MONTHLY, 6, None),
        ({1: D("0.1"), 2: D("0.2")}, 2, D("0.3")),
        ({2: D(20)}, 2, None),
        ({}, 1, None),
        ({n: D(1) for n in range(1, 13)}, 12, D(12)),
    ],
)
def test_cumulative_to_date(values, period_number, expected):
    assert cumulative_to_date(values, period_number) == expected


@pytest.mark.parametrize("period_number", [0, 13])
def test_cumulative_to_date_rejects_invalid_period(period_number):
    with pytest.raises(ValueError, match="period number"):
        cumulative_to_date(MONTHLY, period_number)


@pytest.mark.parametrize(
    ("annual", "profile", "period_number", "expected"),
    [
        (D(100), {1: D(8), 2: D(16)}, 2, D(16)),
        (D(100), {1: D(8), 2: D(16)}, 3, D(100)),
        (D(100), {1: D(8), 2: None}, 2, D(100)),
        (D(100), {3: D(0)}, 3, D(0)),
        (D(100), None, 5, D(100)),
        (D(100), {}, 5, D(100)),
        (None, {6: D(50)}, 6, D(50)),
        (None, None, 6, None),
    ],
)
def test_profiled_target(annual, profile, period_number, expected):
    assert profiled_target(annual, profile, period_number) == expected


def test_profiled_target_rejects_invalid_period():
    with pytest.raises(ValueError, match="period number"):
        profiled_target(D(100), None, 13)


TODAY = date(2025, 6, 10)
YESTERDAY = TODAY - timedelta(days=1)
TOMORROW = TODAY + timedelta(days=1)
NOT_STARTED = DeliveryStatus.NOT_STARTED
IN_PROGRESS = DeliveryStatus.IN_PROGRESS
DELIVERED = DeliveryStatus.DELIVERED
CANCELLED = DeliveryStatus.CANCELLED


@pytest.mark.parametrize(
    ("status", "owner_rating", "start_on", "end_on", "expected"),
    [
        # A start date that has passed while the action is not started forces Red.
        (NOT_STARTED, GREEN, YESTERDAY, None, RED),
        (NOT_STARTED, GREEN, TODAY, None, GREEN),
        (NOT_STARTED, GREEN, TOMORROW, TOMORROW, GREEN),
        (NOT_STARTED, None, None, None, Rating.NO_DATA),
        (IN_PROGRESS, GREEN, YESTERDAY, None, GREEN),
        # An end date that has passed before delivery forces Red.
        (IN_PROGRESS, GREEN, YESTERDAY, YESTERDAY, RED),
        (IN_PROGRESS, GREEN, YESTERDAY, TODAY, GREEN),
        (IN_PROGRESS, None, None, YESTERDAY, RED),
        (NOT_STARTED, AMBER, TOMORROW, YESTERDAY, RED),
        # Delivered is Green and cancelled is not rated, whatever the dates and owner rating.
        (DELIVERED, RED, YESTERDAY, YESTERDAY, GREEN),
        (DELIVERED, None, None, None, GREEN),
        (CANCELLED, RED, YESTERDAY, YESTERDAY, Rating.NOT_RATED),
        (CANCELLED, None, None, None, Rating.NOT_RATED),
        # Otherwise the owner's rating applies.
        (IN_PROGRESS, AMBER, YESTERDAY, TOMORROW, AMBER),
        (IN_PROGRESS, RED, None, None, RED),
        (IN_PROGRESS, None, YESTERDAY, TOMORROW, Rating.NO_DATA),
        (IN_PROGRESS, Rating.NO_DATA, None, None, Rating.NO_DATA),
        ("in_progress", "amber", None, None, AMBER),
    ],
)
def test_rate_action(status, owner_rating, start_on, end_on, expected):
    rating = rate_action(status=status, owner_rating=owner_rating, start_on=start_on, end_on=end_on, today=TODAY)

    assert rating is expected


def test_rate_action_rejects_not_rated_owner_rating():
    with pytest.raises(ValueError, match="owner rating"):
        rate_action(status=IN_PROGRESS, owner_rating=Rating.NOT_RATED, start_on=None, end_on=None, today=TODAY)


@pytest.mark.parametrize(
    ("rating", "expected"),
    [(AMBER, True), (RED, True), (GREEN, False), (Rating.NO_DATA, False), (Rating.NOT_RATED, False), ("red", True)],
)
def test_needs_explanation(rating, expected):
    assert needs_explanation(rating) is expected


@pytest.mark.parametrize(
    ("current", "previous", "polarity", "expected"),
    [
        ("86", "85", HIGHER, Direction.IMPROVING),
        ("84", "85", HIGHER, Direction.WORSENING),
        ("85", "85", HIGHER, Direction.NO_CHANGE),
        ("85.0", "85", HIGHER, Direction.NO_CHANGE),
        ("19", "20", LOWER, Direction.IMPROVING),
        ("21", "20", LOWER, Direction.WORSENING),
        ("20", "20", LOWER, Direction.NO_CHANGE),
        ("21", "20", MONITOR, Direction.UP),
        ("19", "20", MONITOR, Direction.DOWN),
        ("20", "20", MONITOR, Direction.NO_CHANGE),
        ("-5", "-10", HIGHER, Direction.IMPROVING),
        (None, "85", HIGHER, Direction.NOT_COMPARABLE),
        ("85", None, LOWER, Direction.NOT_COMPARABLE),
        (None, None, MONITOR, Direction.NOT_COMPARABLE),
        ("85", "", HIGHER, Direction.NOT_COMPARABLE),
        (D("85.01"), D("85"), "higher", Direction.IMPROVING),
    ],
)
def test_direction_of_travel(current, previous, polarity, expected):
    assert direction_of_travel(current, previous, polarity=polarity) is expected


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [
        # Range 10 to 20: the distance outside the range decides, and is 0 inside.
        ("15", "25", Direction.IMPROVING),
        ("25", "15", Direction.WORSENING),
        ("12", "18", Direction.NO_CHANGE),
        ("8", "22", Direction.NO_CHANGE),
        ("9", "22", Direction.IMPROVING),
        ("23", "9", Direction.WORSENING),
        ("21", "22", Direction.IMPROVING),
        ("8", "9", Direction.WORSENING),
        ("10", "9.99", Direction.IMPROVING),
        (None, "15", Direction.NOT_COMPARABLE),
    ],
)
def test_direction_of_travel_within_range(current, previous, expected):
    assert direction_of_travel(current, previous, polarity=RANGE, lower="10", upper="20") is expected


@pytest.mark.parametrize(("lower", "upper"), [(None, "20"), ("10", None), (None, None)])
def test_direction_of_travel_range_without_bounds(lower, upper):
    assert direction_of_travel("15", "25", polarity=RANGE, lower=lower, upper=upper) is Direction.NOT_COMPARABLE
