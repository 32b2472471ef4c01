import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from golden_thread.models import ItemKind, ThreadItem
from golden_thread.services import build_subtree, build_tree, count_beneath
from pmf import rag
from pmf.periods import Period

TREE_URL = reverse("golden_thread:tree")
HTMX = {"HX-Request": "true"}
SEPTEMBER = Period(2014, 6)


def text(html: str) -> str:
    """What a screen reader reads: tags and aria-hidden icons removed, spaces collapsed."""
    html = re.sub(r'<span[^>]*aria-hidden="true"[^>]*>.*?</span>', " ", html)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


NODE_RE = re.compile(
    r'<div class="thread-node__label">(.*?)</div>\s*(?:<details[^>]*>\s*<summary>(.*?)</summary>)?', re.S
)


def node_of(html: str, title: str) -> tuple[str, str]:
    """The text of the line that names `title`, and of the toggle beneath it ("" for a leaf)."""
    matches = [(text(label), text(beneath)) for label, beneath in NODE_RE.findall(html) if title in label]
    assert len(matches) == 1, f"expected one line for {title}, found {len(matches)}"
    return matches[0]


def label_of(html: str, title: str) -> str:
    return node_of(html, title)[0]


def item_url(item) -> str:
    return reverse("golden_thread:item", args=[item.pk])


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, {"period": SEPTEMBER.code}, headers=HTMX).status_code == 200
    return len(queries)


@pytest.fixture
def thread(make_thread, make_item, make_kpi, make_target, make_value):
    """The small thread with ratings known for September 2014.

    Key action KA1 ended on 31 August 2014 and is in progress, so on 30
    September it is forced Red. Milestone M1 is on track (Green). KPI CS01
    on KA1 has 80.75 against 85 (Amber); CS02 on the commitment has no
    value (No data), and deliverable PD1 has no owner rating (No data). An
    illustrative programme sits under PD1; an orphan task sits apart.
    """
    thread = make_thread()
    thread.key_action.delivery_status = rag.DeliveryStatus.IN_PROGRESS
    thread.key_action.owner_rating = rag.Rating.GREEN
    thread.key_action.end_on = date(2014, 8, 31)
    thread.key_action.save()
    thread.programme = make_item(ItemKind.PROGRAMME, "Town centre regeneration", thread.deliverable,
                                 is_illustrative=True)
    thread.milestone = make_item(
        ItemKind.MILESTONE, "Market hall reopens", thread.programme,
        delivery_status=rag.DeliveryStatus.IN_PROGRESS, owner_rating=rag.Rating.GREEN,
    )
    thread.orphan = make_item(ItemKind.TASK, "Survey footpaths")
    amber = make_kpi("CS01", name="Roads in good repair", thread_item=thread.key_action)
    no_data = make_kpi("CS02", name="Jobs created", thread_item=thread.commitment)
    thread.unplaced = make_kpi("CS03", name="Unplaced measure")
    for kpi in (amber, no_data, thread.unplaced):
        make_target(kpi, "85", year=2014)
    make_value(amber, SEPTEMBER, "80.75")
    return thread


def test_tree_counts_ratings_beneath(thread):
    tree = build_tree(SEPTEMBER)
    [plan] = tree.roots
    [commitment] = plan.children
    deliverable = next(node for node in commitment.children if node.item == thread.deliverable)

    R = rag.Rating
    assert commitment.counts == {R.GREEN: 1, R.AMBER: 1, R.RED: 1, R.NO_DATA: 2, R.NOT_RATED: 0}
    assert plan.counts == commitment.counts
    assert deliverable.counts == {R.GREEN: 1, R.AMBER: 1, R.RED: 1, R.NO_DATA: 0, R.NOT_RATED: 0}
    assert deliverable.rating is R.NO_DATA


def test_tree_lists_orphans_and_unplaced_kpis(thread):
    tree = build_tree(SEPTEMBER)

    assert [node.item for node in tree.orphans] == [thread.orphan]
    assert [row.kpi for row in tree.orphan_kpis] == [thread.unplaced]


def children_url(item) -> str:
    return reverse("golden_thread:item-children", args=[item.pk])


def branch(client, item, period=SEPTEMBER) -> str:
    """The children of `item` as the tree loads them over htmx when its branch opens."""
    response = client.get(children_url(item), {"period": period.code}, headers=HTMX)
    assert response.status_code == 200
    return response.content.decode()


