"""The reporting period a page shows, chosen with `?period=2014-09`."""

from dataclasses import dataclass, field

from kpis.models import KpiValue
from pmf.periods import Period


def period_heading(period: Period) -> str:
    """Return the heading form of a period, such as "September 2014 (Q2 2014/15)"."""
    return f"{period.long_label} ({period.quarter.label})"


def periods_with_data() -> list[Period]:
    """Return every period in which some KPI has a value, newest first, in one query."""
    pairs = (
        KpiValue.objects.filter(value__isnull=False)
        .order_by("-financial_year", "-period")
        .values_list("financial_year", "period")
        .distinct()
    )
    return [Period(year, number) for year, number in pairs]


@dataclass
class PeriodOption:
    period: Period
    is_selected: bool

    @property
    def label(self) -> str:
        return period_heading(self.period)


@dataclass
class PeriodPicker:
    period: Period
    options: list[PeriodOption]
    error: str = ""
    heading: str = field(init=False)

    def __post_init__(self):
        self.heading = period_heading(self.period)

    @property
    def previous(self) -> Period:
        return self.period.previous()

    @property
    def next(self) -> Period:
        return self.period.next()


def _parse_choice(text: str, default: Period) -> tuple[Period, str]:
    """Return the period in `text` with no error, or `default` with an error message."""
    try:
        period = Period.parse(text)
        # The calendar's first and last months have no neighbour to offer, so reject them too.
        period.previous()
        period.next()
    except ValueError:
        return default, f"“{text}” is not a period we recognise: showing {period_heading(default)} instead."
    return period, ""


def pick_period(text: str | None) -> PeriodPicker:
    """Pick the period in `text`, else the latest period with data, else this month.

    Invalid text falls back to the default, and the picker then carries an
    error message for the page. The options are the periods with data plus
    the chosen period and its neighbours.
    """
    with_data = periods_with_data()
    default = with_data[0] if with_data else Period.current()
    period, error = _parse_choice(text, default) if text else (default, "")

    choices = sorted({*with_data, period, period.previous(), period.next()}, reverse=True)
    options = [PeriodOption(choice, choice == period) for choice in choices]
    return PeriodPicker(period=period, options=options, error=error)
