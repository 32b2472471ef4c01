"""Shared personas and `make_*` helpers for every app's tests.

The personas share one organisation. The officer, service manager and
director work in Highways (Place directorate), and the outsider is an officer
of Adult social care (People directorate). Each persona fixture creates its
user only when a test requests it.

The helpers are plain functions, also offered as fixtures so a test can ask
for them by name without importing from this module.
"""

from decimal import Decimal
from itertools import count
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from golden_thread.models import Directorate, GovernanceBody, ItemKind, Profile, Service, Team, ThreadItem
from kpis.models import Kpi, KpiValue, Target
from pmf.periods import Period

PASSWORD = "correct horse battery staple"

_references = count(1)


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # The default hasher is slow by design, and tests need no password strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Organisation -----------------------------------------------------------


@pytest.fixture
def place(db):
    return Directorate.objects.get_or_create(code="place", defaults={"name": "Place"})[0]


@pytest.fixture
def people(db):
    return Directorate.objects.get_or_create(code="people", defaults={"name": "People"})[0]


@pytest.fixture
def highways(place):
    return Service.objects.get_or_create(directorate=place, name="Highways")[0]


@pytest.fixture
def adult_social_care(people):
    return Service.objects.get_or_create(directorate=people, name="Adult social care")[0]


@pytest.fixture
def highways_team(highways):
    return Team.objects.get_or_create(service=highways, name="Highways maintenance")[0]


@pytest.fixture
def place_dlt(place):
    return GovernanceBody.objects.get_or_create(
        kind=GovernanceBody.Kind.DLT, directorate=place, defaults={"name": "Place DLT"}
    )[0]


@pytest.fixture
def spb(db):
    return GovernanceBody.objects.get_or_create(
        kind=GovernanceBody.Kind.SPB, directorate=None, defaults={"name": "Strategy and Performance Board"}
    )[0]


# Personas ---------------------------------------------------------------


def make_user(username, role=Profile.Role.OFFICER, *, directorate=None, service=None, team=None,
              governance_bodies=(), **user_fields):
    """Create a user with a profile, whose password is PASSWORD."""
    user_fields.setdefault("first_name", username.replace("_", " ").title())
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **user_fields)
    profile = Profile.objects.create(
        user=user, role=role, directorate=directorate, service=service, team=team
    )
    profile.governance_bodies.set(governance_bodies)
    return user


@pytest.fixture
def officer(highways, highways_team):
    return make_user("officer", directorate=highways.directorate, service=highways, team=highways_team)


@pytest.fixture
def manager(highways):
    return make_user(
        "manager", Profile.Role.SERVICE_MANAGER, directorate=highways.directorate, service=highways
    )


@pytest.fixture
def director(place, place_dlt):
    return make_user("director", Profile.Role.DIRECTOR, directorate=place, governance_bodies=[place_dlt])


@pytest.fixture
def spp(db):
    return make_user("spp", Profile.Role.SPP)


@pytest.fixture
def board_member(spb):
    return make_user("board_member", Profile.Role.BOARD_MEMBER, governance_bodies=[spb])


@pytest.fixture
def outsider(adult_social_care):
    """An officer of another service in another directorate."""
    return make_user(
        "outsider", directorate=adult_social_care.directorate, service=adult_social_care
    )


@pytest.fixture
def anonymous(db):
    """A client with no user signed in."""
    return Client()


@pytest.fixture
def client_for(db):
    """`client_for(user)` gives a client signed in as `user`; `client_for(None)` an anonymous one."""

    def signed_in(user):
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return signed_in


# Golden thread ----------------------------------------------------------


def make_item(kind, title=None, parent=None, **fields):
    return ThreadItem.objects.create(
        kind=kind, title=title or ItemKind(kind).label, parent=parent, **fields
    )


def make_thread():
    """A small golden thread with one item in each main layer.

    plan → commitment → outcome, and delivery plan → priority deliverable →
    key action, with the deliverable under the commitment.
    """
    plan = make_item(ItemKind.CORPORATE_PLAN, "Corporate Plan 2025–2029", reference="CP")
    commitment = make_item(ItemKind.COMMITMENT, "Unlocking prosperity for all", plan, reference="C1")
    outcome = make_item(ItemKind.OUTCOME, "Thriving town centres", commitment, reference="O1")
    deliverable = make_item(
        ItemKind.PRIORITY_DELIVERABLE, "Deliver the local transport plan", commitment, reference="PD1"
    )
    key_action = make_item(ItemKind.KEY_ACTION, "Resurface priority roads", deliverable, reference="KA1")
    return SimpleNamespace(
        plan=plan, commitment=commitment, outcome=outcome, deliverable=deliverable, key_action=key_action
    )


# KPIs -------------------------------------------------------------------


def make_kpi(reference=None, **fields):
    """A tier 1 monthly percentage KPI, higher is better, one decimal place, unless `fields` set otherwise."""
    fields.setdefault("name", f"KPI {reference or 'measure'}")
    fields.setdefault("tier", Kpi.Tier.PLAN)
    fields.setdefault("unit", Kpi.Unit.PERCENTAGE)
    fields.setdefault("decimal_places", 1)
    fields.setdefault("polarity", "higher")
    fields.setdefault("frequency", Kpi.Frequency.MONTHLY)
    return Kpi.objects.create(reference=reference or f"K{next(_references):04d}", **fields)


def _period(period):
    return period if isinstance(period, Period) else Period.parse(period)


def make_target(kpi, value="85", *, year=2014, effective_from=1, tolerance="0.05", **fields):
    """The target version for `year` (the financial year's start year) from `effective_from`."""
    return Target.objects.create(
        kpi=kpi,
        financial_year=year,
        effective_from=effective_from,
        value=Decimal(value) if value is not None else None,
        tolerance=Decimal(tolerance),
        **fields,
    )


def make_value(kpi, period, value, **fields):
    """`kpi`'s value for `period` (a Period or text such as "2014-09"); None stores a missing value.

    The value is signed off, as a reported figure is, unless `status` is given.
    """
    fields.setdefault("status", KpiValue.Status.SIGNED_OFF)
    period = _period(period)
    return KpiValue.objects.create(
        kpi=kpi,
        financial_year=period.year,
        period=period.number,
        value=Decimal(value) if value is not None else None,
        **fields,
    )


@pytest.fixture(name="make_item")
def make_item_fixture(db):
    return make_item


@pytest.fixture(name="make_thread")
def make_thread_fixture(db):
    return make_thread


@pytest.fixture(name="make_kpi")
def make_kpi_fixture(db):
    return make_kpi


@pytest.fixture(name="make_target")
def make_target_fixture(db):
    return make_target


@pytest.fixture(name="make_value")
def make_value_fixture(db):
    return make_value
