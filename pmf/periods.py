"""Financial calendar of a UK council: years, monthly periods and quarters.

A financial year runs from 1 April to 31 March and is written "2025/26". Its months
are periods 1 to 12 (April is period 1) and its quarters are Q1 (April to June) to
Q4 (January to March). Dates map to periods in Europe/London local time.

This is the only module that does period arithmetic, and it imports nothing from Django.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

FIRST_MONTH = 4  # April
PERIODS_PER_YEAR = 12
QUARTERS_PER_YEAR = 4
PERIODS_PER_QUARTER = 3

# The last day of a financial year, 31 March, must be a valid date.
MIN_START_YEAR = date.min.year
MAX_START_YEAR = date.max.year - 1

MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
MONTH_ABBREVIATIONS = tuple(name[:3] for name in MONTH_NAMES)

_MONTHS_BY_NAME = {
    **{name.lower(): number for number, name in enumerate(MONTH_NAMES, start=1)},
    **{abbr.lower(): number for number, abbr in enumerate(MONTH_ABBREVIATIONS, start=1)},
    "sept": 9,
}

# A financial year in any accepted form: 2025/26, 2025-26 or 2025/2026.
_YEAR = r"(\d{4})\s*[/-]\s*(\d{4}|\d{2})"
_YEAR_RE = re.compile(_YEAR)
_ISO_MONTH_RE = re.compile(r"(\d{4})-(\d{2})")
_MONTH_NAME_RE = re.compile(r"([a-z]+)\.?\s+(\d{4})")
_PERIOD_AFTER_YEAR_RE = re.compile(_YEAR + r"\s+p(\d{1,2})")
_PERIOD_BEFORE_YEAR_RE = re.compile(r"p(\d{1,2})\s+" + _YEAR)
_QUARTER_AFTER_YEAR_RE = re.compile(_YEAR + r"\s+q(\d)")
_QUARTER_BEFORE_YEAR_RE = re.compile(r"q(\d)\s+" + _YEAR)

_YEAR_FORMS = "2025/26, 2025-26 or 2025/2026"
_PERIOD_FORMS = "2025-04, Apr 2025, April 2025, 2025/26 P1 or P1 2025/26"
_QUARTER_FORMS = "Q1 2025/26 or 2025/26 Q1"


def _check_int(name: str, value: object, minimum: int, maximum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not minimum <= value <= maximum:
        raise ValueError(f"Invalid {name} {value}: expected {minimum} to {maximum}")


def _normalise(text: str) -> str:
    """Lower-case the text and collapse runs of whitespace to one space."""
    if not isinstance(text, str):
        raise TypeError(f"Expected text, not {type(text).__name__}")
    return " ".join(text.split()).lower()


def _london_date(value: date | datetime) -> date:
    """Return the London calendar date of a date or datetime.

    Aware datetimes are converted to Europe/London. Naive datetimes and dates are
    taken as London local time already.
    """
    if isinstance(value, datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:
            value = value.astimezone(LONDON)
        return value.date()
    if isinstance(value, date):
        return value
    raise TypeError(f"Expected a date or datetime, not {type(value).__name__}")


def _today_in_london() -> date:
    return datetime.now(LONDON).date()


def _start_year_of(day: date) -> int:
    return day.year if day.month >= FIRST_MONTH else day.year - 1


def _match_start_year(start: str, end: str) -> int | None:
    """Return the start year of a "2025/26" pair, or None if the end year does not follow."""
    start_year = int(start)
    if len(end) == 4:
        expected = start_year + 1
    else:
        expected = (start_year + 1) % 100
    return start_year if int(end) == expected else None


def _split_year_and_number(
    text: str, before_year: re.Pattern[str], after_year: re.Pattern[str]
) -> tuple[int, int] | None:
    """Match "P1 2025/26" or "2025/26 P1" (or the Q forms) and return (start year, number)."""
    if match := before_year.fullmatch(text):
        number, start, end = match.groups()
    elif match := after_year.fullmatch(text):
        start, end, number = match.groups()
    else:
        return None
    start_year = _match_start_year(start, end)
    if start_year is None:
        return None
    return start_year, int(number)


@dataclass(frozen=True, order=True)
class FinancialYear:
    """A financial year from 1 April of ``start_year`` to 31 March of the next year."""

    start_year: int

    def __post_init__(self) -> None:
        _check_int("financial year start year", self.start_year, MIN_START_YEAR, MAX_START_YEAR)

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """Label in the form "2025/26"."""
        return f"{self.start_year}/{(self.start_year + 1) % 100:02d}"

    @property
    def start_on(self) -> date:
        return date(self.start_year, FIRST_MONTH, 1)

    @property
    def end_on(self) -> date:
        return date(self.start_year + 1, FIRST_MONTH - 1, 31)

    @classmethod
    def parse(cls, text: str) -> FinancialYear:
        """Parse "2025/26", "2025-26" or "2025/2026", ignoring surrounding whitespace."""
        match = _YEAR_RE.fullmatch(_normalise(text))
        start_year = _match_start_year(*match.groups()) if match else None
        if start_year is None:
            raise ValueError(f"Invalid financial year {text!r}: expected {_YEAR_FORMS}")
        return cls(start_year)

    @classmethod
    def from_date(cls, value: date | datetime) -> FinancialYear:
        """Return the financial year containing a date (aware datetimes in London time)."""
        return cls(_start_year_of(_london_date(value)))

    @classmethod
    def current(cls, today: date | None = None) -> FinancialYear:
        """Return the financial year of ``today``, by default today's date in London."""
        return cls.from_date(today if today is not None else _today_in_london())

    def period(self, number: int) -> Period:
        return Period(self.start_year, number)

    def quarter(self, number: int) -> Quarter:
        return Quarter(self.start_year, number)

    def periods(self) -> list[Period]:
        return [Period(self.start_year, n) for n in range(1, PERIODS_PER_YEAR + 1)]

    def quarters(self) -> list[Quarter]:
        return [Quarter(self.start_year, n) for n in range(1, QUARTERS_PER_YEAR + 1)]

    def next(self) -> FinancialYear:
        return FinancialYear(self.start_year + 1)

    def previous(self) -> FinancialYear:
        return FinancialYear(self.start_year - 1)