def test_tree_page_shows_upper_layers_with_counts(client_for, officer, thread):
    html = client_for(officer).get(TREE_URL, {"period": SEPTEMBER.code}).content.decode()

    assert node_of(html, "Unlocking prosperity for all") == (
        "Commitment C1 Unlocking prosperity for all",
        "Beneath it: Green 1 Amber 1 Red 1 No data 2",
    )
    # The deliverable is collapsed, but counts everything beneath it.
    assert node_of(html, "Deliver the local transport plan") == (
        "Priority deliverable PD1 Deliver the local transport plan No data",
        "Beneath it: Green 1 Amber 1 Red 1",
    )
    assert node_of(html, "Thriving town centres") == ("Outcome O1 Thriving town centres", "")
    for deeper in ("Resurface priority roads", "Town centre regeneration", "Roads in good repair"):
        assert deeper not in html


def test_collapsed_node_loads_children_or_links_to_item(client_for, officer, thread):
    html = client_for(officer).get(TREE_URL, {"period": SEPTEMBER.code}).content.decode()

    details = re.search(r'<details[^>]*hx-get="([^"]+)"[^>]*>(.*?)</details>', html, re.S)
    assert details[1] == f"{children_url(thread.deliverable)}?period={SEPTEMBER.code}"
    # Without JavaScript, opening the branch offers the item page, which shows everything beneath.
    assert f'href="{item_url(thread.deliverable)}?period={SEPTEMBER.code}"' in details[2]


def test_branch_shows_children_with_counts(client_for, officer, thread):
    client = client_for(officer)
    html = branch(client, thread.deliverable)

    assert "<html" not in html
    assert node_of(html, "Resurface priority roads") == (
        "Key action KA1 Resurface priority roads Red",
        "Beneath it: Amber 1",
    )
    assert node_of(html, "Town centre regeneration") == (
        "Programme Town centre regeneration Illustrative",
        "Beneath it: Green 1",
    )
    assert "Market hall reopens" not in html
    assert node_of(branch(client, thread.key_action), "Roads in good repair") == (
        "KPI CS01 Roads in good repair Amber 80.8% against 85.0%",
        "",
    )


def test_branch_without_htmx_redirects_to_item_page(client_for, officer, thread):
    response = client_for(officer).get(children_url(thread.deliverable), {"period": SEPTEMBER.code})

    assert response.status_code == 302
    assert response["Location"] == f"{item_url(thread.deliverable)}?period={SEPTEMBER.code}"


def test_shallow_tree_counts_match_whole_tree(thread):
    def by_item(nodes, found):
        for node in nodes:
            found[node.item] = node
            by_item(node.children, found)
        return found

    whole = by_item(build_tree(SEPTEMBER).roots, {})
    shallow_tree = build_tree(SEPTEMBER, open_depth=2)
    shallow = by_item(shallow_tree.roots, {})

    assert set(shallow) == {item for item in whole if item.depth <= 2}
    for item, node in shallow.items():
        assert (node.counts, node.rating) == (whole[item].counts, whole[item].rating)
    assert shallow[thread.deliverable].is_collapsed
    assert not shallow[thread.deliverable].children
    assert not shallow[thread.commitment].is_collapsed
    assert [node.item for node in shallow_tree.orphans] == [thread.orphan]
    assert not shallow_tree.orphans[0].is_collapsed  # nothing sits beneath it


def test_count_beneath_counts_actions_above_and_kpis_on_their_item():
    R = rag.Rating
    items = [("/1/", None), ("/1/2/", R.RED), ("/1/2/3/", R.GREEN), ("/1/4/", None)]
    kpis = [("/1/2/", R.AMBER), ("/1/4/", R.AMBER)]

    counts = count_beneath(items, kpis)

    assert {pk: {r: n for r, n in c.items() if n} for pk, c in counts.items()} == {
        1: {R.RED: 1, R.GREEN: 1, R.AMBER: 2},
        2: {R.GREEN: 1, R.AMBER: 1},
        4: {R.AMBER: 1},
    }
    assert 3 not in counts  # nothing beneath the leaf


