"""A KPI's rated history, period by period, for its page and chart."""

from dataclasses import dataclass
from decimal import Decimal

import plotly.graph_objects as go

from pmf import rag
from pmf.periods import Period
from pmf.rag import amber_band
from reporting.charts import Band, TrendPoint, kpi_trend_figure

from .models import Kpi, KpiValue, Target
from .scorecard import REPORTED_STATUSES, RatedDisplay, Scorecard


@dataclass
class HistoryRow(RatedDisplay):
    kpi: Kpi
    period: Period
    record: KpiValue | None
    actual: Decimal | None
    target: Target | None
    target_value: Decimal | None
    rating: rag.Rating

    @property
    def bands(self) -> list[Band]:
        if self.target is None:
            return []
        return amber_band(
            self.kpi.polarity,
            target=self.target_value,
            lower=self.target.lower,
            upper=self.target.upper,
            tolerance=self.target.tolerance,
        )


def kpi_history(kpi: Kpi) -> list[HistoryRow]:
    """Rate every due period from the KPI's first stored value to its last, oldest first.

    One query finds the span, then the scorecard loads values and targets in
    its own fixed number of queries.
    """
    stored = list(
        kpi.values.filter(status__in=REPORTED_STATUSES)
        .order_by("financial_year", "period")
        .values_list("financial_year", "period")
    )
    if not stored:
        return []
    first, last = Period(*stored[0]), Period(*stored[-1])

    scorecard = Scorecard([kpi], last, history_years=last.year - first.year, reported_only=True)
    rows = []
    for period in Period.range(first, last):
        if not kpi.is_due(period):
            continue
        rating, target, target_value = scorecard.rate(kpi, period)
        rows.append(HistoryRow(
            kpi=kpi,
            period=period,
            record=scorecard.record(kpi, period),
            actual=scorecard.actual(kpi, period),
            target=target,
            target_value=target_value,
            rating=rating,
        ))
    return rows


def chart_points(rows: list[HistoryRow]) -> list[TrendPoint]:
    """Convert the rows to plain chart data. A range KPI has two target lines, its bounds."""
    points = []
    for row in rows:
        if row.target is None or row.kpi.polarity == rag.Polarity.MONITOR:
            targets = ()
        elif row.kpi.polarity == rag.Polarity.RANGE:
            targets = (row.target.lower, row.target.upper)
        else:
            targets = (row.target_value,)
        points.append(TrendPoint(row.period.label, row.actual, targets, tuple(row.bands)))
    return points


def trend_figure(kpi: Kpi, rows: list[HistoryRow]) -> go.Figure:
    """Draw the KPI's chart: actuals, the target (or both range bounds) and the Amber band."""
    names = ("Range bottom", "Range top") if kpi.polarity == rag.Polarity.RANGE else ("Target",)
    return kpi_trend_figure(chart_points(rows), value_title=kpi.get_unit_display(), target_names=names)
