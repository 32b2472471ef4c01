"""The state of each return for a period: deadline, status, overdue, and who still owes what.

My returns, the sign-off page, the completeness page and the reminders all
read returns through here, each list in a fixed number of queries.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q

from golden_thread.models import ThreadItem
from pmf import rag
from pmf.periods import Period, working_day_deadline

from .models import Kpi, KpiValue, PeriodLock, ReturnDeadline
from .scorecard import Scorecard

NOT_STARTED = "not_started"
STATUS_LABELS = {NOT_STARTED: "Not started", **dict(KpiValue.Status.choices)}
# Statuses whose return is still owed by the officer.
OWED = {NOT_STARTED, KpiValue.Status.DRAFT, KpiValue.Status.RETURNED}
# Order on My returns: what the officer must act on first.
STATUS_ORDER = [
    KpiValue.Status.RETURNED,
    NOT_STARTED,
    KpiValue.Status.DRAFT,
    KpiValue.Status.SUBMITTED,
    KpiValue.Status.SIGNED_OFF,
]
DEFAULT_DEADLINE_WORKING_DAYS = 10


def deadline_for(period: Period) -> date:
    """The period's return deadline: its ReturnDeadline row, or the 10th working day after it ends."""
    row = ReturnDeadline.objects.filter(financial_year=period.year, period=period.number).first()
    return row.due_on if row else working_day_deadline(period, DEFAULT_DEADLINE_WORKING_DAYS)


def status_of(record: KpiValue | None) -> str:
    return record.status if record is not None else NOT_STARTED


def frequency_note(kpi: Kpi) -> str:
    return f"Not due this period ({kpi.get_frequency_display().lower()})"



def collection_period(today: date) -> Period:
    """Return the period whose returns are being collected: the last month that has ended.

    Values for a month are entered in the weeks after it ends, so in early
    October officers are completing September.
    """
    return Period.current(today).previous()

@dataclass
class KpiReturn:
    """One KPI's return for a period, as My returns shows it."""

    kpi: Kpi
    period: Period
    record: KpiValue | None
    rating: rag.Rating
    target_display: str
    deadline: date
    is_due: bool
    is_locked: bool
    today: date

    @property
    def status(self) -> str:
        return status_of(self.record)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def is_overdue(self) -> bool:
        return self.is_due and self.status in OWED and self.today > self.deadline

    @property
    def is_editable(self) -> bool:
        if not self.is_due:
            return False
        if self.record is not None and self.record.is_unlocked:
            return True
        return not self.is_locked and self.status != KpiValue.Status.SIGNED_OFF

    @property
    def version(self) -> int:
        return self.record.version if self.record else 0

    @property
    def value_display(self) -> str:
        return self.kpi.format(self.record.value if self.record else None)

    @property
    def not_due_note(self) -> str:
        return frequency_note(self.kpi)

    @property
    def sort_key(self):
        return (not self.is_due, not self.is_overdue, STATUS_ORDER.index(self.status), self.kpi.reference)


@dataclass
class ActionReturn:
    """One action the user leads, with its rating on `today`."""

    item: ThreadItem
    rating: rag.Rating
    today: date

    @property
    def is_overdue(self) -> bool:
        """Past its end date and not delivered, so the portal forces it Red."""
        finished = self.item.delivery_status in (rag.DeliveryStatus.DELIVERED, rag.DeliveryStatus.CANCELLED)
        return not finished and self.item.end_on is not None and self.item.end_on < self.today

    @property
    def status_label(self) -> str:
        return self.item.get_delivery_status_display() or rag.DeliveryStatus.NOT_STARTED.label


@dataclass
class MyReturns:
    period: Period
    deadline: date
    is_locked: bool
    kpi_returns: list[KpiReturn] = field(default_factory=list)
    actions: list[ActionReturn] = field(default_factory=list)

    @property
    def overdue_count(self) -> int:
        return sum(r.is_overdue for r in self.kpi_returns) + sum(a.is_overdue for a in self.actions)


def kpis_for_returns():
    """Active KPIs with what a returns list reads: owner, delegates, directorate and service."""
    return kpis_for_completeness().prefetch_related("delegates")


def kpis_for_completeness():
    """Active KPIs with what the completeness report reads: owner, directorate and service, not delegates."""
    return Kpi.objects.active().select_related("owner", "directorate", "service")


def returns_of(user):
    """The KPIs whose returns `user` enters: those they own or are a delegate of."""
    return kpis_for_returns().filter(Q(owner=user) | Q(delegates=user)).distinct()