@dataclass(frozen=True, order=True)
class Period:
    """One month of a financial year: ``number`` 1 is April and 12 is March.

    ``year`` is the start year of the financial year, so Period(2025, 10) is January 2026.
    """

    year: int
    number: int

    def __post_init__(self) -> None:
        _check_int("financial year start year", self.year, MIN_START_YEAR, MAX_START_YEAR)
        _check_int("period number", self.number, 1, PERIODS_PER_YEAR)

    def __str__(self) -> str:
        return self.label

    @property
    def financial_year(self) -> FinancialYear:
        return FinancialYear(self.year)

    @property
    def quarter(self) -> Quarter:
        return Quarter(self.year, (self.number - 1) // PERIODS_PER_QUARTER + 1)

    @property
    def calendar_year(self) -> int:
        """Calendar year of the month: the next year for January to March."""
        months_after_april = self.number - 1
        return self.year + (FIRST_MONTH - 1 + months_after_april) // 12

    @property
    def month(self) -> int:
        """Calendar month, 1 (January) to 12 (December)."""
        return (FIRST_MONTH - 1 + self.number - 1) % 12 + 1

    @property
    def start_on(self) -> date:
        return date(self.calendar_year, self.month, 1)

    @property
    def end_on(self) -> date:
        if self.month == 12:
            return date(self.calendar_year, 12, 31)
        return date(self.calendar_year, self.month + 1, 1) - timedelta(days=1)

    @property
    def label(self) -> str:
        """Short label such as "Apr 2025"."""
        return f"{MONTH_ABBREVIATIONS[self.month - 1]} {self.calendar_year}"

    @property
    def long_label(self) -> str:
        """Long label such as "April 2025"."""
        return f"{MONTH_NAMES[self.month - 1]} {self.calendar_year}"

    @property
    def code(self) -> str:
        """ISO year and month such as "2025-04", used in URLs."""
        return f"{self.calendar_year:04d}-{self.month:02d}"

    @property
    def index(self) -> int:
        """Running month number across years, so consecutive periods differ by 1."""
        return self.year * PERIODS_PER_YEAR + self.number - 1

    @property
    def is_quarter_end(self) -> bool:
        """True for June, September, December and March (periods 3, 6, 9 and 12)."""
        return self.number % PERIODS_PER_QUARTER == 0

    @classmethod
    def from_index(cls, index: int) -> Period:
        year, offset = divmod(index, PERIODS_PER_YEAR)
        return cls(year, offset + 1)

    def next(self) -> Period:
        return Period.from_index(self.index + 1)

    def previous(self) -> Period:
        return Period.from_index(self.index - 1)

    def same_period_last_year(self) -> Period:
        return Period(self.year - 1, self.number)

    def year_to_date(self) -> list[Period]:
        """Return the periods from April of this financial year up to this one."""
        return [Period(self.year, n) for n in range(1, self.number + 1)]

    @classmethod
    def from_date(cls, value: date | datetime) -> Period:
        """Return the period containing a date (aware datetimes in London time).

        2025-03-31T23:30Z is 00:30 on 1 April in London (BST), so it is Period(2025, 1).
        """
        day = _london_date(value)
        number = (day.month - FIRST_MONTH) % 12 + 1
        return cls(_start_year_of(day), number)

    @classmethod
    def current(cls, today: date | None = None) -> Period:
        """Return the period of ``today``, by default today's date in London."""
        return cls.from_date(today if today is not None else _today_in_london())

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse "2025-04", "Apr 2025", "April 2025", "Sept 2024", "2025/26 P1" or "P1 2025/26".

        Matching ignores case and extra whitespace. Raises ValueError naming the text.
        """
        normalised = _normalise(text)
        try:
            period = cls._parse_normalised(normalised)
        except ValueError:
            period = None
        if period is None:
            raise ValueError(f"Invalid period {text!r}: expected {_PERIOD_FORMS}")
        return period

    @classmethod
    def _parse_normalised(cls, text: str) -> Period | None:
        if match := _ISO_MONTH_RE.fullmatch(text):
            return cls._from_calendar_month(int(match[1]), int(match[2]))

        if match := _MONTH_NAME_RE.fullmatch(text):
            month = _MONTHS_BY_NAME.get(match[1])
            return cls._from_calendar_month(int(match[2]), month) if month else None

        parsed = _split_year_and_number(text, _PERIOD_BEFORE_YEAR_RE, _PERIOD_AFTER_YEAR_RE)
        return cls(*parsed) if parsed else None

    @classmethod
    def _from_calendar_month(cls, calendar_year: int, month: int) -> Period:
        _check_int("month", month, 1, 12)
        return cls.from_date(date(calendar_year, month, 1))

    @staticmethod
    def range(start: Period, end: Period) -> list[Period]:
        """Return the periods from ``start`` to ``end`` inclusive, or [] if ``end`` is earlier."""
        return [Period.from_index(i) for i in range(start.index, end.index + 1)]


@dataclass(frozen=True, order=True)
class Quarter:
    """A quarter of a financial year: Q1 is April to June and Q4 is January to March."""

    year: int
    number: int

    def __post_init__(self) -> None:
        _check_int("financial year start year", self.year, MIN_START_YEAR, MAX_START_YEAR)
        _check_int("quarter number", self.number, 1, QUARTERS_PER_YEAR)

    def __str__(self) -> str:
        return self.label

    @property
    def financial_year(self) -> FinancialYear:
        return FinancialYear(self.year)

    @property
    def label(self) -> str:
        """Label such as "Q1 2025/26"."""
        return f"Q{self.number} {self.financial_year.label}"

    @property
    def index(self) -> int:
        """Running quarter number across years, so Q4 2024/25 and Q1 2025/26 differ by 1."""
        return self.year * QUARTERS_PER_YEAR + self.number - 1

    @classmethod
    def from_index(cls, index: int) -> Quarter:
        year, offset = divmod(index, QUARTERS_PER_YEAR)
        return cls(year, offset + 1)

    def periods(self) -> list[Period]:
        first = (self.number - 1) * PERIODS_PER_QUARTER + 1
        return [Period(self.year, n) for n in range(first, first + PERIODS_PER_QUARTER)]

    @property
    def end_period(self) -> Period:
        """Last month of the quarter, whose position gives the quarter's rating."""
        return Period(self.year, self.number * PERIODS_PER_QUARTER)

    @property
    def start_on(self) -> date:
        return self.periods()[0].start_on

    @property
    def end_on(self) -> date:
        return self.end_period.end_on

    def next(self) -> Quarter:
        return Quarter.from_index(self.index + 1)

    def previous(self) -> Quarter:
        return Quarter.from_index(self.index - 1)

    def is_adjacent(self, other: Quarter) -> bool:
        """True when the two quarters follow each other, in either order."""
        return abs(self.index - other.index) == 1

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Parse "Q1 2025/26" or "2025/26 Q1", ignoring case and extra whitespace."""
        normalised = _normalise(text)
        parsed = _split_year_and_number(normalised, _QUARTER_BEFORE_YEAR_RE, _QUARTER_AFTER_YEAR_RE)
        try:
            quarter = cls(*parsed) if parsed else None
        except ValueError:
            quarter = None
        if quarter is None:
            raise ValueError(f"Invalid quarter {text!r}: expected {_QUARTER_FORMS}")
        return quarter

    @classmethod
    def from_date(cls, value: date | datetime) -> Quarter:
        """Return the quarter containing a date (aware datetimes in London time)."""
        return Period.from_date(value).quarter

    @classmethod
    def current(cls, today: date | None = None) -> Quarter:
        """Return the quarter of ``today``, by default today's date in London."""
        return Period.current(today).quarter


def parse_period_label(text: str) -> Period | Quarter | FinancialYear:
    """Parse any period, quarter or financial year label that the classes above accept.

    NOTE: "2009-10" could be October 2009 or the year 2009/10. A "YYYY-MM" text with a
    valid month is read as a month, so write years from 2000/01 to 2011/12 with a slash.
    """
    for parse in (Period.parse, Quarter.parse, FinancialYear.parse):
        try:
            return parse(text)
        except ValueError:
            continue
    raise ValueError(
        f"Invalid period label {text!r}: expected a month ({_PERIOD_FORMS}), "
        f"a quarter ({_QUARTER_FORMS}) or a financial year ({_YEAR_FORMS})"
    )


def working_day_deadline(
    period: Period, working_days: int = 10, holidays: Iterable[date] = ()
) -> date:
    """Return the Nth working day after the period's month ends.

    Working days are Monday to Friday, except the dates in ``holidays``. For April 2025
    with the 5 May bank holiday, the 10th working day is Thursday 15 May 2025.
    """
    if working_days < 1:
        raise ValueError(f"Invalid number of working days {working_days}: expected 1 or more")
    closed = set(holidays)
    day = period.end_on
    counted = 0
    while counted < working_days:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in closed:
            counted += 1
    return day
