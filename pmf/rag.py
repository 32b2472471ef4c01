"""RAG (Red, Amber, Green) rating engine for KPIs and actions.

All arithmetic is on Decimal. Values never pass through binary floats, and ratings
compare the exact stored values, never rounded ones. This module imports nothing
from Django.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

DEFAULT_TOLERANCE = Decimal("0.05")

NumberInput = str | Decimal | int | None


class _Choice(StrEnum):
    """A StrEnum whose members also carry a British English display label."""

    label: str

    def __new__(cls, value: str, label: str) -> _Choice:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """Return (value, label) pairs in the form Django model field choices use."""
        return [(member.value, member.label) for member in cls]


class Rating(_Choice):
    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"
    NO_DATA = "no_data", "No data"
    NOT_RATED = "not_rated", "Not rated"


class Polarity(_Choice):
    HIGHER = "higher", "Higher is better"
    LOWER = "lower", "Lower is better"
    RANGE = "range", "Within a range"
    MONITOR = "monitor", "Monitor only"


class Direction(_Choice):
    IMPROVING = "improving", "Improving"
    WORSENING = "worsening", "Worsening"
    NO_CHANGE = "no_change", "No change"
    UP = "up", "Up"
    DOWN = "down", "Down"
    NOT_COMPARABLE = "not_comparable", "Not comparable"


class DeliveryStatus(_Choice):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"


class InvalidNumber(ValueError):
    """Text that is not a valid number. The message names the text."""


# Digits with optional comma thousands separators in groups of three, a sign and a
# decimal point. Exponents, NaN and Infinity do not match.
_NUMBER_RE = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|[+-]?\.\d+")
_DECIMAL_COMMA_RE = re.compile(r"[+-]?[\d.]*\d,\d+")


def to_decimal(value: NumberInput) -> Decimal | None:
    """Convert text, an int or a Decimal to a Decimal, or None for a missing value.

    None and blank text are missing, never zero. Text may have surrounding spaces, a
    sign and comma thousands separators ("1,234.5"). A decimal comma ("80,75") raises
    InvalidNumber, as do NaN and Infinity. A float or bool raises TypeError.
    """
    if value is None:
        return None
    if isinstance(value, (bool, float)):
        raise TypeError(
            f"Expected text, int or Decimal, not {type(value).__name__} {value!r}. "
            "Pass the value as text, such as '0.1', because binary floats cannot store most decimals exactly."
        )
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidNumber(f"Invalid number {value}: expected a finite value")
        return value
    if isinstance(value, str):
        return _parse_number(value)
    raise TypeError(f"Expected text, int or Decimal, not {type(value).__name__}")


def _parse_number(text: str) -> Decimal | None:
    stripped = text.strip()
    if not stripped:
        return None
    if _NUMBER_RE.fullmatch(stripped):
        return Decimal(stripped.replace(",", ""))
    if _DECIMAL_COMMA_RE.fullmatch(stripped):
        raise InvalidNumber(
            f"Invalid number {text!r}: a decimal comma is not accepted. "
            "Use a decimal point, such as 80.75, and commas only between groups of three digits."
        )
    raise InvalidNumber(f"Invalid number {text!r}: expected a number such as 1,234.5 or -3")


def _to_tolerance(tolerance: NumberInput) -> Decimal:
    value = to_decimal(tolerance)
    if value is None or value < 0:
        raise ValueError(f"Invalid tolerance {tolerance!r}: expected a fraction of 0 or more, such as 0.05")
    return value


def rate(
    actual: NumberInput,
    *,
    polarity: Polarity | str,
    target: NumberInput = None,
    lower: NumberInput = None,
    upper: NumberInput = None,
    tolerance: NumberInput = DEFAULT_TOLERANCE,
) -> Rating:
    """Rate an actual value against its target, or against a range for RANGE.

    The Amber band is the tolerance times the size of the target (or of the nearer range
    bound). Higher is better, target 85, tolerance 0.05: 85 is Green, 80.75 is Amber,
    80.74 is Red. Lower is better, target 20: 21 is Amber, 21.01 is Red.

    MONITOR is always NOT_RATED. A missing target or range bound is NOT_RATED, even when
    the actual is also missing. Otherwise a missing actual is NO_DATA.
    """
    polarity = Polarity(polarity)
    if polarity is Polarity.MONITOR:
        return Rating.NOT_RATED

    band = _to_tolerance(tolerance)
    if polarity is Polarity.RANGE:
        return _rate_range(actual, to_decimal(lower), to_decimal(upper), band)

    target_value = to_decimal(target)
    if target_value is None:
        return Rating.NOT_RATED
    actual_value = to_decimal(actual)
    if actual_value is None:
        return Rating.NO_DATA

    band_width = abs(target_value) * band
    if polarity is Polarity.HIGHER:
        if actual_value >= target_value:
            return Rating.GREEN
        return Rating.AMBER if actual_value >= target_value - band_width else Rating.RED
    if actual_value <= target_value:
        return Rating.GREEN
    return Rating.AMBER if actual_value <= target_value + band_width else Rating.RED


def _rate_range(
    actual: NumberInput, lower: Decimal | None, upper: Decimal | None, band: Decimal
) -> Rating:
    if lower is None or upper is None:
        return Rating.NOT_RATED
    if lower > upper:
        raise ValueError(f"Invalid range {lower} to {upper}: the lower bound is above the upper bound")
    actual_value = to_decimal(actual)
    if actual_value is None:
        return Rating.NO_DATA

    if lower <= actual_value <= upper:
        return Rating.GREEN
    if actual_value < lower:
        within_band = actual_value >= lower - abs(lower) * band
    else:
        within_band = actual_value <= upper + abs(upper) * band
    return Rating.AMBER if within_band else Rating.RED


def amber_band(
    polarity: Polarity | str,
    *,
    target: Decimal | None = None,
    lower: Decimal | None = None,
    upper: Decimal | None = None,
    tolerance: Decimal = DEFAULT_TOLERANCE,
) -> list[tuple[Decimal, Decimal]]:
    """Return the (low, high) edges of the values that `rate` rates Amber.

    Higher is better, target 85, tolerance 0.05: [(80.75, 85)], where 85
    itself is Green. Lower is better, target 20: [(20, 21)]. A range has a
    band on each side. Monitor only, or a missing target, has no band.
    Tests check every edge against `rate`.
    """
    polarity = Polarity(polarity)
    tolerance = to_decimal(tolerance)
    if polarity is Polarity.MONITOR:
        return []
    if polarity is Polarity.RANGE:
        if lower is None or upper is None:
            return []
        return [(lower - abs(lower) * tolerance, lower), (upper, upper + abs(upper) * tolerance)]
    if target is None:
        return []
    width = abs(target) * tolerance
    if polarity is Polarity.HIGHER:
        return [(target - width, target)]
    return [(target, target + width)]


def aggregate_rate(
    pairs: Iterable[tuple[NumberInput, NumberInput]], *, multiplier: NumberInput = Decimal(100)
) -> Decimal | None:
    """Combine (numerator, denominator) pairs of a rate KPI into one rate.

    Sums the numerators and denominators of the pairs that have both and returns
    sum(numerators) / sum(denominators) * multiplier. It never averages the rates:
    1/2 and 99/100 give 100/102 * 100 = 98.04, not 74.5. Returns None when no pair is
    complete or the denominators sum to zero.
    """
    numerator_total = Decimal(0)
    denominator_total = Decimal(0)
    for numerator, denominator in pairs:
        numerator_value = to_decimal(numerator)
        denominator_value = to_decimal(denominator)
        if numerator_value is None or denominator_value is None:
            continue
        numerator_total += numerator_value
        denominator_total += denominator_value

    if denominator_total == 0:
        return None
    return numerator_total * to_decimal(multiplier) / denominator_total


def _check_number(name: str, value: int, maximum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not 1 <= value <= maximum:
        raise ValueError(f"Invalid {name} {value}: expected 1 to {maximum}")


def quarter_end_position(
    values_by_period: Mapping[int, Decimal | None], quarter_number: int
) -> Decimal | None:
    """Return the value at the quarter's last month (period 3, 6, 9 or 12).

    A quarter's rating uses that position. Cumulative KPIs store year-to-date values,
    so the same rule applies to them. A missing last month returns None (No data), and
    earlier months of the quarter are never used in its place.
    """
    _check_number("quarter number", quarter_number, 4)
    return values_by_period.get(quarter_number * 3)


def cumulative_to_date(
    values_by_period: Mapping[int, Decimal | None], period_number: int
) -> Decimal | None:
    """Sum the in-month values of periods 1 to ``period_number``.

    Returns None if any of those months is missing, because a partial sum would
    understate the year to date.
    """
    _check_number("period number", period_number, 12)
    values = [values_by_period.get(number) for number in range(1, period_number + 1)]
    if any(value is None for value in values):
        return None
    return sum(values, Decimal(0))


def profiled_target(
    annual_target: Decimal | None, profile: Mapping[int, Decimal | None] | None, period_number: int
) -> Decimal | None:
    """Return the profiled (trajectory) target for the period, or the annual target if none is set."""
    _check_number("period number", period_number, 12)
    if profile is not None and profile.get(period_number) is not None:
        return profile[period_number]
    return annual_target


_OWNER_RATINGS = frozenset({Rating.GREEN, Rating.AMBER, Rating.RED})


def rate_action(
    *,
    status: DeliveryStatus | str,
    owner_rating: Rating | str | None,
    start_on: date | None,
    end_on: date | None,
    today: date,
) -> Rating:
    """Rate an action from its delivery status, dates and the owner's own rating.

    CANCELLED is NOT_RATED and DELIVERED is GREEN. An action is forced RED when its
    start date has passed and it is NOT_STARTED, or when its end date has passed. A date
    equal to ``today`` has not passed. Otherwise the owner's rating applies, and a
    missing owner rating is NO_DATA.
    """
    status = DeliveryStatus(status)
    if status is DeliveryStatus.CANCELLED:
        return Rating.NOT_RATED
    if status is DeliveryStatus.DELIVERED:
        return Rating.GREEN
    if status is DeliveryStatus.NOT_STARTED and start_on is not None and start_on < today:
        return Rating.RED
    if end_on is not None and end_on < today:
        return Rating.RED

    if owner_rating is None or owner_rating == Rating.NO_DATA:
        return Rating.NO_DATA
    owner_rating = Rating(owner_rating)
    if owner_rating not in _OWNER_RATINGS:
        raise ValueError(f"Invalid owner rating {owner_rating.value!r}: expected green, amber or red")
    return owner_rating


def needs_explanation(rating: Rating | str) -> bool:
    """True for Amber and Red, which need the cause, recovery and support-needed fields."""
    return Rating(rating) in (Rating.AMBER, Rating.RED)


def direction_of_travel(
    current: NumberInput,
    previous: NumberInput,
    *,
    polarity: Polarity | str,
    lower: NumberInput = None,
    upper: NumberInput = None,
) -> Direction:
    """Compare a value with an earlier one, such as the previous period or the same period last year.

    Higher is better: 86 after 85 is IMPROVING. Lower is better: 19 after 20 is
    IMPROVING. MONITOR gives UP or DOWN without judgement. RANGE compares the distance
    outside ``lower`` to ``upper`` (0 inside), and needs both bounds. A missing value or
    bound is NOT_COMPARABLE.
    """
    polarity = Polarity(polarity)
    current_value = to_decimal(current)
    previous_value = to_decimal(previous)
    if current_value is None or previous_value is None:
        return Direction.NOT_COMPARABLE

    if polarity is Polarity.RANGE:
        lower_value, upper_value = to_decimal(lower), to_decimal(upper)
        if lower_value is None or upper_value is None:
            return Direction.NOT_COMPARABLE
        # A smaller distance is better, so compare the distances as lower-is-better.
        current_value = _distance_outside(current_value, lower_value, upper_value)
        previous_value = _distance_outside(previous_value, lower_value, upper_value)
        polarity = Polarity.LOWER

    if current_value == previous_value:
        return Direction.NO_CHANGE
    went_up = current_value > previous_value
    if polarity is Polarity.MONITOR:
        return Direction.UP if went_up else Direction.DOWN
    improved = went_up if polarity is Polarity.HIGHER else not went_up
    return Direction.IMPROVING if improved else Direction.WORSENING


def _distance_outside(value: Decimal, lower: Decimal, upper: Decimal) -> Decimal:
    if value < lower:
        return lower - value
    if value > upper:
        return value - upper
    return Decimal(0)


def round_half_up(value: NumberInput, places: int) -> Decimal:
    """Round to ``places`` decimal places, with halves away from zero: 2.675 gives 2.68."""
    number = to_decimal(value)
    if number is None:
        raise ValueError(f"Missing value {value!r}: round_half_up needs a number")
    if places < 0:
        raise ValueError(f"Invalid number of decimal places {places}: expected 0 or more")
    return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


_PERCENT_UNITS = frozenset({"%", "percentage"})
_POUND_UNITS = frozenset({"£"})


def format_value(value: NumberInput, places: int, *, unit: str = "") -> str:
    """Format a value for display: 1234.565 with 2 places and unit "£" gives "£1,234.57".

    Rounds half up to ``places``, adds comma thousands separators, appends "%" for the
    units "%" and "percentage" and puts "£" before the number for the unit "£". Other
    units are not shown. A missing value gives an en dash.
    """
    number = to_decimal(value)
    if number is None:
        return "–"

    rounded = round_half_up(number, places)
    if rounded.is_zero():
        rounded = rounded.copy_abs()  # show "0.0", not "-0.0"
    sign = "-" if rounded < 0 else ""
    digits = f"{rounded.copy_abs():,.{places}f}"

    normalised_unit = unit.strip().lower()
    if normalised_unit in _PERCENT_UNITS:
        return f"{sign}{digits}%"
    if normalised_unit in _POUND_UNITS:
        return f"{sign}£{digits}"
    return f"{sign}{digits}"
