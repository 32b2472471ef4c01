import csv
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from golden_thread.demo import DEMO_AS_AT, DEMO_PASSWORD, PUBLISHED_SCORECARD, USERS, load_demo_data
from golden_thread.models import GovernanceBody, ItemKind, Profile, ThreadItem
from kpis.models import Kpi, KpiValue, Target
from pmf.rag import DeliveryStatus, Rating

User = get_user_model()

COMMITMENTS = {"Unlocking prosperity for all", "Improving health and wellbeing", "An effective and enabling council"}


def published_kpi_names() -> set[str]:
    with PUBLISHED_SCORECARD.open(newline="", encoding="utf-8") as handle:
        return {row["kpi_name"] for row in csv.DictReader(handle) if row["council"] == "Hart District Council"}


def row_counts() -> dict[str, int]:
    models = [Kpi, Target, KpiValue, ThreadItem, User, Profile, GovernanceBody]
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture
def demo(db):
    output = StringIO()
    summary = load_demo_data(stdout=output)
    return summary, output.getvalue()


def test_loads_every_published_hart_kpi(demo):
    summary, _output = demo

    assert len(published_kpi_names()) == 45
    assert Kpi.objects.count() == summary.kpi_count == 45
    assert set(Kpi.objects.values_list("import_key", flat=True)) == {
        f"Hart District Council|{name}" for name in published_kpi_names()
    }
    assert KpiValue.objects.exists()
    assert Target.objects.exists()


def test_creates_the_three_commitments_under_the_corporate_plan(demo):
    commitments = ThreadItem.objects.commitments().select_related("parent")

    assert {item.title.removesuffix(" (illustrative)") for item in commitments} == COMMITMENTS
    assert {item.parent.kind for item in commitments} == {ItemKind.CORPORATE_PLAN}
    assert all(ThreadItem.objects.filter(parent=item, kind=ItemKind.OUTCOME).count() >= 2 for item in commitments)


def test_builds_every_layer_of_the_thread(demo):
    kinds = set(ThreadItem.objects.values_list("kind", flat=True))

    assert kinds == set(ItemKind)
    assert ThreadItem.objects.orphans().count() == 0
    assert ThreadItem.objects.filter(kind=ItemKind.DELIVERY_PLAN, financial_year=2014).count() == 1


def test_flags_every_invented_item_as_illustrative(demo):
    items = ThreadItem.objects.all()

    assert items.count() == demo[0].item_count > 40
    assert [item.reference for item in items if not item.is_illustrative] == []
    assert [item.reference for item in items if "(illustrative)" not in item.title] == []


def test_every_kpi_sits_beneath_a_commitment(demo):
    assert Kpi.objects.filter(thread_item__isnull=True).count() == 0
    beneath_some_commitment = set()
    for commitment in ThreadItem.objects.commitments():
        beneath_some_commitment |= set(Kpi.objects.beneath(commitment).values_list("pk", flat=True))

    assert beneath_some_commitment == set(Kpi.objects.values_list("pk", flat=True))


def test_shows_headline_kpis_under_each_commitment(demo):
    for commitment in ThreadItem.objects.commitments():
        assert Kpi.objects.beneath(commitment).filter(tier=Kpi.Tier.PLAN).count() >= 3, commitment

    assert 10 <= Kpi.objects.filter(tier=Kpi.Tier.PLAN).count() <= 14
    assert Kpi.objects.filter(tier=Kpi.Tier.PRIORITY).exists()
    assert Kpi.objects.filter(tier=Kpi.Tier.OPERATIONAL).exists()


def test_places_kpis_by_subject(demo):
    council_tax = Kpi.objects.select_related("service", "thread_item").get(reference="RB06")
    planning = Kpi.objects.select_related("service").get(reference="PS01")

    assert council_tax.service.name == "Revenues and Benefits"
    assert "council tax" in council_tax.thread_item.title.lower()
    assert planning.service.name == "Planning"
    assert all(kpi.directorate_id == kpi.service.directorate_id for kpi in Kpi.objects.select_related("service"))


