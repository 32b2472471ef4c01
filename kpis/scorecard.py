"""Rate many KPIs for a period in a fixed number of queries.

Every page and pack that shows ratings builds its rows here, so ratings
always come from `pmf.rag` and the target version in force for the period.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import NamedTuple

from django.db.models import Q

from pmf import rag
from pmf.periods import FinancialYear, Period

from .models import Kpi, KpiValue, Target, TargetProfile

TREND_LENGTH = 8
# Statuses of values that reporting pages show: an officer's draft, or a
# return sent back for changes, is not yet a reported figure.
REPORTED_STATUSES = (KpiValue.Status.SUBMITTED, KpiValue.Status.SIGNED_OFF)
# Every column of a value and of a target, in the order `from_db` expects, and where each field sits.
VALUE_FIELDS = [field.attname for field in KpiValue._meta.concrete_fields]
_KPI, _YEAR, _NUMBER, _VALUE, _NUMERATOR, _DENOMINATOR = (
    VALUE_FIELDS.index(name) for name in ("kpi_id", "financial_year", "period", "value", "numerator", "denominator")
)
TARGET_FIELDS = [field.attname for field in Target._meta.concrete_fields]
_T_PK, _T_KPI, _T_YEAR, _T_FROM, _T_VALUE, _T_LOWER, _T_UPPER, _T_TOLERANCE = (
    TARGET_FIELDS.index(name)
    for name in ("id", "kpi_id", "financial_year", "effective_from", "value", "lower", "upper", "tolerance")
)


class RatedDisplay:
    """The value and target of a rated row as the KPI shows them. Needs `kpi`, `actual`, `target`, `target_value`."""

    @property
    def actual_display(self) -> str:
        return self.kpi.format(self.actual)

    @property
    def target_display(self) -> str:
        if self.target is None:
            return ""
        if self.kpi.polarity == rag.Polarity.RANGE:
            return f"{self.kpi.format(self.target.lower)} to {self.kpi.format(self.target.upper)}"
        return self.kpi.format(self.target_value)


@dataclass
class KpiRow(RatedDisplay):
    kpi: Kpi
    period: Period
    record: KpiValue | None
    actual: Decimal | None
    target: Target | None
    target_value: Decimal | None
    rating: rag.Rating
    direction_previous: rag.Direction
    direction_last_year: rag.Direction
    trend: list[tuple[Period, Decimal | None]] = field(default_factory=list)


class Reading(NamedTuple):
    """The numbers of one stored value: all that ratings, directions and trends read."""

    value: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None


def reporting_period(kpi: Kpi, period: Period) -> Period:
    """Return the latest period at or before `period` in which `kpi` falls due."""
    if kpi.frequency == Kpi.Frequency.QUARTERLY:
        return period if period.is_quarter_end else period.quarter.previous().end_period
    if kpi.frequency == Kpi.Frequency.ANNUAL:
        return period if period.number == 12 else FinancialYear(period.year).previous().periods()[-1]
    return period


def previous_due_period(kpi: Kpi, period: Period) -> Period:
    """Return the due period before `period` for `kpi`: a month, a quarter or a year earlier."""
    if kpi.frequency == Kpi.Frequency.QUARTERLY:
        return period.quarter.previous().end_period
    if kpi.frequency == Kpi.Frequency.ANNUAL:
        return period.same_period_last_year()
    return period.previous()


def due_periods(kpi: Kpi, period: Period, count: int) -> list[Period]:
    """Return the last `count` due periods up to and including `period`, oldest first."""
    periods = [period]
    while len(periods) < count:
        periods.append(previous_due_period(kpi, periods[-1]))
    return list(reversed(periods))


def sums_months(kpi: Kpi) -> bool:
    """Return whether the KPI's position at a period is summed from every month of the year so far."""
    return kpi.is_rate and kpi.is_cumulative