def kpi_returns(kpis, period: Period, *, today: date) -> list[KpiReturn]:
    """Every KPI's return for `period`, overdue first, in a fixed number of queries."""
    kpis = list(kpis)
    scorecard = Scorecard(kpis, period, history_years=0, with_trend=False, rows_only=True)
    deadline = deadline_for(period)
    is_locked = PeriodLock.objects.is_locked(period)
    rows = []
    for kpi in kpis:
        rating, target, target_value = scorecard.rate(kpi, period)
        rows.append(
            KpiReturn(
                kpi=kpi,
                period=period,
                record=scorecard.record(kpi, period),
                rating=rating,
                target_display=_target_display(kpi, target, target_value),
                deadline=deadline,
                is_due=kpi.is_due(period),
                is_locked=is_locked,
                today=today,
            )
        )
    return sorted(rows, key=lambda row: row.sort_key)


def _target_display(kpi: Kpi, target, target_value) -> str:
    if target is None:
        return ""
    if kpi.polarity == rag.Polarity.RANGE:
        return f"{kpi.format(target.lower)} to {kpi.format(target.upper)}"
    return kpi.format(target_value)


def actions_led_by(user, period: Period):
    """Actions `user` leads that are live in `period`'s financial year, excluding cancelled ones."""
    return (
        ThreadItem.objects.actions()
        .filter(lead_officer=user)
        .filter(Q(financial_year__isnull=True) | Q(financial_year=period.year))
        .exclude(delivery_status=rag.DeliveryStatus.CANCELLED)
        .order_by("end_on", "reference", "pk")
    )


def my_returns(user, period: Period, *, today: date) -> MyReturns:
    rows = kpi_returns(returns_of(user), period, today=today)
    actions = [ActionReturn(item, item.rating(today), today) for item in actions_led_by(user, period)]
    actions.sort(key=lambda action: not action.is_overdue)
    deadline = rows[0].deadline if rows else deadline_for(period)
    is_locked = rows[0].is_locked if rows else PeriodLock.objects.is_locked(period)
    return MyReturns(period=period, deadline=deadline, is_locked=is_locked, kpi_returns=rows, actions=actions)


def returns_to_sign_off(user, period: Period):
    """Submitted returns for `period` that `user` may sign off: all for SPP, their service's for a manager."""
    records = (
        KpiValue.objects.for_period(period)
        .filter(status=KpiValue.Status.SUBMITTED)
        .select_related("kpi", "kpi__owner", "kpi__service", "updated_by")
        .order_by("kpi__reference")
    )
    if user.has_perm("kpis.view_completeness"):
        return records
    service_id = getattr(getattr(user, "profile", None), "service_id", None)
    if service_id is None:
        return records.none()
    return records.filter(kpi__service_id=service_id)


@dataclass
class CompletenessRow:
    directorate: str
    service: str
    counts: Counter

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def cells(self) -> list[int]:
        """The counts in the order of STATUS_LABELS, for a table row."""
        return [self.counts[status] for status in STATUS_LABELS]


@dataclass
class Completeness:
    period: Period
    deadline: date
    is_locked: bool
    rows: list[CompletenessRow]
    overdue: list[KpiReturn]
    locked_values: list[KpiReturn]
    not_due: int

    @property
    def totals(self) -> CompletenessRow:
        total = Counter()
        for row in self.rows:
            total.update(row.counts)
        return CompletenessRow("All directorates", "All services", total)


def completeness(period: Period, *, today: date) -> Completeness:
    """Counts of due returns by status per directorate and service, and the overdue list."""
    returns = kpi_returns(kpis_for_completeness(), period, today=today)
    due = [row for row in returns if row.is_due]
    groups: dict[tuple[str, str], Counter] = {}
    for row in due:
        key = (
            row.kpi.directorate.name if row.kpi.directorate else "No directorate",
            row.kpi.service.name if row.kpi.service else "No service",
        )
        groups.setdefault(key, Counter())[row.status] += 1
    rows = [CompletenessRow(directorate, service, counts) for (directorate, service), counts in sorted(groups.items())]
    return Completeness(
        period=period,
        deadline=returns[0].deadline if returns else deadline_for(period),
        is_locked=returns[0].is_locked if returns else PeriodLock.objects.is_locked(period),
        rows=rows,
        overdue=[row for row in due if row.is_overdue],
        locked_values=[row for row in due if row.record is not None],
        not_due=len(returns) - len(due),
    )
