from datetime import date, datetime, timedelta, timezone

import pytest

from pmf.periods import (
    FinancialYear,
    Period,
    Quarter,
    parse_period_label,
    working_day_deadline,
)

UTC = timezone.utc


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 3, 31), Period(2024, 12)),
        (date(2025, 4, 1), Period(2025, 1)),
        (date(2025, 4, 30), Period(2025, 1)),
        (date(2025, 12, 31), Period(2025, 9)),
        (date(2026, 1, 1), Period(2025, 10)),
        (date(2026, 3, 31), Period(2025, 12)),
        (date(2024, 2, 29), Period(2023, 11)),
    ],
)
def test_period_from_date(day, expected):
    assert Period.from_date(day) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # BST: 23:30 UTC on 31 March 2025 is 00:30 on 1 April in London.
        (datetime(2025, 3, 31, 23, 30, tzinfo=UTC), Period(2025, 1)),
        (datetime(2025, 3, 31, 22, 59, tzinfo=UTC), Period(2024, 12)),
        (datetime(2025, 4, 30, 23, 0, tzinfo=UTC), Period(2025, 2)),
        # GMT in winter: 23:30 UTC is 23:30 in London, so the month has not changed.
        (datetime(2024, 12, 31, 23, 30, tzinfo=UTC), Period(2024, 9)),
        (datetime(2025, 1, 31, 23, 59, tzinfo=UTC), Period(2024, 10)),
        # The clocks went forward at 01:00 UTC on 30 March 2025 and back at 01:00 UTC on 26 October 2025.
        (datetime(2025, 3, 30, 0, 30, tzinfo=UTC), Period(2024, 12)),
        (datetime(2025, 10, 26, 0, 30, tzinfo=UTC), Period(2025, 7)),
        (datetime(2025, 10, 31, 23, 30, tzinfo=UTC), Period(2025, 7)),
        (datetime(2025, 9, 30, 23, 30, tzinfo=UTC), Period(2025, 7)),
        # Year end 2026: the clocks go forward on 29 March, so 23:00 UTC on 31 March is midnight BST.
        (datetime(2026, 3, 31, 23, 0, tzinfo=UTC), Period(2026, 1)),
        (datetime(2026, 3, 31, 22, 59, 59, tzinfo=UTC), Period(2025, 12)),
        # Other time zones convert to London too.
        (datetime(2025, 4, 1, 3, 59, tzinfo=timezone(timedelta(hours=5))), Period(2024, 12)),
        (datetime(2025, 4, 1, 4, 0, tzinfo=timezone(timedelta(hours=5))), Period(2025, 1)),
        # Naive datetimes are London local time.
        (datetime(2025, 3, 31, 23, 30), Period(2024, 12)),
        (datetime(2025, 4, 1, 0, 0), Period(2025, 1)),
    ],
)
def test_period_from_aware_and_naive_datetime(moment, expected):
    assert Period.from_date(moment) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2025, 3, 31, 23, 30, tzinfo=UTC), FinancialYear(2025)),
        (datetime(2025, 3, 31, 22, 30, tzinfo=UTC), FinancialYear(2024)),
        (date(2026, 1, 1), FinancialYear(2025)),
        (date(2025, 4, 1), FinancialYear(2025)),
        (date(2025, 3, 31), FinancialYear(2024)),
    ],
)
def test_financial_year_from_date(moment, expected):
    assert FinancialYear.from_date(moment) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (date(2026, 1, 1), Quarter(2025, 4)),
        (date(2025, 4, 1), Quarter(2025, 1)),
        (date(2025, 6, 30), Quarter(2025, 1)),
        (date(2025, 7, 1), Quarter(2025, 2)),
        (date(2025, 12, 31), Quarter(2025, 3)),
        (date(2025, 3, 31), Quarter(2024, 4)),
        (datetime(2025, 6, 30, 23, 30, tzinfo=UTC), Quarter(2025, 2)),
    ],
)
def test_quarter_from_date(moment, expected):
    assert Quarter.from_date(moment) == expected


