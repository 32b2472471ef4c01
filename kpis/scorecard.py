"""Rate many KPIs for a period in a fixed number of queries.

Every page and pack that shows ratings builds its rows here, so ratings
always come from `pmf.rag` and the target version in force for the period.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch

from pmf import rag
from pmf.periods import FinancialYear, Period

from .models import Kpi, KpiValue, Target, TargetProfile

TREND_LENGTH = 8


@dataclass
class KpiRow:
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


class Scorecard:
    """Values and target versions for a set of KPIs, loaded in three queries."""

    def __init__(self, kpis, period: Period, *, history_years: int = 2):
        self.period = period
        self.kpis = list(kpis)
        kpi_ids = [kpi.pk for kpi in self.kpis]
        first_year = period.year - history_years

        self.values: dict[tuple[int, int], KpiValue] = {}
        records = KpiValue.objects.filter(kpi_id__in=kpi_ids, financial_year__gte=first_year).up_to(period)
        for record in records:
            self.values[(record.kpi_id, Period(record.financial_year, record.period).index)] = record

        self.targets: dict[tuple[int, int], list[Target]] = defaultdict(list)
        targets = Target.objects.filter(
            kpi_id__in=kpi_ids, financial_year__gte=first_year, financial_year__lte=period.year
        ).prefetch_related(Prefetch("profile", queryset=TargetProfile.objects.order_by("period")))
        for target in targets.order_by("effective_from"):
            self.targets[(target.kpi_id, target.financial_year)].append(target)

    def record(self, kpi: Kpi, period: Period) -> KpiValue | None:
        return self.values.get((kpi.pk, period.index))

    def actual(self, kpi: Kpi, period: Period) -> Decimal | None:
        """Return the KPI's position at `period`, summing numerators and denominators for a cumulative rate KPI."""
        if kpi.is_rate and kpi.is_cumulative:
            months = Period.range(FinancialYear(period.year).periods()[0], period)
            pairs = []
            for month in months:
                record = self.record(kpi, month)
                if record is not None:
                    pairs.append((record.numerator, record.denominator))
            return rag.aggregate_rate(pairs, multiplier=Decimal(kpi.rate_multiplier))
        record = self.record(kpi, period)
        return record.value if record else None

    def target_in_force(self, kpi: Kpi, period: Period) -> Target | None:
        in_force = None
        for target in self.targets.get((kpi.pk, period.year), []):
            if target.effective_from <= period.number:
                in_force = target
        return in_force

    def rate(self, kpi: Kpi, period: Period) -> tuple[rag.Rating, Target | None, Decimal | None]:
        target = self.target_in_force(kpi, period)
        actual = self.actual(kpi, period)
        if kpi.polarity == rag.Polarity.MONITOR:
            return rag.Rating.NOT_RATED, target, None
        if target is None:
            rating = rag.Rating.NO_DATA if actual is None else rag.Rating.NOT_RATED
            return rating, None, None
        target_value = target.profiled_value(period.number)
        rating = rag.rate(
            actual,
            polarity=kpi.polarity_enum,
            target=target_value,
            lower=target.lower,
            upper=target.upper,
            tolerance=target.tolerance,
        )
        return rating, target, target_value

    def direction(self, kpi: Kpi, current: Period, earlier: Period, target: Target | None) -> rag.Direction:
        return rag.direction_of_travel(
            self.actual(kpi, current),
            self.actual(kpi, earlier),
            polarity=kpi.polarity_enum,
            lower=target.lower if target else None,
            upper=target.upper if target else None,
        )

    def row(self, kpi: Kpi) -> KpiRow:
        period = reporting_period(kpi, self.period)
        rating, target, target_value = self.rate(kpi, period)
        return KpiRow(
            kpi=kpi,
            period=period,
            record=self.record(kpi, period),
            actual=self.actual(kpi, period),
            target=target,
            target_value=target_value,
            rating=rating,
            direction_previous=self.direction(kpi, period, previous_due_period(kpi, period), target),
            direction_last_year=self.direction(kpi, period, period.same_period_last_year(), target),
            trend=[(p, self.actual(kpi, p)) for p in due_periods(kpi, period, TREND_LENGTH)],
        )

    def rows(self) -> list[KpiRow]:
        return [self.row(kpi) for kpi in self.kpis]


def rating_counts(rows) -> dict[rag.Rating, int]:
    """Count the rows with each rating, with every rating present (zero where none)."""
    counts = {rating: 0 for rating in rag.Rating}
    for row in rows:
        counts[row.rating] += 1
    return counts
