"""The load test's data, and the check that the database contains exactly the saves the server accepted.

Import only after `django.setup()`.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from golden_thread.models import Profile, Service
from kpis.models import Kpi, KpiValue, Target
from pmf import rag
from pmf.periods import Period

from .officers import Officer, Save

KPIS_PER_OFFICER = 5
OFFICERS_PER_SHARED_KPI = 10
REFERENCE_PREFIX = "LOAD-"


@dataclass
class LoadSet:
    officers: list[Officer]
    shared_kpi_ids: list[int]


def build_load_set(*, users: int, password: str, period: Period) -> LoadSet:
    """Create `users` officers, five monthly KPIs each, and shared KPIs that about ten officers each edit.

    Every password is hashed once and the hash reused, so building stays fast
    while signing in still checks the portal's own hasher.
    """
    services = list(Service.objects.select_related("directorate").order_by("pk"))
    if not services:
        raise RuntimeError("Load the demonstration council first: the officers need services to work in.")

    with transaction.atomic():
        people = create_officers(users, make_password(password), services)
        shared = create_kpis([f"{REFERENCE_PREFIX}SHARED-{n:02d}" for n in range(1, shared_count(users) + 1)],
                             owner=None, service=services[0], period=period)
        officers = []
        for number, user in enumerate(people, start=1):
            service = user.profile.service
            own = create_kpis([f"{REFERENCE_PREFIX}{number:03d}-{k}" for k in range(1, KPIS_PER_OFFICER + 1)],
                              owner=user, service=service, period=period)
            shared_kpi = shared[(number - 1) % len(shared)]
            shared_kpi.delegates.add(user)
            officers.append(Officer(user.username, number, [kpi.pk for kpi in own], shared_kpi.pk))
    return LoadSet(officers, [kpi.pk for kpi in shared])


def shared_count(users: int) -> int:
    return max(1, users // OFFICERS_PER_SHARED_KPI)


def create_officers(users: int, password_hash: str, services: list[Service]) -> list:
    User = get_user_model()
    people = User.objects.bulk_create(
        User(username=f"load-officer-{number:03d}", password=password_hash, first_name="Load",
             last_name=f"Officer {number}", email=f"load-officer-{number:03d}@example.org")
        for number in range(1, users + 1)
    )
    profiles = []
    for index, user in enumerate(people):
        service = services[index % len(services)]
        profiles.append(Profile(user=user, role=Profile.Role.OFFICER, service=service,
                                directorate=service.directorate, job_title="Load test officer"))
    Profile.objects.bulk_create(profiles)
    for user, profile in zip(people, profiles):
        user.profile = profile
    return people


def create_kpis(references: list[str], *, owner, service: Service, period: Period) -> list[Kpi]:
    kpis = Kpi.objects.bulk_create(
        Kpi(reference=reference, name=f"Load test indicator {reference} (illustrative)", tier=Kpi.Tier.OPERATIONAL,
            unit=Kpi.Unit.NUMBER, decimal_places=0, polarity=rag.Polarity.HIGHER, frequency=Kpi.Frequency.MONTHLY,
            owner=owner, service=service, directorate=service.directorate, data_source="Load test")
        for reference in references
    )
    Target.objects.bulk_create(
        Target(kpi=kpi, financial_year=period.year, value=Decimal(500_000), reason="Load test") for kpi in kpis
    )
    return kpis


# Checking the database -------------------------------------------------------


def check_saves(*, saves: list[Save], kpi_ids: list[int], period: Period) -> list[str]:
    """Compare each KPI's stored value and history with the saves the server accepted, and list each mismatch."""
    accepted = defaultdict(list)
    for save in saves:
        if save.outcome == "accepted":
            accepted[save.kpi_id].append(save)

    records = {r.kpi_id: r for r in KpiValue.objects.filter(kpi_id__in=kpi_ids, financial_year=period.year,
                                                            period=period.number)}
    history = defaultdict(list)
    for row in KpiValue.history.filter(kpi_id__in=kpi_ids, financial_year=period.year, period=period.number):
        history[row.kpi_id].append(row)

    failures = []
    for kpi_id in kpi_ids:
        failures.extend(check_kpi(kpi_id, accepted[kpi_id], records.get(kpi_id), history[kpi_id]))
    return failures


def check_kpi(kpi_id: int, accepted: list[Save], record: KpiValue | None, history: list) -> list[str]:
    if not accepted:
        return [] if record is None and not history else [f"KPI {kpi_id}: stored a value no accepted save sent"]

    failures = []
    by_version = {save.new_version: save for save in accepted}
    if sorted(by_version) != list(range(1, len(accepted) + 1)):
        failures.append(f"KPI {kpi_id}: accepted saves made versions {sorted(s.new_version or 0 for s in accepted)}, "
                        f"not 1 to {len(accepted)} once each")
    if record is None:
        return [*failures, f"KPI {kpi_id}: {len(accepted)} saves accepted but no value stored"]
    if record.version != len(accepted):
        failures.append(f"KPI {kpi_id}: version {record.version}, but {len(accepted)} saves accepted")
    last = max(accepted, key=lambda save: save.new_version or 0)
    if record.value != Decimal(last.value):
        shown = "no value" if record.value is None else f"value {record.value.normalize():f}"
        failures.append(f"KPI {kpi_id}: {shown}, but the last accepted save sent {last.value}")
    if len(history) != len(accepted):
        failures.append(f"KPI {kpi_id}: {len(history)} history rows, but {len(accepted)} saves accepted")
    stored = {(row.version, row.value) for row in history}
    sent = {(save.new_version, Decimal(save.value)) for save in accepted}
    if stored != sent:
        failures.append(f"KPI {kpi_id}: history holds {len(stored - sent)} versions no accepted save sent")
    return failures