def test_current_uses_given_day():
    today = date(2026, 1, 1)

    assert Period.current(today) == Period(2025, 10)
    assert Quarter.current(today) == Quarter(2025, 4)
    assert FinancialYear.current(today) == FinancialYear(2025)


def test_current_defaults_to_today():
    assert isinstance(Period.current(), Period)
    assert Period.current().financial_year == FinancialYear.current()


@pytest.mark.parametrize(
    ("period", "calendar_year", "month", "start_on", "end_on", "label", "long_label", "code"),
    [
        (Period(2025, 1), 2025, 4, date(2025, 4, 1), date(2025, 4, 30), "Apr 2025", "April 2025", "2025-04"),
        (Period(2025, 9), 2025, 12, date(2025, 12, 1), date(2025, 12, 31), "Dec 2025", "December 2025", "2025-12"),
        (Period(2025, 10), 2026, 1, date(2026, 1, 1), date(2026, 1, 31), "Jan 2026", "January 2026", "2026-01"),
        (Period(2023, 11), 2024, 2, date(2024, 2, 1), date(2024, 2, 29), "Feb 2024", "February 2024", "2024-02"),
        (Period(2024, 11), 2025, 2, date(2025, 2, 1), date(2025, 2, 28), "Feb 2025", "February 2025", "2025-02"),
        (Period(2025, 12), 2026, 3, date(2026, 3, 1), date(2026, 3, 31), "Mar 2026", "March 2026", "2026-03"),
        (Period(2024, 6), 2024, 9, date(2024, 9, 1), date(2024, 9, 30), "Sep 2024", "September 2024", "2024-09"),
    ],
)
def test_period_calendar_fields(period, calendar_year, month, start_on, end_on, label, long_label, code):
    assert period.calendar_year == calendar_year
    assert period.month == month
    assert period.start_on == start_on
    assert period.end_on == end_on
    assert period.label == label
    assert str(period) == label
    assert period.long_label == long_label
    assert period.code == code


@pytest.mark.parametrize(
    ("period", "quarter", "is_quarter_end"),
    [
        (Period(2025, 1), Quarter(2025, 1), False),
        (Period(2025, 3), Quarter(2025, 1), True),
        (Period(2025, 4), Quarter(2025, 2), False),
        (Period(2025, 6), Quarter(2025, 2), True),
        (Period(2025, 9), Quarter(2025, 3), True),
        (Period(2025, 10), Quarter(2025, 4), False),
        (Period(2025, 12), Quarter(2025, 4), True),
    ],
)
def test_period_quarter(period, quarter, is_quarter_end):
    assert period.quarter == quarter
    assert period.is_quarter_end is is_quarter_end
    assert period.financial_year == FinancialYear(2025)


@pytest.mark.parametrize(
    ("period", "next_period", "previous_period", "last_year"),
    [
        (Period(2025, 12), Period(2026, 1), Period(2025, 11), Period(2024, 12)),
        (Period(2025, 1), Period(2025, 2), Period(2024, 12), Period(2024, 1)),
        (Period(2025, 9), Period(2025, 10), Period(2025, 8), Period(2024, 9)),
    ],
)
def test_period_neighbours(period, next_period, previous_period, last_year):
    assert period.next() == next_period
    assert period.previous() == previous_period
    assert period.same_period_last_year() == last_year


@pytest.mark.parametrize(
    ("period", "index"),
    [
        (Period(2025, 1), 2025 * 12),
        (Period(2025, 12), 2025 * 12 + 11),
        (Period(2026, 1), 2026 * 12),
    ],
)
def test_period_index_round_trip(period, index):
    assert period.index == index
    assert Period.from_index(index) == period


def test_period_index_is_continuous_across_years():
    assert Period(2026, 1).index - Period(2025, 12).index == 1


