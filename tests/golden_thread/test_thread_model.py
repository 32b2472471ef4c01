"""ThreadItem: the parent rule, the materialised path and one-query line of sight."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from golden_thread.models import ItemKind, ThreadItem
from kpis.models import Kpi
from pmf import rag


def test_path_follows_parents(make_thread):
    thread = make_thread()
    assert thread.key_action.path == (
        f"/{thread.plan.pk}/{thread.commitment.pk}/{thread.deliverable.pk}/{thread.key_action.pk}/"
    )
    assert thread.key_action.depth == 3


def test_ancestors_in_one_query(make_thread, django_assert_num_queries):
    thread = make_thread()
    with django_assert_num_queries(1):
        chain = list(ThreadItem.objects.ancestors_of(thread.key_action))
    assert chain == [thread.plan, thread.commitment, thread.deliverable]


def test_descendants_in_one_query(make_thread, django_assert_num_queries):
    thread = make_thread()
    with django_assert_num_queries(1):
        beneath = set(ThreadItem.objects.descendants_of(thread.commitment))
    assert beneath == {thread.outcome, thread.deliverable, thread.key_action}


def test_kpis_beneath_in_one_query(make_thread, make_kpi, django_assert_num_queries):
    thread = make_thread()
    placed = make_kpi(thread_item=thread.key_action)
    make_kpi(thread_item=None)
    with django_assert_num_queries(1):
        found = list(Kpi.objects.beneath(thread.commitment))
    assert found == [placed]


def test_moving_item_moves_subtree(make_thread, make_item):
    thread = make_thread()
    other = make_item(ItemKind.COMMITMENT, "Improving health and wellbeing", thread.plan)

    thread.deliverable.parent = other
    thread.deliverable.save()
    thread.key_action.refresh_from_db()

    assert thread.key_action.path == f"/{thread.plan.pk}/{other.pk}/{thread.deliverable.pk}/{thread.key_action.pk}/"
    assert thread.key_action.depth == 3
    assert thread.key_action not in ThreadItem.objects.descendants_of(thread.commitment)


def test_parent_in_lower_layer_rejected(make_thread, make_item):
    thread = make_thread()
    thread.commitment.parent = thread.key_action
    with pytest.raises(ValidationError) as raised:
        thread.commitment.full_clean()
    assert "parent" in raised.value.message_dict


def test_parent_of_same_rank_rejected(make_thread, make_item):
    thread = make_thread()
    sibling = make_item(ItemKind.KEY_ACTION, "Another key action", thread.deliverable)
    sibling.parent = thread.key_action
    with pytest.raises(ValidationError):
        sibling.full_clean()


def test_orphans_exclude_corporate_plan(make_thread, make_item):
    thread = make_thread()
    orphan = make_item(ItemKind.TASK, "Unplaced task")
    assert list(ThreadItem.objects.orphans()) == [orphan]
    assert thread.plan not in ThreadItem.objects.orphans()


def test_end_before_start_rejected(make_thread):
    action = make_thread().key_action
    action.start_on = date(2014, 6, 1)
    action.end_on = date(2014, 5, 1)
    with pytest.raises(ValidationError) as raised:
        action.full_clean()
    assert "end_on" in raised.value.message_dict


@pytest.mark.parametrize(
    ("status", "owner_rating", "expected"),
    [
        ("not_started", "green", rag.Rating.RED),  # start date passed, not started
        ("in_progress", "amber", rag.Rating.AMBER),
        ("delivered", "", rag.Rating.GREEN),
    ],
)
def test_action_rating_forced_red(make_thread, status, owner_rating, expected):
    action = make_thread().key_action
    action.start_on = date(2014, 4, 1)
    action.end_on = date(2015, 3, 31)
    action.delivery_status = status
    action.owner_rating = owner_rating
    assert action.rating(date(2014, 9, 30)) == expected


def test_non_action_not_rated(make_thread):
    assert make_thread().commitment.rating(date(2014, 9, 30)) == rag.Rating.NOT_RATED
