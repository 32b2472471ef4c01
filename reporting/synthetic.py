"""A large, invented council for measuring the portal at scale.

Everything it creates is illustrative: directorates and services are named
"Synthetic …", thread items carry `is_illustrative`, and every KPI, target
and value contains "illustrative" in its text. Rows are written with
`bulk_create`, so no history records are made, and `ThreadItem.path` and
`depth` are set here rather than by `ThreadItem.save()`.
"""

import logging
import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from golden_thread.models import Directorate, ItemKind, Profile, Service, Team, ThreadItem
from kpis.models import Kpi, KpiValue, Target, TargetProfile
from pmf import rag
from pmf.periods import FinancialYear, Period

logger = logging.getLogger(__name__)

ILLUSTRATIVE = "Illustrative: invented for load testing, not a council's published figure."
DIRECTORATE_NAMES = [
    "Adults and Health",
    "Children and Families",
    "Place and Economy",
    "Environment and Neighbourhoods",
    "Resources",
    "Governance and Customer",
]
COMMITMENTS = [
    "Unlocking prosperity for all",
    "Improving health and wellbeing",
    "An effective and enabling council",
]
REFERENCE_PREFIXES = {ItemKind.PRIORITY_DELIVERABLE: "PD", ItemKind.KEY_ACTION: "KA", ItemKind.TASK: "T"}
BATCH_SIZE = 2000
MISSING_VALUE_SHARE = 0.03


@dataclass
class BuildCounts:
    directorates: int = 0
    services: int = 0
    users: int = 0
    thread_items: int = 0
    actions: int = 0
    kpis: int = 0
    targets: int = 0
    profile_points: int = 0
    values: int = 0


def build_synthetic_council(
    *, kpis: int, years: int, actions: int, services: int, last_period: Period, seed: int = 2014
) -> BuildCounts:
    """Build the whole council in one transaction, with values for `years` financial years up to `last_period`."""
    builder = _Builder(seed, last_period)
    with transaction.atomic():
        builder.organisation(services)
        builder.thread(actions)
        builder.kpis(kpis)
        builder.targets(years)
        builder.values(years)
    logger.info("Synthetic council built: %s", builder.counts)
    return builder.counts


def synthetic_council_exists() -> bool:
    return Directorate.objects.filter(code__startswith="syn-").exists()


