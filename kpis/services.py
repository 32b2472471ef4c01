"""Workflows of the monthly returns: save, submit, sign off, return, lock and unlock.

Each is one transaction. Permission, lock and version checks happen here, so
the browser, Excel import and scripts all obey the same rules.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from pmf.periods import Period

from .models import Kpi, KpiValue, PeriodLock, PeriodLockedError
from .returns import ReturnData, rate_candidate, rating_for, require_narrative
from .scorecard import Scorecard

logger = logging.getLogger(__name__)

__all__ = [
    "EditConflictError",
    "PeriodLockedError",
    "ReturnInvalidError",
    "lock_period",
    "return_for_changes",
    "ReturnEntry",
    "save_return",
    "save_returns",
    "sign_off_returns",
    "unlock_value",
]


class EditConflictError(Exception):
    """Someone else saved the return after this user opened it."""

    def __init__(self, current: KpiValue | None):
        self.current = current
        if current is None:
            super().__init__(
                "This return was removed while you were editing it. Open My returns again and re-enter it."
            )
            return
        editor = current.updated_by
        who = (editor.get_full_name() or editor.username) if editor else "Someone"
        super().__init__(
            f"{who} saved this return while you were editing it. Their figure is shown below; "
            "check it, then save again if yours should replace it."
        )


class ReturnInvalidError(Exception):
    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(errors.values()))


def _require(user, permission: str, obj=None) -> None:
    if not user.has_perm(permission, obj):
        raise PermissionDenied(f"You do not have permission to {permission.split('.')[1].replace('_', ' ')}.")


def _locked_copy(record: KpiValue) -> KpiValue:
    """Re-read the record under a row lock, so concurrent workflow steps wait for each other."""
    return KpiValue.objects.select_for_update(of=("self",)).select_related("kpi").get(pk=record.pk)


RETURN_FIELDS = ("value", "numerator", "denominator", "commentary", "cause", "recovery", "support_needed")


@dataclass
class ReturnEntry:
    """One return to save with `save_returns`: the same arguments `save_return` takes."""

    kpi: Kpi
    period: Period
    data: ReturnData
    expected_version: int
    submit: bool = False


def save_return(
    *, kpi, period: Period, user, data: ReturnData, expected_version: int, submit: bool = False
) -> KpiValue:
    """Save a draft or submit a return, refusing a stale version, a locked period or invalid input.

    `expected_version` is the version the user's form was opened at: 0 when
    no value existed yet.
    """
    _require(user, "kpis.edit_return", kpi)
    with transaction.atomic():
        # Locking the KPI row makes concurrent first saves queue too: the
        # value row they would lock does not exist yet.
        list(Kpi.objects.select_for_update().filter(pk=kpi.pk).values_list("pk", flat=True))
        record = (
            KpiValue.objects.select_for_update(of=("self",))
            .select_related("updated_by")
            .filter(kpi=kpi, financial_year=period.year, period=period.number)
            .first()
        )
        entry = ReturnEntry(kpi, period, data, expected_version, submit)
        record = _apply_return(
            entry, record, user=user, rating=rating_for(kpi, period, data.value),
            is_locked=PeriodLock.objects.is_locked(period),
        )
        record.save()

    logger.info("Return %s for KPI %s %s by user %s", record.status, kpi.pk, period.code, user.pk)
    return record


def save_returns(*, entries: list[ReturnEntry], user) -> int:
    """Save many returns in one transaction, with every rule of `save_return`.

    It reads the locks, the stored values and the targets once per period
    and writes with bulk inserts and updates, so a bulk load of thousands of
    rows takes a fixed number of queries per period and per batch. The first
    entry that breaks a rule raises, and nothing is saved.
    """
    kpis = list({entry.kpi.pk: entry.kpi for entry in entries}.values())
    prefetch_related_objects(kpis, "delegates")
    for kpi in kpis:
        _require(user, "kpis.edit_return", kpi)

    by_period: dict[Period, list[ReturnEntry]] = defaultdict(list)
    for entry in entries:
        by_period[entry.period].append(entry)

    created, updated = [], []
    with transaction.atomic():
        list(Kpi.objects.select_for_update().filter(pk__in=[kpi.pk for kpi in kpis]).values_list("pk", flat=True))
        locked = set(
            PeriodLock.objects.filter(is_locked=True, financial_year__in={period.year for period in by_period})
            .values_list("financial_year", "period")
        )
        for period, group in by_period.items():
            stored = {
                record.kpi_id: record
                for record in KpiValue.objects.select_for_update(of=("self",))
                .select_related("updated_by")
                .filter(financial_year=period.year, period=period.number, kpi_id__in=[e.kpi.pk for e in group])
            }
            scorecard = Scorecard([entry.kpi for entry in group], period, history_years=0, with_trend=False)
            for entry in group:
                target = scorecard.target_in_force(entry.kpi, period)
                profile = scorecard.profiles.get(target.pk) if target else None
                rating = rate_candidate(entry.kpi, period, entry.data.value, target, profile)
                record = stored.get(entry.kpi.pk)
                is_new = record is None
                record = _apply_return(
                    entry, record, user=user, rating=rating, is_locked=(period.year, period.number) in locked
                )
                (created if is_new else updated).append(record)

        bulk_create_with_history(created, KpiValue, batch_size=BULK_BATCH_SIZE)
        bulk_update_with_history(
            updated, KpiValue, fields=[*RETURN_FIELDS, "status", "version", "updated_by", "updated_at"], batch_size=BULK_BATCH_SIZE
        )

    logger.info("User %s saved %s returns in bulk", user.pk, len(entries))
    return len(entries)


BULK_BATCH_SIZE = 500


def _apply_return(entry: ReturnEntry, record: KpiValue | None, *, user, rating, is_locked: bool) -> KpiValue:
    """Check one return against its stored record and copy the input onto it, unsaved."""
    current_version = record.version if record else 0
    if current_version != entry.expected_version:
        raise EditConflictError(record)
    if record is None:
        record = KpiValue(kpi=entry.kpi, financial_year=entry.period.year, period=entry.period.number, version=0)
    if is_locked and not record.is_unlocked:
        raise PeriodLockedError(entry.period)
    if record.status == KpiValue.Status.SIGNED_OFF and not record.is_unlocked:
        raise ReturnInvalidError(
            {"value": "This return has been signed off. Ask your service manager to return it for changes."}
        )

    require_narrative(entry.data, rating, submitting=entry.submit)
    if entry.data.errors:
        raise ReturnInvalidError(entry.data.errors)

    for name in RETURN_FIELDS:
        setattr(record, name, getattr(entry.data, name))
    record.status = KpiValue.Status.SUBMITTED if entry.submit else KpiValue.Status.DRAFT
    record.version = current_version + 1
    record.updated_by = user
    # Bulk updates skip auto_now, so the time is set here for both paths.
    record.updated_at = timezone.now()
    record._history_user = user
    record._change_reason = "Submitted" if entry.submit else "Saved as draft"
    return record


def sign_off_returns(*, records, user) -> int:
    """Sign off the submitted returns among `records` and return how many were signed off."""
    signed = 0
    with transaction.atomic():
        for listed in records:
            record = _locked_copy(listed)
            _require(user, "kpis.sign_off_return", record.kpi)
            if record.status != KpiValue.Status.SUBMITTED:
                continue
            record.status = KpiValue.Status.SIGNED_OFF
            record.is_unlocked = False
            record.returned_comment = ""
            record.version += 1
            record.updated_by = user
            record._history_user = user
            record._change_reason = "Signed off"
            record.save()
            signed += 1
    logger.info("User %s signed off %s returns", user.pk, signed)
    return signed


def return_for_changes(*, record: KpiValue, user, comment: str) -> KpiValue:
    """Send a submitted or signed-off return back to its officer with a comment they will see."""
    _require(user, "kpis.sign_off_return", record.kpi)
    if not comment.strip():
        raise ReturnInvalidError({"comment": "Comment is required: tell the officer what to change."})
    with transaction.atomic():
        record = _locked_copy(record)
        record.status = KpiValue.Status.RETURNED
        record.returned_comment = comment.strip()
        record.version += 1
        record.updated_by = user
        record._history_user = user
        record._change_reason = f"Returned for changes: {comment.strip()}"
        record.save()
    logger.info("User %s returned KPI value %s for changes", user.pk, record.pk)
    return record


def lock_period(*, period: Period, user) -> PeriodLock:
    """Lock a reported period: its values then change only through a recorded unlock."""
    _require(user, "kpis.lock_period")
    with transaction.atomic():
        lock, _ = PeriodLock.objects.select_for_update(of=("self",)).get_or_create(
            financial_year=period.year, period=period.number, defaults={"changed_by": user}
        )
        lock.is_locked = True
        lock.changed_by = user
        lock._history_user = user
        lock._change_reason = "Period locked"
        lock.save()
        KpiValue.objects.for_period(period).filter(is_unlocked=True).update(is_unlocked=False)
    logger.info("User %s locked period %s", user.pk, period.code)
    return lock


def unlock_value(*, record: KpiValue, user, reason: str) -> KpiValue:
    """Let one value in a locked period change again; the reason is kept in its history."""
    _require(user, "kpis.unlock_value")
    if not reason.strip():
        raise ReturnInvalidError({"reason": "Reason is required: say why the locked value must change."})
    with transaction.atomic():
        record = _locked_copy(record)
        record.is_unlocked = True
        record.unlock_reason = reason.strip()
        if record.status == KpiValue.Status.SIGNED_OFF:
            record.status = KpiValue.Status.RETURNED
        record.version += 1
        record.updated_by = user
        record._history_user = user
        record._change_reason = f"Unlocked: {reason.strip()}"
        # The lock check compares protected fields only, so this save passes.
        record.save()
    logger.info("User %s unlocked KPI value %s", user.pk, record.pk)
    return record
