"""The corporate dashboard: tier 1 KPIs grouped by Corporate Plan commitment."""

from dataclasses import dataclass

from django.utils.safestring import SafeString

from golden_thread.models import ThreadItem
from kpis.models import Kpi
from kpis.scorecard import KpiRow, Scorecard, rating_counts
from pmf import rag
from pmf.periods import Period

from .charts import sparkline_svg

NOT_LINKED = "Not linked to a commitment"


@dataclass
class DashboardRow:
    row: KpiRow
    sparkline: SafeString


@dataclass
class CommitmentGroup:
    commitment: ThreadItem | None
    rows: list[DashboardRow]

    @property
    def title(self) -> str:
        return self.commitment.title if self.commitment else NOT_LINKED

    @property
    def counts(self) -> dict[rag.Rating, int]:
        return rating_counts(row.row for row in self.rows)


def trend_sparkline(row: KpiRow) -> SafeString:
    """Draw the row's trend as a sparkline whose text alternative lists every period and value."""
    readings = ", ".join(
        f"{period.label} {row.kpi.format(value) if value is not None else 'no value'}"
        for period, value in row.trend
    )
    return sparkline_svg([value for _, value in row.trend], description=f"Trend: {readings}")


def commitment_of(kpi: Kpi, commitments: dict[int, ThreadItem]) -> ThreadItem | None:
    """Return the commitment that the KPI's thread item is, or sits beneath, or None."""
    item = kpi.thread_item
    if item is None:
        return None
    for item_id in [item.pk, *reversed(item.ancestor_ids())]:
        if item_id in commitments:
            return commitments[item_id]
    return None


def build_dashboard(period: Period) -> list[CommitmentGroup]:
    """Group the tier 1 KPIs by commitment, in thread order, then the unlinked KPIs if any.

    Runs a fixed number of queries however many KPIs there are: the KPIs,
    the commitments, and the scorecard's own.
    """
    kpis = list(Kpi.objects.active().tier(Kpi.Tier.PLAN).select_related("thread_item"))
    commitments = {item.pk: item for item in ThreadItem.objects.commitments()}
    groups = {pk: CommitmentGroup(commitment, []) for pk, commitment in commitments.items()}
    unlinked = CommitmentGroup(None, [])

    for row in Scorecard(kpis, period, rows_only=True, reported_only=True).rows():
        commitment = commitment_of(row.kpi, commitments)
        group = groups[commitment.pk] if commitment else unlinked
        group.rows.append(DashboardRow(row, trend_sparkline(row)))

    return [*groups.values(), *([unlinked] if unlinked.rows else [])]