def test_creates_a_login_for_every_role(demo, client):
    profiles = Profile.objects.select_related("user", "service")

    assert {profile.role for profile in profiles} == set(Profile.Role)
    for username in USERS:
        assert client.login(username=username, password=DEMO_PASSWORD), username
    admin = User.objects.get(username="admin")
    assert admin.is_staff
    assert admin.is_superuser
    assert not User.objects.filter(is_staff=True).exclude(username="admin").exists()


def test_officer_and_manager_share_a_service(demo):
    officer = Profile.objects.get(user__username="officer")
    manager = Profile.objects.get(user__username="manager")
    director = Profile.objects.get(user__username="director")

    assert Kpi.objects.owned_by(officer.user).count() > 40
    assert manager.role == Profile.Role.SERVICE_MANAGER
    assert manager.service == officer.service
    assert Kpi.objects.filter(service=manager.service).exists()
    assert director.directorate == officer.directorate


def test_board_member_sits_on_spb_and_clt(demo):
    board = Profile.objects.get(user__username="board")

    assert set(board.governance_bodies.values_list("kind", flat=True)) == {
        GovernanceBody.Kind.SPB, GovernanceBody.Kind.CLT,
    }
    assert GovernanceBody.objects.filter(kind=GovernanceBody.Kind.DLT).count() == 3
    assert set(GovernanceBody.objects.values_list("kind", flat=True)) == set(GovernanceBody.Kind)


def test_actions_give_mixed_ratings(demo):
    actions = list(ThreadItem.objects.actions())
    ratings = {item.rating(DEMO_AS_AT) for item in actions}
    forced = [
        item for item in actions
        if item.delivery_status == DeliveryStatus.NOT_STARTED and item.start_on < DEMO_AS_AT
        and item.owner_rating != Rating.RED
    ]

    assert {Rating.GREEN, Rating.AMBER, Rating.RED} <= ratings
    assert len(forced) == 1
    assert forced[0].rating(DEMO_AS_AT) == Rating.RED
    assert ThreadItem.objects.filter(kind=ItemKind.MILESTONE, is_critical=True).count() == 1
    assert ThreadItem.objects.filter(kind=ItemKind.BENEFIT).count() == 2


def test_amber_and_red_actions_explain_themselves(demo):
    needing_update = [
        item for item in ThreadItem.objects.actions() if item.rating(DEMO_AS_AT) in (Rating.AMBER, Rating.RED)
    ]

    assert needing_update
    assert [item.reference for item in needing_update if not (item.cause and item.recovery)] == []


def test_prints_the_address_and_every_login(demo):
    summary, output = demo

    assert summary.created
    assert "http://127.0.0.1:8000/" in output
    assert DEMO_PASSWORD in output
    for login in summary.logins:
        assert login.username in output
        assert login.role in output


def test_second_run_changes_nothing(demo):
    before = row_counts()
    output = StringIO()

    summary = load_demo_data(stdout=output)

    assert not summary.created
    assert row_counts() == before
    assert "already loaded" in output.getvalue()
    assert "127.0.0.1:8000" in output.getvalue()
    assert all(username in output.getvalue() for username in USERS)


def test_database_with_other_kpis_is_left_alone(db):
    Kpi.objects.create(reference="OWN1", name="A council's own KPI")

    summary = load_demo_data(stdout=StringIO())

    assert not summary.created
    assert (Kpi.objects.count(), ThreadItem.objects.count(), User.objects.count()) == (1, 0, 0)


def test_command_loads_then_reports_already_loaded(db):
    first, second = StringIO(), StringIO()

    call_command("load_demo", stdout=first)
    call_command("load_demo", stdout=second)

    assert "Loaded Hart District Council" in first.getvalue()
    assert "already loaded" in second.getvalue()
    for output in (first, second):
        assert "http://127.0.0.1:8000/" in output.getvalue()
        assert all(username in output.getvalue() for username in USERS)
    assert Kpi.objects.count() == 45
