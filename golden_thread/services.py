"""Line of sight and trees of the golden thread, with ratings of what sits beneath each item.

Trees are built in memory in a fixed number of queries, never a query per
layer. The ratings beneath each item are counted from the materialised
paths of plain rows, so a tree can show only its upper layers and still
count everything beneath them.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from django.db.models import F

from kpis.models import Kpi
from kpis.scorecard import KpiRow, Scorecard
from pmf import rag
from pmf.periods import Period

from .models import ACTION_KINDS, KIND_POSITION, ItemKind, ThreadItem

# Rows fetched at a time when streaming items to count their ratings.
ROW_CHUNK = 2000


def line_of_sight(item: ThreadItem) -> list[ThreadItem]:
    """Return the chain from the top of the thread down to and including `item`, in one query."""
    return [*ThreadItem.objects.ancestors_of(item), item]


def _empty_counts() -> dict[rag.Rating, int]:
    return {rating: 0 for rating in rag.Rating}


@dataclass
class Node:
    """An item with the ratings beneath it.

    A collapsed node has something beneath it that was not loaded: its
    counts are complete, but its children and KPI rows are empty.
    """

    item: ThreadItem
    rating: rag.Rating | None = None
    children: list["Node"] = field(default_factory=list)
    kpi_rows: list[KpiRow] = field(default_factory=list)
    counts: dict[rag.Rating, int] = field(default_factory=_empty_counts)
    is_collapsed: bool = False

    @property
    def has_content(self) -> bool:
        return bool(self.children or self.kpi_rows or self.is_collapsed)

    @property
    def rated_count(self) -> int:
        return sum(self.counts.values())

    @property
    def rated_counts(self) -> list[tuple[rag.Rating, int]]:
        """The ratings present beneath the node with their numbers, in rating order."""
        return [(rating, number) for rating, number in self.counts.items() if number]


@dataclass
class ThreadTree:
    period: Period
    roots: list[Node]
    orphans: list[Node]
    orphan_kpis: list[KpiRow]


def _sort_key(node: Node):
    item = node.item
    return (KIND_POSITION[item.kind], item.reference, item.title, item.pk)


def _path_ids(path: str) -> list[int]:
    """The ids in a materialised path, top first: "/1/4/9/" gives [1, 4, 9]."""
    return [int(part) for part in path.split("/") if part]


# Members by stored value, so rating thousands of rows does not look each one up by value.
_STATUSES = {status.value: status for status in rag.DeliveryStatus}
_RATINGS = {rating.value: rating for rating in rag.Rating}


def _action_rating(kind, delivery_status, owner_rating, start_on, end_on, *, today: date) -> rag.Rating | None:
    """Rate an action from plain fields as `ThreadItem.rating` does; None for an item that is not an action."""
    if kind not in ACTION_KINDS:
        return None
    return rag.rate_action(
        status=_STATUSES.get(delivery_status, rag.DeliveryStatus.NOT_STARTED),
        owner_rating=_RATINGS.get(owner_rating),
        start_on=start_on,
        end_on=end_on,
        today=today,
    )


def count_beneath(
    items: Iterable[tuple[str, rag.Rating | None]], kpis: Iterable[tuple[str, rag.Rating]]
) -> dict[int, dict[rag.Rating, int]]:
    """Count the ratings beneath every item from materialised paths, without building a tree.

    `items` are (path, rating) pairs, the rating None for an item that is not
    an action; `kpis` are (path of the KPI's item, rating) pairs. An action
    counts for every item above it, a KPI for its own item too. The result
    contains every item with anything beneath it, even if nothing there is
    rated, so a missing pk means nothing sits beneath that item.
    """
    tally = Counter()
    for path, rating in items:
        tally[(path[: path.rindex("/", 0, -1) + 1], rating)] += 1
    for path, rating in kpis:
        tally[(path, rating)] += 1

    counts = defaultdict(_empty_counts)
    for (path, rating), number in tally.items():
        for item_id in _path_ids(path):
            item_counts = counts[item_id]
            if rating is not None:
                item_counts[rating] += number
    return counts


# (path, rating) of an item, the rating None where it is not an action.
Rated = tuple[str, rag.Rating | None]


def _rate_instances(items: Iterable[ThreadItem], today: date) -> Iterator[Rated]:
    for item in items:
        yield item.path, item.rating(today) if item.is_action else None


def _rate_rows(queryset, today: date) -> Iterator[Rated]:
    """Rate every item of `queryset` from plain rows streamed from the database, far cheaper than instances."""
    rows = queryset.values_list("path", "kind", "delivery_status", "owner_rating", "start_on", "end_on")
    for path, *fields in rows.iterator(chunk_size=ROW_CHUNK):
        yield path, _action_rating(*fields, today=today)


def _with_paths(kpis) -> list[Kpi]:
    """The KPIs, each with `thread_path`: the path of its item, read in the same query."""
    return list(kpis.annotate(thread_path=F("thread_item__path")))


def _assemble(
    period: Period, shown: list[ThreadItem], rated: Iterable[Rated], kpis: list[Kpi], *, open_ids: set[int]
) -> tuple[dict[int, Node], list[KpiRow]]:
    """Make a node of each shown item and attach the children and KPI rows of the open ones.

    `rated` contains every item beneath the shown ones, so the counts cover
    what is not shown. `kpis` carry `thread_path` (see `_with_paths`).
    Return the nodes by pk and the rows of the KPIs placed nowhere.
    """
    today = period.end_on
    nodes = {item.pk: Node(item, item.rating(today) if item.is_action else None) for item in shown}
    for node in nodes.values():
        parent_id = node.item.parent_id
        if parent_id in open_ids and parent_id in nodes:
            nodes[parent_id].children.append(node)

    scorecard = Scorecard(kpis, period, with_trend=False, rows_only=True, reported_only=True)
    unplaced = []
    for kpi in kpis:
        item_id = kpi.thread_item_id
        if item_id is None:
            unplaced.append(scorecard.row(kpi))
        elif item_id in open_ids and item_id in nodes:
            nodes[item_id].kpi_rows.append(scorecard.row(kpi))

    placed = ((kpi.thread_path, scorecard.rating(kpi)) for kpi in kpis if kpi.thread_item_id is not None)
    counts = count_beneath(rated, placed)
    for pk, node in nodes.items():
        node.children.sort(key=_sort_key)
        node.counts = counts.get(pk, _empty_counts())
        node.is_collapsed = pk not in open_ids and pk in counts
    return nodes, unplaced


def build_tree(period: Period, *, open_depth: int | None = None) -> ThreadTree:
    """Build the thread from each Corporate Plan down, the items with no parent, and unplaced KPIs.

    Without `open_depth` every node contains everything beneath it. With it,
    only the items under a plan above that depth hold their children and
    KPIs; the items at that depth and those with no parent are collapsed.
    Only the items down to that depth are loaded as instances; the rest are
    read as plain rows to count their ratings.
    """
    today = period.end_on
    if open_depth is None:
        shown = list(ThreadItem.objects.all())
        rated = _rate_instances(shown, today)
    else:
        shown = list(ThreadItem.objects.filter(depth__lte=open_depth))
        rated = _rate_rows(ThreadItem.objects.all(), today)

    tops = [item for item in shown if item.parent_id is None]
    plan_ids = {item.pk for item in tops if item.kind == ItemKind.CORPORATE_PLAN}
    orphan_ids = {item.pk for item in tops} - plan_ids
    if open_depth is None:
        open_ids = {item.pk for item in shown}
    else:
        shown = [item for item in shown if item.pk in orphan_ids or _path_ids(item.path)[0] in plan_ids]
        open_ids = {item.pk for item in shown if item.depth < open_depth and item.pk not in orphan_ids}

    nodes, unplaced = _assemble(period, shown, rated, _with_paths(Kpi.objects.active()), open_ids=open_ids)
    return ThreadTree(
        period=period,
        roots=sorted((nodes[pk] for pk in plan_ids), key=_sort_key),
        orphans=sorted((nodes[pk] for pk in orphan_ids), key=_sort_key),
        orphan_kpis=unplaced,
    )


def build_subtree(item: ThreadItem, period: Period, *, open_depth: int | None = None) -> Node:
    """Build the node of `item` with its descendants and the KPIs placed on any of them.

    With `open_depth`, only the items above that depth hold their children
    and KPIs: `open_depth=item.depth + 1` gives the item's children, each
    collapsed with the counts of everything beneath it.
    """
    today = period.end_on
    descendants = ThreadItem.objects.descendants_of(item)
    if open_depth is None:
        shown = [item, *descendants]
        rated = _rate_instances(shown, today)
    else:
        shown = [item, *descendants.filter(depth__lte=open_depth)]
        rated = _rate_rows(descendants, today)
    open_ids = {each.pk for each in shown if open_depth is None or each.depth < open_depth}

    kpis = _with_paths(Kpi.objects.active().beneath(item))
    nodes, _ = _assemble(period, shown, rated, kpis, open_ids=open_ids)
    return nodes[item.pk]
