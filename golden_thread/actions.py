"""Updating an action's progress: delivery status, forecast end date and narrative.

Only the action's lead officer (or SPP) updates it. Amber or Red, whether the
owner says so or the dates force it, needs the cause, the recovery and the
support needed. A stale form is refused rather than overwriting a newer update.
"""

import logging
from collections.abc import Mapping
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max

from pmf import rag

from .models import Profile, ThreadItem

logger = logging.getLogger(__name__)

UPDATE_FIELDS = (
    "delivery_status",
    "forecast_end_on",
    "owner_rating",
    "commentary",
    "cause",
    "recovery",
    "support_needed",
)
NARRATIVE_FIELDS = {
    "cause": "Cause is required because the rating is {rating}: say what caused the delay or risk.",
    "recovery": "Recovery is required because the rating is {rating}: say what is being done to recover.",
    "support_needed": (
        "Support needed is required because the rating is {rating}: "
        "say what support or escalation is needed, or write “None”."
    ),
}


class ActionInvalidError(Exception):
    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(errors.values()))


class ActionConflictError(Exception):
    """Someone else updated the action after this user opened it."""

    def __init__(self, current: ThreadItem):
        self.current = current
        super().__init__(
            "Someone else updated this action while you were editing it. Their update is shown below; "
            "check it, then save again if yours should replace it."
        )


def can_update_action(user, item: ThreadItem) -> bool:
    if not user.is_authenticated or not item.is_action:
        return False
    if user.is_superuser or item.lead_officer_id == user.pk:
        return True
    profile = getattr(user, "profile", None)
    return profile is not None and profile.role in (Profile.Role.SPP, Profile.Role.ADMIN)


def revision_of(item: ThreadItem) -> int:
    """Return the id of the action's latest history row: a form opened at an older one is stale. One query."""
    return item.history.order_by("-history_id").values_list("history_id", flat=True).first() or 0


def revisions_of(items) -> dict[int, int]:
    """Return `revision_of` for many actions in one query, keyed by action id."""
    rows = (
        ThreadItem.history.filter(id__in=[item.pk for item in items])
        .values("id")
        .annotate(latest=Max("history_id"))
    )
    return {row["id"]: row["latest"] for row in rows}


def rating_with(item: ThreadItem, data: Mapping, *, today: date) -> rag.Rating:
    """Rate the action as it would be with `data` applied, forced Red rules included."""
    return rag.rate_action(
        status=data.get("delivery_status") or rag.DeliveryStatus.NOT_STARTED,
        owner_rating=data.get("owner_rating") or None,
        start_on=item.start_on,
        end_on=item.end_on,
        today=today,
    )


def narrative_errors(rating: rag.Rating, data: Mapping) -> dict[str, str]:
    if not rag.needs_explanation(rating):
        return {}
    return {
        name: message.format(rating=rating.label)
        for name, message in NARRATIVE_FIELDS.items()
        if not (data.get(name) or "").strip()
    }


def update_action(
    *, item: ThreadItem, user, data: Mapping, expected_revision: int | None = None, today: date | None = None
) -> ThreadItem:
    """Save the lead officer's update to an action, with its reason kept in the history.

    `expected_revision` is `revision_of(item)` when the form was opened; None skips the check.
    """
    if not can_update_action(user, item):
        raise PermissionDenied("Only the action's lead officer or the performance team can update it.")
    today = today or date.today()

    with transaction.atomic():
        current = ThreadItem.objects.select_for_update().get(pk=item.pk)
        if expected_revision is not None and revision_of(current) != expected_revision:
            raise ActionConflictError(current)

        errors = narrative_errors(rating_with(current, data, today=today), data)
        if errors:
            raise ActionInvalidError(errors)

        for name in UPDATE_FIELDS:
            value = data.get(name)
            setattr(current, name, value.strip() if isinstance(value, str) else value)
        current._change_reason = "Progress updated"
        current.save()

    logger.info("User %s updated action %s", user.pk, current.pk)
    return current
