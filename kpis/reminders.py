"""Email reminders to KPI owners whose returns are due soon or overdue, once per return per stage."""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from pmf.periods import Period

from .models import PeriodLock
from .models import ReminderSent
from .returns_status import OWED, KpiReturn, kpi_returns, kpis_for_returns

logger = logging.getLogger(__name__)

# How many earlier periods' missing returns are still chased: a quarter, so a
# quarterly KPI's last return is covered.
LOOKBACK_PERIODS = 3


@dataclass(frozen=True)
class Reminder:
    row: KpiReturn
    stage: str

    @property
    def key(self) -> tuple[int, int, int, str]:
        return (self.row.kpi.pk, self.row.period.year, self.row.period.number, self.stage)

    @property
    def line(self) -> str:
        when = "was due" if self.stage == ReminderSent.Stage.OVERDUE else "is due"
        return (
            f"- {self.row.kpi.reference} {self.row.kpi.name}: the {self.row.period.long_label} return "
            f"{when} by {self.row.deadline.day} {self.row.deadline:%B %Y} ({self.row.status_label.lower()})."
        )


def stage_for(row: KpiReturn, *, today: date, days: int) -> str | None:
    """Return the stage a return has reached: overdue after its deadline, due soon within `days` of it, else None."""
    if not row.is_due or row.status not in OWED:
        return None
    if today > row.deadline:
        return ReminderSent.Stage.OVERDUE
    if (row.deadline - today).days <= days:
        return ReminderSent.Stage.DUE_SOON
    return None


def periods_to_chase(today: date) -> list[Period]:
    """Return the current period and the ones before it that are not locked, oldest first (one query)."""
    current = Period.current(today)
    periods = Period.range(Period.from_index(current.index - LOOKBACK_PERIODS), current)
    locked = set(
        PeriodLock.objects.filter(is_locked=True, financial_year__gte=periods[0].year)
        .values_list("financial_year", "period")
    )
    return [period for period in periods if (period.year, period.number) not in locked]


def reminders_due(*, today: date, days: int) -> list[Reminder]:
    """Return the reminders owed today to owners with an email address, leaving out those already sent."""
    kpis = list(kpis_for_returns().filter(owner__isnull=False).exclude(owner__email=""))
    sent = set(ReminderSent.objects.values_list("kpi_id", "financial_year", "period", "stage"))
    reminders = []
    for period in periods_to_chase(today):
        for row in kpi_returns(kpis, period, today=today):
            stage = stage_for(row, today=today, days=days)
            if stage is not None and (row.kpi.pk, period.year, period.number, stage) not in sent:
                reminders.append(Reminder(row, stage))
    return reminders


def send_reminders(*, today: date, days: int) -> int:
    """Email each owner one message listing their reminders; returns how many emails were sent."""
    by_owner = defaultdict(list)
    for reminder in reminders_due(today=today, days=days):
        by_owner[reminder.row.kpi.owner].append(reminder)

    for owner, reminders in by_owner.items():
        with transaction.atomic():
            ReminderSent.objects.bulk_create(
                ReminderSent(
                    kpi=reminder.row.kpi,
                    financial_year=reminder.row.period.year,
                    period=reminder.row.period.number,
                    stage=reminder.stage,
                    recipient=owner,
                    sent_on=today,
                )
                for reminder in reminders
            )
            # Sent inside the transaction: if sending fails, nothing is recorded and the next run retries.
            send_mail(subject_for(reminders), body_for(owner, reminders), None, [owner.email])
        logger.info("Sent %s return reminders to user %s", len(reminders), owner.pk)
    return len(by_owner)


def subject_for(reminders: list[Reminder]) -> str:
    overdue = sum(reminder.stage == ReminderSent.Stage.OVERDUE for reminder in reminders)
    parts = []
    if overdue:
        parts.append(f"{overdue} overdue")
    if len(reminders) - overdue:
        parts.append(f"{len(reminders) - overdue} due soon")
    return f"Performance returns: {' and '.join(parts)}"


def body_for(owner, reminders: list[Reminder]) -> str:
    overdue = [r for r in reminders if r.stage == ReminderSent.Stage.OVERDUE]
    due_soon = [r for r in reminders if r.stage == ReminderSent.Stage.DUE_SOON]
    lines = [f"Dear {owner.get_full_name() or owner.username},", ""]
    if overdue:
        lines += ["These returns are overdue:", *(r.line for r in overdue), ""]
    if due_soon:
        lines += ["These returns are due soon:", *(r.line for r in due_soon), ""]
    link = getattr(settings, "PMF_BASE_URL", "").rstrip("/") + reverse("returns:mine")
    lines += [f"Enter them on My returns: {link}", "", "Strategy, Policy and Performance"]
    return "\n".join(lines)
