from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from golden_thread.models import Directorate, GovernanceBody, ItemKind, Profile, Service, Team, ThreadItem
from kpis.models import Kpi, KpiValue, PeriodLock, ReminderSent, ReturnDeadline, Target, TargetProfile

User = get_user_model()

ADMIN_MODELS = [
    Directorate, Service, Team, GovernanceBody, Profile, ThreadItem, Kpi, Target, TargetProfile, KpiValue,
    PeriodLock, ReturnDeadline, ReminderSent, User,
]


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.org", "pass-for-tests-only")


@pytest.fixture
def records(superuser):
    """One row of every model the admin shows, linked together as in a real council."""
    directorate = Directorate.objects.create(name="Corporate Services", code="corporate")
    service = Service.objects.create(directorate=directorate, name="Revenues and Benefits")
    team = Team.objects.create(service=service, name="Council Tax")
    body = GovernanceBody.objects.create(kind=GovernanceBody.Kind.SPB, name="Strategy and Performance Board")
    officer = User.objects.create_user("officer", password="pass-for-tests-only")
    profile = Profile.objects.create(user=officer, directorate=directorate, service=service, team=team)
    profile.governance_bodies.add(body)
    plan = ThreadItem.objects.create(kind=ItemKind.CORPORATE_PLAN, title="Corporate Plan 2025–2029")
    commitment = ThreadItem.objects.create(
        kind=ItemKind.COMMITMENT, title="An effective and enabling council", parent=plan
    )
    kpi = Kpi.objects.create(
        reference="RB06", name="% of Council Tax collected", unit=Kpi.Unit.PERCENTAGE, owner=officer,
        directorate=directorate, service=service, thread_item=commitment,
    )
    target = Target.objects.create(kpi=kpi, financial_year=2014, value=Decimal("98.5"))
    point = TargetProfile.objects.create(target=target, period=6, value=Decimal("57"))
    value = KpiValue.objects.create(kpi=kpi, financial_year=2014, period=6, value=Decimal("58.1"))
    lock = PeriodLock.objects.create(financial_year=2014, period=3)
    deadline = ReturnDeadline.objects.create(financial_year=2014, period=6, due_on=date(2014, 10, 10))
    reminder = ReminderSent.objects.create(
        kpi=kpi, financial_year=2014, period=6, stage=ReminderSent.Stage.OVERDUE, recipient=officer,
        sent_on=date(2014, 10, 13),
    )
    return {
        Directorate: directorate, Service: service, Team: team, GovernanceBody: body, Profile: profile,
        ThreadItem: commitment, Kpi: kpi, Target: target, TargetProfile: point, KpiValue: value,
        PeriodLock: lock, ReturnDeadline: deadline, ReminderSent: reminder, User: officer,
    }


def admin_url(model, action, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def test_every_model_is_registered():
    models = [
        model
        for label in ("golden_thread", "kpis")
        for model in apps.get_app_config(label).get_models()
        if not model.__name__.startswith("Historical")
    ]

    assert [model.__name__ for model in models if model not in admin.site._registry] == []
    assert set(models) <= set(ADMIN_MODELS)


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda model: model.__name__)
def test_admin_pages_open_for_superuser(client, superuser, records, model):
    client.force_login(superuser)

    for url in [
        admin_url(model, "changelist"),
        admin_url(model, "add"),
        admin_url(model, "change", records[model].pk),
        admin_url(model, "history", records[model].pk),
    ]:
        assert client.get(url).status_code == 200, url


def test_changelist_search_finds_matching_kpi_only(client, superuser, records):
    Kpi.objects.create(reference="PS01", name="Processing of planning applications: Major applications")
    client.force_login(superuser)

    response = client.get(admin_url(Kpi, "changelist"), {"q": "council tax"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [records[Kpi]]


def test_thread_item_search_and_kind_filter(client, superuser, records):
    client.force_login(superuser)

    response = client.get(admin_url(ThreadItem, "changelist"), {"q": "enabling", "kind": ItemKind.COMMITMENT})

    assert list(response.context["cl"].result_list) == [records[ThreadItem]]


def test_thread_item_page_lists_its_children(client, superuser, records):
    client.force_login(superuser)
    plan = records[ThreadItem].parent

    response = client.get(admin_url(ThreadItem, "change", plan.pk))

    assert "An effective and enabling council" in response.content.decode()


def test_user_page_edits_the_profile_inline(client, superuser, records):
    client.force_login(superuser)

    response = client.get(admin_url(User, "change", records[User].pk))

    assert "profile-TOTAL_FORMS" in response.content.decode()


def test_thread_item_history_records_editor(client, superuser, records):
    client.force_login(superuser)
    item = records[ThreadItem]
    data = {
        "kind": item.kind, "title": "An effective, enabling council", "parent": item.parent_id,
        "children-TOTAL_FORMS": 0, "children-INITIAL_FORMS": 0,
    }

    response = client.post(admin_url(ThreadItem, "change", item.pk), data)

    assert response.status_code == 302
    assert item.history.first().history_user == superuser
    assert item.history.first().title == "An effective, enabling council"


def test_admin_rejects_item_under_a_lower_layer(client, superuser, records):
    client.force_login(superuser)
    task = ThreadItem.objects.create(kind=ItemKind.TASK, title="Issue annual bills")
    data = {"kind": ItemKind.COMMITMENT, "title": "Misplaced", "parent": task.pk,
            "children-TOTAL_FORMS": 0, "children-INITIAL_FORMS": 0}

    response = client.post(admin_url(ThreadItem, "add"), data)

    assert response.status_code == 200
    assert "must sit under an item in a higher layer" in response.content.decode()


def test_list_pages_do_not_query_per_row(client, superuser, records, django_assert_max_num_queries):
    for number in range(10):
        Kpi.objects.create(
            reference=f"X{number:02d}", name=f"Extra {number}", owner=records[User],
            directorate=records[Directorate], service=records[Service], thread_item=records[ThreadItem],
        )
    client.force_login(superuser)

    with django_assert_max_num_queries(12):
        client.get(admin_url(Kpi, "changelist"))


@pytest.mark.parametrize("model", [Kpi, ThreadItem, User], ids=lambda model: model.__name__)
def test_non_staff_user_redirected_to_login(client, records, model):
    client.force_login(records[User])

    response = client.get(admin_url(model, "changelist"))

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def value_form(record, **changes):
    data = {
        "kpi": record.kpi_id, "financial_year": record.financial_year, "period": record.period,
        "value": record.value, "status": record.status,
    }
    return {key: "" if value is None else value for key, value in {**data, **changes}.items()}


def test_value_edit_bumps_version(client, superuser, records):
    client.force_login(superuser)
    record = records[KpiValue]

    response = client.post(admin_url(KpiValue, "change", record.pk), value_form(record, value="58.4"))

    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.value, record.version, record.updated_by) == (Decimal("58.4"), 2, superuser)


def test_locked_value_is_read_only(client, superuser, records):
    client.force_login(superuser)
    record = KpiValue.objects.create(kpi=records[Kpi], financial_year=2014, period=4, value=Decimal("30.2"))
    PeriodLock.objects.create(financial_year=2014, period=4)

    response = client.post(admin_url(KpiValue, "change", record.pk), value_form(record, value="99"))

    assert response.status_code == 302
    record.refresh_from_db()
    assert record.value == Decimal("30.2")