class Scorecard:
    """Values and target versions for a set of KPIs, loaded in a fixed number of queries.

    Values and targets are read as plain rows, and a `KpiValue` or `Target`
    instance is made only when `record()`, `target_in_force()`, `rate()` or
    `row()` returns one, so rating many KPIs stays cheap.

    By default every value from `history_years` before the period is loaded,
    so every method works for any period in that window. With
    `rows_only=True`, only what `rows()` and `rate(kpi, period)` read is
    loaded: each KPI's reporting period and the chosen period with their
    targets and, for the trend and directions, the earlier periods' numbers.
    `record()` then works for those two periods only. Without `with_trend`,
    rows carry no trend, their directions are Not comparable, and nothing
    before the reporting period is read except the months a cumulative rate
    sums.

    With `reported_only=True`, drafts and returns sent back for changes are
    left out, so pages that report performance show only submitted and
    signed-off values. A period with only a draft is then No data.

    A target's profile is kept here rather than prefetched, so
    `Target.profiled_value()` on a returned target runs a query. Take the
    profiled value from `rate()` instead.
    """

    def __init__(self, kpis, period: Period, *, history_years: int = 2, with_trend: bool = True,
                 rows_only: bool = False, reported_only: bool = False):
        self.period = period
        self.reported_only = reported_only
        self.kpis = list(kpis)
        self.with_trend = with_trend
        self.first_year = period.year - history_years
        self.readings: dict[tuple[int, int], Reading] = {}
        self.profiles: dict[int, dict[int, Decimal]] = defaultdict(dict)
        self._value_rows: dict[tuple[int, int], tuple] = {}
        self._records: dict[tuple[int, int], KpiValue] = {}
        self._versions: dict[tuple[int, int], list[tuple]] = defaultdict(list)
        self._targets: dict[int, Target] = {}
        self._current: dict[str, Period] = {}
        self._db = KpiValue.objects.db
        if not self.kpis:
            return
        if rows_only:
            self._load_what_rows_read()
        else:
            self._load_window()

    # Loading ----------------------------------------------------------------

    def _load_window(self):
        kpi_ids = [kpi.pk for kpi in self.kpis]
        values = KpiValue.objects.filter(kpi_id__in=kpi_ids, financial_year__gte=self.first_year).up_to(self.period)
        self._load_values(self._reported(values), records=None)
        self._load_targets(
            Q(kpi_id__in=kpi_ids, financial_year__gte=self.first_year, financial_year__lte=self.period.year)
        )

    def _reported(self, values):
        if not self.reported_only:
            return values
        return values.filter(status__in=REPORTED_STATUSES)

    def _load_what_rows_read(self):
        """Load each KPI's periods in one query, grouping the KPIs that read the same periods."""
        records: dict[int, frozenset[int]] = {}
        value_groups: dict[frozenset[Period], list[int]] = defaultdict(list)
        target_groups: dict[frozenset[int], list[int]] = defaultdict(list)
        plans = {}
        for kpi in self.kpis:
            shape = (kpi.frequency, sums_months(kpi))
            if shape not in plans:
                plans[shape] = self._periods_read(kpi)
            record_periods, read_periods = plans[shape]
            records[kpi.pk] = frozenset(period.index for period in record_periods)
            value_groups[read_periods].append(kpi.pk)
            target_groups[frozenset(period.year for period in record_periods)].append(kpi.pk)

        self._load_values(
            self._reported(KpiValue.objects.filter(_any_of(
                Q(kpi_id__in=ids) & _periods_q(periods) for periods, ids in value_groups.items()
            ))),
            records=records,
        )
        self._load_targets(_any_of(
            Q(kpi_id__in=ids, financial_year__in=years) for years, ids in target_groups.items()
        ))

    def _periods_read(self, kpi: Kpi) -> tuple[frozenset[Period], frozenset[Period]]:
        """Return the periods whose records `kpi` needs, and every period whose numbers it reads."""
        current = self.current_period(kpi)
        records = {current, self.period}
        rated = set(records)
        if self.with_trend:
            rated.update(due_periods(kpi, current, TREND_LENGTH))
            rated.update((previous_due_period(kpi, current), current.same_period_last_year()))
        read = set(rated)
        if sums_months(kpi):
            for period in rated:
                read.update(period.year_to_date())
        in_window = frozenset(p for p in read if p.year >= self.first_year)
        return frozenset(records) & in_window, in_window

    def _load_values(self, values, *, records: dict[int, frozenset[int]] | None):
        """Keep every value's numbers, and the whole row of those in `records` (all when None)."""
        for row in values.order_by().values_list(*VALUE_FIELDS):
            key = (row[_KPI], Period(row[_YEAR], row[_NUMBER]).index)
            self.readings[key] = Reading(row[_VALUE], row[_NUMERATOR], row[_DENOMINATOR])
            if records is None or key[1] in records[key[0]]:
                self._value_rows[key] = row

    def _load_targets(self, condition: Q):
        targets = Target.objects.filter(condition)
        for row in targets.order_by("effective_from").values_list(*TARGET_FIELDS):
            self._versions[(row[_T_KPI], row[_T_YEAR])].append(row)
        points = TargetProfile.objects.filter(target__in=targets.values("pk")).order_by()
        for target_id, number, value in points.values_list("target_id", "period", "value"):
            self.profiles[target_id][number] = value

    # Reading ----------------------------------------------------------------

    def current_period(self, kpi: Kpi) -> Period:
        """Return the KPI's reporting period for the scorecard's period, worked out once per frequency."""
        if kpi.frequency not in self._current:
            self._current[kpi.frequency] = reporting_period(kpi, self.period)
        return self._current[kpi.frequency]

    def record(self, kpi: Kpi, period: Period) -> KpiValue | None:
        key = (kpi.pk, period.index)
        if key not in self._records:
            row = self._value_rows.get(key)
            self._records[key] = KpiValue.from_db(self._db, VALUE_FIELDS, row) if row else None
        return self._records[key]

    def actual(self, kpi: Kpi, period: Period) -> Decimal | None:
        """Return the KPI's position at `period`, summing numerators and denominators for a cumulative rate KPI."""
        if sums_months(kpi):
            pairs = []
            for month in period.year_to_date():
                reading = self.readings.get((kpi.pk, month.index))
                if reading is not None:
                    pairs.append((reading.numerator, reading.denominator))
            return rag.aggregate_rate(pairs, multiplier=Decimal(kpi.rate_multiplier))
        reading = self.readings.get((kpi.pk, period.index))
        return reading.value if reading else None

    def _version(self, kpi: Kpi, period: Period) -> tuple | None:
        """Return the row of the target version in force: the latest effective at or before the period."""
        in_force = None
        for row in self._versions.get((kpi.pk, period.year), ()):
            if row[_T_FROM] <= period.number:
                in_force = row
        return in_force

    def _target(self, version: tuple | None) -> Target | None:
        if version is None:
            return None
        pk = version[_T_PK]
        if pk not in self._targets:
            self._targets[pk] = Target.from_db(self._db, TARGET_FIELDS, version)
        return self._targets[pk]

    def target_in_force(self, kpi: Kpi, period: Period) -> Target | None:
        return self._target(self._version(kpi, period))

    def _rate(self, kpi: Kpi, period: Period, version: tuple | None) -> tuple[rag.Rating, Decimal | None]:
        actual = self.actual(kpi, period)
        if kpi.polarity == rag.Polarity.MONITOR:
            return rag.Rating.NOT_RATED, None
        if version is None:
            return (rag.Rating.NO_DATA if actual is None else rag.Rating.NOT_RATED), None
        target_value = rag.profiled_target(version[_T_VALUE], self.profiles.get(version[_T_PK]), period.number)
        rating = rag.rate(
            actual,
            polarity=kpi.polarity_enum,
            target=target_value,
            lower=version[_T_LOWER],
            upper=version[_T_UPPER],
            tolerance=version[_T_TOLERANCE],
        )
        return rating, target_value

    def rate(self, kpi: Kpi, period: Period) -> tuple[rag.Rating, Target | None, Decimal | None]:
        version = self._version(kpi, period)
        rating, target_value = self._rate(kpi, period, version)
        return rating, self._target(version), target_value

    def rating(self, kpi: Kpi) -> rag.Rating:
        """Rate the KPI in its reporting period without making any instance, for counting many KPIs."""
        period = self.current_period(kpi)
        return self._rate(kpi, period, self._version(kpi, period))[0]

    def direction(self, kpi: Kpi, current: Period, earlier: Period, target: Target | None) -> rag.Direction:
        return rag.direction_of_travel(
            self.actual(kpi, current),
            self.actual(kpi, earlier),
            polarity=kpi.polarity_enum,
            lower=target.lower if target else None,
            upper=target.upper if target else None,
        )

    def row(self, kpi: Kpi) -> KpiRow:
        period = self.current_period(kpi)
        rating, target, target_value = self.rate(kpi, period)
        row = KpiRow(
            kpi=kpi,
            period=period,
            record=self.record(kpi, period),
            actual=self.actual(kpi, period),
            target=target,
            target_value=target_value,
            rating=rating,
            direction_previous=rag.Direction.NOT_COMPARABLE,
            direction_last_year=rag.Direction.NOT_COMPARABLE,
        )
        if self.with_trend:
            row.direction_previous = self.direction(kpi, period, previous_due_period(kpi, period), target)
            row.direction_last_year = self.direction(kpi, period, period.same_period_last_year(), target)
            row.trend = [(p, self.actual(kpi, p)) for p in due_periods(kpi, period, TREND_LENGTH)]
        return row

    def rows(self) -> list[KpiRow]:
        return [self.row(kpi) for kpi in self.kpis]


def _periods_q(periods) -> Q:
    """Match values in any of `periods`, one condition per financial year."""
    numbers_by_year = defaultdict(list)
    for period in periods:
        numbers_by_year[period.year].append(period.number)
    return _any_of(
        Q(financial_year=year, period__in=sorted(numbers)) for year, numbers in sorted(numbers_by_year.items())
    )


def _any_of(conditions) -> Q:
    return reduce(or_, conditions)


def rating_counts(rows) -> dict[rag.Rating, int]:
    """Count the rows with each rating, with every rating present (zero where none)."""
    counts = {rating: 0 for rating in rag.Rating}
    for row in rows:
        counts[row.rating] += 1
    return counts