def test_period_ordering_is_chronological():
    periods = [Period(2026, 1), Period(2024, 12), Period(2025, 12), Period(2025, 1)]

    assert sorted(periods) == [Period(2024, 12), Period(2025, 1), Period(2025, 12), Period(2026, 1)]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (Period(2024, 11), Period(2025, 2), [Period(2024, 11), Period(2024, 12), Period(2025, 1), Period(2025, 2)]),
        (Period(2025, 5), Period(2025, 5), [Period(2025, 5)]),
        (Period(2025, 5), Period(2025, 4), []),
    ],
)
def test_period_range_is_inclusive(start, end, expected):
    assert Period.range(start, end) == expected


def test_period_year_to_date():
    assert Period(2025, 3).year_to_date() == [Period(2025, 1), Period(2025, 2), Period(2025, 3)]


@pytest.mark.parametrize(
    ("year", "number", "error"),
    [
        (2025, 13, ValueError),
        (2025, 0, ValueError),
        (2025, -1, ValueError),
        (2025, "1", TypeError),
        (2025, True, TypeError),
        (2025, 1.0, TypeError),
        (10000, 1, ValueError),
    ],
)
def test_period_rejects_invalid_numbers(year, number, error):
    with pytest.raises(error):
        Period(year, number)


@pytest.mark.parametrize(("year", "number"), [(2025, 5), (2025, 0), (2025, -1)])
def test_quarter_rejects_invalid_numbers(year, number):
    with pytest.raises(ValueError, match="quarter number"):
        Quarter(year, number)


def test_period_error_names_the_value():
    with pytest.raises(ValueError, match="Invalid period number 13: expected 1 to 12"):
        Period(2025, 13)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-04", Period(2025, 1)),
        ("2026-03", Period(2025, 12)),
        ("Apr 2025", Period(2025, 1)),
        ("April 2025", Period(2025, 1)),
        ("april 2025", Period(2025, 1)),
        ("  JAN   2026 ", Period(2025, 10)),
        ("Sept 2024", Period(2024, 6)),
        ("Sep 2024", Period(2024, 6)),
        ("Sept. 2024", Period(2024, 6)),
        ("September 2024", Period(2024, 6)),
        ("2025/26 P1", Period(2025, 1)),
        ("P1 2025/26", Period(2025, 1)),
        ("p12 2025/26", Period(2025, 12)),
        ("2025-26 P10", Period(2025, 10)),
        ("P3 2025/2026", Period(2025, 3)),
    ],
)
def test_period_parse(text, expected):
    assert Period.parse(text) == expected


@pytest.mark.parametrize(
    "text",
    ["2025-13", "2025-00", "Aprl 2025", "Apr", "2025", "P13 2025/26", "P0 2025/26", "P1 2025/27", "2025/26", "Q1 2025/26", ""],
)
def test_period_parse_rejects(text):
    with pytest.raises(ValueError) as raised:
        Period.parse(text)

    assert repr(text) in str(raised.value)
    assert "2025-04, Apr 2025, April 2025, 2025/26 P1 or P1 2025/26" in str(raised.value)


@pytest.mark.parametrize("period", [Period(2025, n) for n in range(1, 13)] + [Period(1999, 10), Period(2030, 12)])
def test_period_parse_round_trips(period):
    assert Period.parse(period.code) == period
    assert Period.parse(period.label) == period
    assert Period.parse(period.long_label) == period
    assert Period.parse(f"{period.financial_year} P{period.number}") == period


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025/26", FinancialYear(2025)),
        ("2025-26", FinancialYear(2025)),
        ("2025/2026", FinancialYear(2025)),
        (" 2025 / 26 ", FinancialYear(2025)),
        ("1999/00", FinancialYear(1999)),
        ("1999/2000", FinancialYear(1999)),
    ],
)
def test_financial_year_parse(text, expected):
    assert FinancialYear.parse(text) == expected


