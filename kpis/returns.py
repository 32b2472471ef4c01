"""Checking and converting a monthly return's input, shared by the browser form and Excel import.

Every message names the field it is about and what to do, so the
same message can show beside a form field or against a spreadsheet cell.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from pmf import rag
from pmf.periods import Period

from .models import Kpi, Target

NARRATIVE_FIELDS = ("cause", "recovery", "support_needed")
NUMBER_FIELDS = ("value", "numerator", "denominator")
FIELD_LABELS = {
    "value": "Value",
    "numerator": "Numerator",
    "denominator": "Denominator",
    "commentary": "Commentary",
    "cause": "Cause",
    "recovery": "Recovery",
    "support_needed": "Support needed",
}


@dataclass
class ReturnData:
    value: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    commentary: str = ""
    cause: str = ""
    recovery: str = ""
    support_needed: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def is_valid(self) -> bool:
        return not self.errors


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def parse_number(kpi: Kpi, name: str, text) -> tuple[Decimal | None, str | None]:
    """Read one number field in British format, returning (value, error message)."""
    label = FIELD_LABELS[name]
    try:
        number = rag.to_decimal(text if not isinstance(text, str) else text.strip())
    except rag.InvalidNumber:
        return None, (
            f"{label} must be a number such as 1,234.5. A comma can only separate thousands: "
            "write a decimal point, not a decimal comma."
        )
    if number is None:
        return None, None
    places = -number.as_tuple().exponent if number.as_tuple().exponent < 0 else 0
    if name == "value" and places > kpi.decimal_places:
        allowed = "no decimal places" if kpi.decimal_places == 0 else f"at most {plural(kpi.decimal_places, 'decimal place')}"
        return None, f"{label} has {plural(places, 'decimal place')}; this KPI takes {allowed}."
    if name == "value" and kpi.unit == Kpi.Unit.PERCENTAGE and not kpi.allows_over_100:
        if number < 0 or number > 100:
            return None, f"{label} is a percentage: enter a number from 0 to 100."
    if name == "denominator" and number == 0:
        return None, "Denominator cannot be 0: enter the number the rate is out of."
    return number, None


def parse_return(kpi: Kpi, period: Period, raw, *, today: date) -> ReturnData:
    """Convert raw input (a mapping of field name to text) into a ReturnData with any errors."""
    data = ReturnData(
        commentary=(raw.get("commentary") or "").strip(),
        cause=(raw.get("cause") or "").strip(),
        recovery=(raw.get("recovery") or "").strip(),
        support_needed=(raw.get("support_needed") or "").strip(),
    )
    if period.start_on > today:
        data.errors["value"] = f"{period.long_label} has not started yet: values can only be entered for past and current periods."
        return data

    for name in NUMBER_FIELDS:
        number, error = parse_number(kpi, name, raw.get(name))
        setattr(data, name, number)
        if error:
            data.errors[name] = error

    if kpi.is_rate and not data.errors:
        apply_rate_parts(kpi, data)
    return data


def apply_rate_parts(kpi: Kpi, data: ReturnData) -> None:
    """Work out a rate KPI's value from its numerator and denominator, when both are given."""
    if data.numerator is None and data.denominator is None:
        return
    if data.numerator is None or data.denominator is None:
        missing = "numerator" if data.numerator is None else "denominator"
        data.errors[missing] = f"{FIELD_LABELS[missing]} is missing: enter both the numerator and the denominator, or neither."
        return
    data.value = rag.aggregate_rate([(data.numerator, data.denominator)], multiplier=Decimal(kpi.rate_multiplier))


def rating_for(kpi: Kpi, period: Period, value: Decimal | None) -> rag.Rating:
    """Rate a candidate value against the target in force for the period (two queries)."""
    target = Target.objects.in_force(kpi.pk, period)
    profile = {point.period: point.value for point in target.profile.all()} if target else None
    return rate_candidate(kpi, period, value, target, profile)


def rate_candidate(
    kpi: Kpi, period: Period, value: Decimal | None, target: Target | None, profile: Mapping[int, Decimal] | None
) -> rag.Rating:
    """Rate a value typed for `period` against `target`, the version in force, and its profile.

    A monitor-only KPI is Not rated; with no target in force a value is Not
    rated and a missing one is No data.
    """
    if kpi.polarity == rag.Polarity.MONITOR:
        return rag.Rating.NOT_RATED
    if target is None:
        return rag.Rating.NO_DATA if value is None else rag.Rating.NOT_RATED
    return rag.rate(
        value,
        polarity=kpi.polarity,
        target=rag.profiled_target(target.value, profile, period.number),
        lower=target.lower,
        upper=target.upper,
        tolerance=target.tolerance,
    )


def require_narrative(data: ReturnData, rating: rag.Rating, *, submitting: bool) -> None:
    """Add errors for what a submission needs: the narrative of an Amber or Red rating, and a value or a reason.

    A draft may be saved unfinished, so nothing is required until the return is submitted.
    """
    if not submitting:
        return
    if rag.needs_explanation(rating):
        for name in NARRATIVE_FIELDS:
            if not getattr(data, name):
                data.errors[name] = (
                    f"{FIELD_LABELS[name]} is required because the rating is {rating.label}: "
                    + NARRATIVE_PROMPTS[name]
                )
    if data.value is None and not data.commentary and "value" not in data.errors:
        data.errors["value"] = "Enter the value, or explain in the commentary why there is none this period."


NARRATIVE_PROMPTS = {
    "cause": "say what caused the performance.",
    "recovery": "say what is being done to recover.",
    "support_needed": "say what support or escalation is needed, or write “None”.",
}