class _Builder:
    def __init__(self, seed: int, last_period: Period):
        self.seed = seed
        self.rng = random.Random(seed)
        self.last_period = last_period
        self.counts = BuildCounts()

    # The organisation: directorates, services, one team each, an officer each.

    def organisation(self, service_count: int):
        self.directorates = Directorate.objects.bulk_create(
            Directorate(name=f"Synthetic {name}", code=f"syn-{number}")
            for number, name in enumerate(DIRECTORATE_NAMES, start=1)
        )
        self.services = Service.objects.bulk_create(
            Service(directorate=self.directorates[number % len(self.directorates)], name=f"Synthetic service {number + 1}")
            for number in range(service_count)
        )
        self.teams = Team.objects.bulk_create(Team(service=service, name="Synthetic team") for service in self.services)
        self.officers = self._officers()
        self.counts.directorates = len(self.directorates)
        self.counts.services = len(self.services)
        self.counts.users = len(self.officers)

    def _officers(self):
        User = get_user_model()
        users = User.objects.bulk_create(
            User(username=f"synthetic-officer-{number + 1}", first_name="Synthetic", last_name=f"Officer {number + 1}")
            for number in range(len(self.services))
        )
        for user in users:
            user.set_unusable_password()
        User.objects.bulk_update(users, ["password"])
        Profile.objects.bulk_create(
            Profile(
                user=user,
                role=Profile.Role.OFFICER,
                directorate=service.directorate,
                service=service,
                team=team,
                job_title="Synthetic performance officer",
            )
            for user, service, team in zip(users, self.services, self.teams)
        )
        return users

    # The golden thread: plan, commitments, deliverables, key actions, tasks.

    def thread(self, action_count: int):
        year = self.last_period.year
        plan = self._items_level([dict(kind=ItemKind.CORPORATE_PLAN, title="Synthetic Corporate Plan")], parents=[None])
        commitments = self._items_level(
            [dict(kind=ItemKind.COMMITMENT, title=title) for title in COMMITMENTS], parents=plan * len(COMMITMENTS)
        )

        deliverable_count = max(len(COMMITMENTS), action_count // 20)
        key_action_count = max(deliverable_count, action_count // 4)
        task_count = max(0, action_count - deliverable_count - key_action_count)
        self.deliverables = self._actions_level(ItemKind.PRIORITY_DELIVERABLE, deliverable_count, commitments, year)
        self.key_actions = self._actions_level(ItemKind.KEY_ACTION, key_action_count, self.deliverables, year)
        tasks = self._actions_level(ItemKind.TASK, task_count, self.key_actions, year)

        self.counts.actions = len(self.deliverables) + len(self.key_actions) + len(tasks)
        self.counts.thread_items = 1 + len(commitments) + self.counts.actions

    def _actions_level(self, kind: ItemKind, count: int, parents: list[ThreadItem], year: int):
        label = ItemKind(kind).label
        specs = []
        chosen_parents = []
        for number in range(count):
            parent = parents[number % len(parents)]
            service = self.services[number % len(self.services)]
            specs.append(dict(
                kind=kind,
                reference=f"SYN-{REFERENCE_PREFIXES[kind]}{number + 1}",
                title=f"Synthetic {label.lower()} {number + 1}",
                financial_year=year,
                directorate=service.directorate,
                service=service,
                lead_officer=self.officers[number % len(self.officers)],
                **self._action_fields(year),
            ))
            chosen_parents.append(parent)
        return self._items_level(specs, parents=chosen_parents)

    def _action_fields(self, year: int) -> dict:
        start_on = FinancialYear(year).start_on + timedelta(days=self.rng.randrange(0, 180))
        end_on = start_on + timedelta(days=self.rng.randrange(30, 540))
        status = self.rng.choices(
            list(rag.DeliveryStatus), weights=[15, 60, 20, 5]
        )[0]
        owner_rating = self.rng.choices([rag.Rating.GREEN, rag.Rating.AMBER, rag.Rating.RED], weights=[65, 25, 10])[0]
        fields = dict(
            start_on=start_on,
            end_on=end_on,
            baseline_end_on=end_on,
            delivery_status=status.value,
            owner_rating=owner_rating.value,
            is_critical=self.rng.random() < 0.05,
            commentary=ILLUSTRATIVE,
        )
        if owner_rating != rag.Rating.GREEN:
            fields.update(cause="Illustrative cause.", recovery="Illustrative recovery.", support_needed="None.")
        return fields

    def _items_level(self, specs: list[dict], *, parents: list[ThreadItem | None]) -> list[ThreadItem]:
        """Insert one layer, then give each row the materialised path `ThreadItem.save()` would have."""
        items = ThreadItem.objects.bulk_create(
            (ThreadItem(parent=parent, is_illustrative=True, **spec) for spec, parent in zip(specs, parents)),
            batch_size=BATCH_SIZE,
        )
        for item, parent in zip(items, parents):
            item.path = f"{parent.path if parent else '/'}{item.pk}/"
            item.depth = item.path.count("/") - 2
        ThreadItem.objects.bulk_update(items, ["path", "depth"], batch_size=500)
        return items

    # KPIs, their targets and their values.

    def kpis(self, count: int):
        places = self.deliverables + self.key_actions
        specs = (self._kpi(number, places[number % len(places)]) for number in range(count))
        self.kpi_rows = Kpi.objects.bulk_create(specs, batch_size=BATCH_SIZE)
        self.levels = {kpi.pk: Decimal(self._rng("level", kpi.reference).randrange(20, 90)) for kpi in self.kpi_rows}
        self.counts.kpis = len(self.kpi_rows)

    def _kpi(self, number: int, place: ThreadItem) -> Kpi:
        rng = self._rng("kpi", number)
        frequency = rng.choices(list(Kpi.Frequency), weights=[70, 25, 5])[0]
        polarity = rng.choices(list(rag.Polarity), weights=[45, 35, 10, 10])[0]
        unit = rng.choices([Kpi.Unit.PERCENTAGE, Kpi.Unit.NUMBER, Kpi.Unit.DAYS, Kpi.Unit.MONEY], weights=[50, 25, 15, 10])[0]
        cumulative = (
            frequency == Kpi.Frequency.MONTHLY
            and unit == Kpi.Unit.NUMBER
            and polarity in (rag.Polarity.HIGHER, rag.Polarity.LOWER)
            and rng.random() < 0.5
        )
        return Kpi(
            reference=f"SYN-{number + 1:05d}",
            name=f"Synthetic indicator {number + 1} (illustrative)",
            definition=ILLUSTRATIVE,
            tier=rng.choices([1, 2, 3], weights=[10, 30, 60])[0],
            unit=unit,
            decimal_places=1 if unit == Kpi.Unit.PERCENTAGE else 0,
            polarity=polarity.value,
            frequency=frequency,
            accumulation=Kpi.Accumulation.CUMULATIVE if cumulative else Kpi.Accumulation.SNAPSHOT,
            data_source="Synthetic (illustrative)",
            owner=self.officers[number % len(self.officers)],
            directorate=place.directorate,
            service=place.service,
            thread_item=place,
            baseline=Decimal(50),
            baseline_label="Synthetic baseline",
        )

    def targets(self, years: int):
        targets = []
        for kpi in self.kpi_rows:
            if kpi.polarity == rag.Polarity.MONITOR:
                continue
            for year in self._years(years):
                targets.extend(self._kpi_targets(kpi, year))
        self.target_rows = Target.objects.bulk_create(targets, batch_size=BATCH_SIZE)
        self.counts.targets = len(self.target_rows)
        self._profiles()

    def _kpi_targets(self, kpi: Kpi, year: int) -> list[Target]:
        level = self.levels[kpi.pk]
        if kpi.polarity == rag.Polarity.RANGE:
            first = Target(kpi=kpi, financial_year=year, lower=level - 5, upper=level + 5, reason=ILLUSTRATIVE)
        else:
            annual = level * 12 if kpi.is_cumulative else level
            first = Target(kpi=kpi, financial_year=year, value=annual, reason=ILLUSTRATIVE)
        if self._rng("rebaseline", kpi.reference, year).random() >= 0.05 or first.value is None:
            return [first]
        rebaselined = Target(
            kpi=kpi, financial_year=year, effective_from=7, value=first.value * Decimal("0.9"),
            reason="Illustrative re-baseline.",
        )
        return [first, rebaselined]

    def _profiles(self):
        """Add a straight-line trajectory to each cumulative KPI's target."""
        points = [
            TargetProfile(target=target, period=number, value=(target.value * number / 12).quantize(Decimal("1")))
            for target in self.target_rows
            if target.kpi.is_cumulative and target.value is not None
            for number in range(1, 13)
        ]
        TargetProfile.objects.bulk_create(points, batch_size=BATCH_SIZE)
        self.counts.profile_points = len(points)

    def values(self, years: int):
        periods = [
            period
            for year in self._years(years)
            for period in FinancialYear(year).periods()
            if period.index <= self.last_period.index
        ]
        created = 0
        batch = []
        for kpi in self.kpi_rows:
            batch.extend(self._kpi_values(kpi, periods))
            if len(batch) >= BATCH_SIZE * 5:
                created += len(KpiValue.objects.bulk_create(batch, batch_size=BATCH_SIZE))
                batch = []
        created += len(KpiValue.objects.bulk_create(batch, batch_size=BATCH_SIZE))
        self.counts.values = created

    def _kpi_values(self, kpi: Kpi, periods: list[Period]) -> list[KpiValue]:
        level = float(self.levels[kpi.pk])
        rng = self._rng("values", kpi.reference)
        quantum = Decimal(1).scaleb(-kpi.decimal_places)
        rows = []
        for period in periods:
            if not kpi.is_due(period):
                continue
            level = max(1.0, level + rng.gauss(0, 2))
            value = level * period.number if kpi.is_cumulative else level
            if kpi.unit == Kpi.Unit.PERCENTAGE:
                value = min(value, 100.0)
            missing = rng.random() < MISSING_VALUE_SHARE
            rows.append(KpiValue(
                kpi=kpi,
                financial_year=period.year,
                period=period.number,
                value=None if missing else Decimal(value).quantize(quantum),
                commentary="" if missing else "Illustrative commentary.",
                status=self._status(period, rng),
                source="Synthetic (illustrative)",
                updated_by=kpi.owner,
            ))
        return rows

    def _status(self, period: Period, rng: random.Random) -> str:
        if period.index >= self.last_period.index:
            return rng.choice([KpiValue.Status.DRAFT, KpiValue.Status.SUBMITTED])
        return KpiValue.Status.SIGNED_OFF

    def _rng(self, *parts) -> random.Random:
        """Return a generator of its own for one KPI, so a KPI is the same whatever the size of the build."""
        return random.Random(":".join(str(part) for part in (self.seed, *parts)))

    def _years(self, years: int) -> range:
        return range(self.last_period.year - years + 1, self.last_period.year + 1)