@pytest.mark.parametrize("text", ["2025/27", "2025/2027", "2025/25", "2025", "25/26", "FY 2025/26", "2025/026"])
def test_financial_year_parse_rejects(text):
    with pytest.raises(ValueError, match=f"Invalid financial year '{text}'"):
        FinancialYear.parse(text)


@pytest.mark.parametrize(
    ("year", "label", "start_on", "end_on"),
    [
        (FinancialYear(2025), "2025/26", date(2025, 4, 1), date(2026, 3, 31)),
        (FinancialYear(1999), "1999/00", date(1999, 4, 1), date(2000, 3, 31)),
        (FinancialYear(2009), "2009/10", date(2009, 4, 1), date(2010, 3, 31)),
    ],
)
def test_financial_year_fields(year, label, start_on, end_on):
    assert year.label == label
    assert str(year) == label
    assert year.start_on == start_on
    assert year.end_on == end_on
    assert FinancialYear.parse(label) == year


def test_financial_year_periods_and_quarters():
    year = FinancialYear(2025)

    assert year.periods() == [Period(2025, n) for n in range(1, 13)]
    assert year.periods()[0].start_on == year.start_on
    assert year.periods()[-1].end_on == year.end_on
    assert year.quarters() == [Quarter(2025, n) for n in range(1, 5)]
    assert year.period(10) == Period(2025, 10)
    assert year.quarter(4) == Quarter(2025, 4)


def test_financial_year_neighbours():
    assert FinancialYear(2025).next() == FinancialYear(2026)
    assert FinancialYear(2025).previous() == FinancialYear(2024)
    assert FinancialYear(2024) < FinancialYear(2025)


@pytest.mark.parametrize(
    ("quarter", "label", "periods", "start_on", "end_on"),
    [
        (Quarter(2025, 1), "Q1 2025/26", [1, 2, 3], date(2025, 4, 1), date(2025, 6, 30)),
        (Quarter(2025, 2), "Q2 2025/26", [4, 5, 6], date(2025, 7, 1), date(2025, 9, 30)),
        (Quarter(2025, 3), "Q3 2025/26", [7, 8, 9], date(2025, 10, 1), date(2025, 12, 31)),
        (Quarter(2025, 4), "Q4 2025/26", [10, 11, 12], date(2026, 1, 1), date(2026, 3, 31)),
    ],
)
def test_quarter_fields(quarter, label, periods, start_on, end_on):
    assert quarter.label == label
    assert str(quarter) == label
    assert quarter.periods() == [Period(2025, n) for n in periods]
    assert quarter.end_period == Period(2025, periods[-1])
    assert quarter.end_period.is_quarter_end
    assert quarter.start_on == start_on
    assert quarter.end_on == end_on
    assert quarter.financial_year == FinancialYear(2025)


def test_quarters_adjacent_across_years():
    q4_2024 = Quarter(2024, 4)
    q1_2025 = Quarter(2025, 1)

    assert q4_2024.is_adjacent(q1_2025)
    assert q1_2025.is_adjacent(q4_2024)
    assert q4_2024.next() == q1_2025
    assert q1_2025.previous() == q4_2024
    assert q1_2025.index - q4_2024.index == 1


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (Quarter(2024, 3), Quarter(2025, 1)),
        (Quarter(2025, 1), Quarter(2025, 1)),
        (Quarter(2024, 1), Quarter(2025, 1)),
    ],
)
def test_quarters_not_adjacent(first, second):
    assert not first.is_adjacent(second)


@pytest.mark.parametrize("index", [2025 * 4, 2025 * 4 + 3, 2026 * 4 + 1])
def test_quarter_index_round_trip(index):
    assert Quarter.from_index(index).index == index


def test_quarter_index_values():
    assert Quarter(2025, 1).index == 2025 * 4
    assert Quarter.from_index(2025 * 4 + 3) == Quarter(2025, 4)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Q1 2025/26", Quarter(2025, 1)),
        ("2025/26 Q1", Quarter(2025, 1)),
        ("q4  2024/25", Quarter(2024, 4)),
        (" 2024-25 Q3 ", Quarter(2024, 3)),
        ("Q2 2024/2025", Quarter(2024, 2)),
    ],
)
def test_quarter_parse(text, expected):
    assert Quarter.parse(text) == expected


