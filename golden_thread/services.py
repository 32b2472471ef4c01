"""Line of sight and trees of the golden thread, with ratings of what sits beneath each item.

Trees are built in memory from one query of items and one of KPIs (plus the
scorecard's own queries), never a query per layer.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from kpis.models import Kpi
from kpis.scorecard import KpiRow, Scorecard
from pmf import rag
from pmf.periods import Period

from .models import KIND_POSITION, ThreadItem


def line_of_sight(item: ThreadItem) -> list[ThreadItem]:
    """Return the chain from the top of the thread down to and including `item`, in one query."""
    return [*ThreadItem.objects.ancestors_of(item), item]


def _empty_counts() -> dict[rag.Rating, int]:
    return {rating: 0 for rating in rag.Rating}


@dataclass
class Node:
    item: ThreadItem
    rating: rag.Rating | None = None
    children: list["Node"] = field(default_factory=list)
    kpi_rows: list[KpiRow] = field(default_factory=list)
    counts: dict[rag.Rating, int] = field(default_factory=_empty_counts)

    @property
    def has_content(self) -> bool:
        return bool(self.children or self.kpi_rows)

    @property
    def rated_count(self) -> int:
        return sum(self.counts.values())


@dataclass
class ThreadTree:
    period: Period
    roots: list[Node]
    orphans: list[Node]
    orphan_kpis: list[KpiRow]


def _sort_key(node: Node):
    item = node.item
    return (KIND_POSITION[item.kind], item.reference, item.title, item.pk)


def _count_beneath(node: Node) -> dict[rag.Rating, int]:
    """Fill in the counts beneath `node`, and return them with the node's own rating added for its parent."""
    for row in node.kpi_rows:
        node.counts[row.rating] += 1
    for child in node.children:
        for rating, number in _count_beneath(child).items():
            node.counts[rating] += number

    upwards = dict(node.counts)
    if node.rating is not None:
        upwards[node.rating] += 1
    return upwards


def _build(items: list[ThreadItem], kpis: list[Kpi], period: Period, top_ids: set[int]):
    """Link `items` into nodes with their KPI rows, and return the top nodes and the unplaced KPI rows.

    The top nodes are those whose pk is in `top_ids`, so the caller decides
    what counts as a root. Counts are filled in beneath each top node.
    """
    today = period.end_on
    nodes = {item.pk: Node(item, item.rating(today) if item.is_action else None) for item in items}
    for node in nodes.values():
        parent = nodes.get(node.item.parent_id)
        if parent is not None:
            parent.children.append(node)

    rows_by_item = defaultdict(list)
    for row in Scorecard(kpis, period).rows():
        rows_by_item[row.kpi.thread_item_id].append(row)
    for pk, node in nodes.items():
        node.kpi_rows = rows_by_item.get(pk, [])
        node.children.sort(key=_sort_key)

    tops = sorted((nodes[pk] for pk in top_ids if pk in nodes), key=_sort_key)
    for top in tops:
        _count_beneath(top)
    return tops, rows_by_item.get(None, [])


def build_tree(period: Period) -> ThreadTree:
    """Build the whole thread from each Corporate Plan down, the items with no parent, and unplaced KPIs."""
    items = list(ThreadItem.objects.all())
    kpis = list(Kpi.objects.active())
    orphan_ids = set(ThreadItem.objects.orphans().values_list("pk", flat=True))
    root_ids = {item.pk for item in items if item.parent_id is None and item.pk not in orphan_ids}

    tops, orphan_kpis = _build(items, kpis, period, root_ids | orphan_ids)
    return ThreadTree(
        period=period,
        roots=[node for node in tops if node.item.pk in root_ids],
        orphans=[node for node in tops if node.item.pk in orphan_ids],
        orphan_kpis=orphan_kpis,
    )


def build_subtree(item: ThreadItem, period: Period) -> Node:
    """Build the node of `item` with its descendants and the KPIs placed on any of them."""
    items = [item, *ThreadItem.objects.descendants_of(item)]
    kpis = list(Kpi.objects.active().beneath(item))
    tops, _ = _build(items, kpis, period, {item.pk})
    return tops[0]