def test_tree_page_lists_orphans_apart(client_for, officer, thread):
    html = client_for(officer).get(TREE_URL, {"period": SEPTEMBER.code}).content.decode()
    plan, orphans = html.split('<h2 id="orphans">Items with no parent</h2>')

    assert "Survey footpaths" in orphans
    assert "Unplaced measure" in orphans
    assert "Survey footpaths" not in plan
    assert "Unplaced measure" not in plan


def test_tree_toggles_contain_no_links(client_for, officer, thread):
    html = client_for(officer).get(TREE_URL, {"period": SEPTEMBER.code}).content.decode()

    summaries = re.findall(r"<summary>(.*?)</summary>", html, re.S)

    assert len(summaries) == html.count("<details") >= 3
    # A link inside a summary would be a control inside a control.
    assert not any("<a " in summary for summary in summaries)
    assert '<ul class="thread-tree">' in html


def test_tree_rates_actions_at_period_end(client_for, officer, thread):
    august = branch(client_for(officer), thread.deliverable, Period.parse("2014-08"))

    # On 31 August the end date has not yet passed, so the owner's Green stands.
    assert "Resurface priority roads Green" in label_of(august, "Resurface priority roads")


def test_item_page_shows_sight_and_descendants(client_for, officer, thread):
    response = client_for(officer).get(item_url(thread.deliverable), {"period": SEPTEMBER.code})

    html = response.content.decode()
    chain = text(re.search(r'<ol class="line-of-sight">.*?</ol>', html, re.S)[0])
    assert chain == (
        "Corporate Plan CP Corporate Plan 2025–2029 Commitment C1 Unlocking prosperity for all "
        "Priority deliverable PD1 Deliver the local transport plan"
    )
    beneath = html.split("<h2>Beneath this item</h2>")[1]
    for title in ("Resurface priority roads", "Town centre regeneration", "Market hall reopens", "CS01"):
        assert title in beneath
    assert "Jobs created" not in beneath


def test_subtree_holds_only_descendants(thread):
    node = build_subtree(thread.deliverable, SEPTEMBER)

    assert node.item == thread.deliverable
    assert {child.item for child in node.children} == {thread.key_action, thread.programme}
    assert node.counts[rag.Rating.AMBER] == 1


def test_unknown_item_not_found(client_for, officer, db):
    assert client_for(officer).get(reverse("golden_thread:item", args=[999999])).status_code == 404


def grow(thread, branches, make_item, make_kpi, make_target, make_value):
    """Add `branches` deliverables, each with a key action, a task and a KPI with values."""
    for number in range(branches):
        deliverable = make_item(ItemKind.PRIORITY_DELIVERABLE, f"Deliverable {number}", thread.commitment)
        action = make_item(ItemKind.KEY_ACTION, f"Action {number}", deliverable,
                           delivery_status=rag.DeliveryStatus.IN_PROGRESS, owner_rating=rag.Rating.AMBER)
        make_item(ItemKind.TASK, f"Task {number}", action)
        kpi = make_kpi(thread_item=action)
        make_target(kpi, "50", year=2014)
        make_value(kpi, SEPTEMBER, "49")


def page_url(page: str, thread) -> str:
    return {"tree": TREE_URL, "item": item_url(thread.commitment), "branch": children_url(thread.commitment)}[page]


@pytest.mark.parametrize("page", ["tree", "item", "branch"])
def test_thread_queries_constant(
    client_for, officer, make_thread, make_item, make_kpi, make_target, make_value, page
):
    thread = make_thread()
    client = client_for(officer)
    url = page_url(page, thread)
    grow(thread, 3, make_item, make_kpi, make_target, make_value)
    small = count_queries(client, url)

    grow(thread, 27, make_item, make_kpi, make_target, make_value)
    large = count_queries(client, url)

    assert ThreadItem.objects.count() == 5 + 90
    assert large == small


@pytest.mark.parametrize("page", ["tree", "item", "branch"])
def test_thread_pages_need_sign_in(anonymous, make_thread, page):
    url = page_url(page, make_thread())

    response = anonymous.get(url, headers=HTMX)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("page", ["tree", "item", "branch"])
def test_thread_pages_reject_post(client_for, officer, make_thread, page):
    url = page_url(page, make_thread())

    assert client_for(officer).post(url, headers=HTMX).status_code == 405


def test_branch_of_unknown_item_not_found(client_for, officer, db):
    response = client_for(officer).get(reverse("golden_thread:item-children", args=[999999]), headers=HTMX)

    assert response.status_code == 404