@pytest.mark.parametrize("text", ["Q5 2025/26", "Q0 2025/26", "Q1 2025/27", "Q1", "2025/26", "Apr 2025"])
def test_quarter_parse_rejects(text):
    with pytest.raises(ValueError, match=f"Invalid quarter '{text}'"):
        Quarter.parse(text)


@pytest.mark.parametrize("quarter", [Quarter(2025, n) for n in range(1, 5)] + [Quarter(1999, 4)])
def test_quarter_parse_round_trips(quarter):
    assert Quarter.parse(quarter.label) == quarter


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-04", Period(2025, 1)),
        ("apr 2025", Period(2025, 1)),
        ("April 2025", Period(2025, 1)),
        ("P1 2025/26", Period(2025, 1)),
        ("Q1 2025/26", Quarter(2025, 1)),
        (" 2025/26  q4 ", Quarter(2025, 4)),
        ("2025/26", FinancialYear(2025)),
        ("2025-26", FinancialYear(2025)),
        # A hyphenated text with a valid month is read as a month.
        ("2009-10", Period(2009, 7)),
        ("2009/10", FinancialYear(2009)),
    ],
)
def test_parse_period_label(text, expected):
    assert parse_period_label(text) == expected


@pytest.mark.parametrize("text", ["2025/27", "Q5 2025/26", "Smarch 2025", "", "2025"])
def test_parse_period_label_rejects(text):
    with pytest.raises(ValueError, match=f"Invalid period label '{text}'"):
        parse_period_label(text)


@pytest.mark.parametrize(
    ("period", "working_days", "holidays", "expected"),
    [
        # April 2025 ends on Wednesday 30 April, and Monday 5 May 2025 was a bank holiday.
        (Period(2025, 1), 10, (), date(2025, 5, 14)),
        (Period(2025, 1), 10, (date(2025, 5, 5),), date(2025, 5, 15)),
        (Period(2025, 1), 1, (), date(2025, 5, 1)),
        (Period(2025, 1), 3, (), date(2025, 5, 5)),
        (Period(2025, 1), 3, (date(2025, 5, 5),), date(2025, 5, 6)),
        # May 2025 ends on Saturday 31 May, so the first working day is Monday 2 June.
        (Period(2025, 2), 1, (), date(2025, 6, 2)),
        # A holiday that falls on a Sunday does not move the deadline.
        (Period(2025, 2), 1, (date(2025, 6, 1),), date(2025, 6, 2)),
        # December 2025 ends on Wednesday 31 December. New Year's Day is a holiday, and 25 and 26 December fall inside the month.
        (Period(2025, 9), 2, (date(2025, 12, 25), date(2025, 12, 26), date(2026, 1, 1)), date(2026, 1, 5)),
        # March 2026 ends on Tuesday 31 March. Good Friday is 3 April and Easter Monday 6 April 2026.
        (Period(2025, 12), 5, (date(2026, 4, 3), date(2026, 4, 6)), date(2026, 4, 9)),
    ],
)
def test_working_day_deadline(period, working_days, holidays, expected):
    assert working_day_deadline(period, working_days, holidays) == expected


def test_working_day_deadline_defaults_to_ten_days():
    assert working_day_deadline(Period(2025, 1)) == date(2025, 5, 14)


def test_working_day_deadline_accepts_a_generator():
    holidays = (day for day in [date(2025, 5, 5)])

    assert working_day_deadline(Period(2025, 1), holidays=holidays) == date(2025, 5, 15)


@pytest.mark.parametrize("working_days", [0, -1])
def test_working_day_deadline_rejects_no_days(working_days):
    with pytest.raises(ValueError, match="working days"):
        working_day_deadline(Period(2025, 1), working_days)
