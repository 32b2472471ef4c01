"""A KPI value's change history in words: who, when, what changed (before → after) and why."""

from dataclasses import dataclass
from datetime import datetime

from .models import KpiValue

SHOWN_FIELDS = (
    "value",
    "numerator",
    "denominator",
    "commentary",
    "cause",
    "recovery",
    "support_needed",
    "status",
    "returned_comment",
    "is_unlocked",
    "unlock_reason",
)
NUMBER_FIELDS = {"value", "numerator", "denominator"}


@dataclass
class FieldChange:
    label: str
    before: str
    after: str


@dataclass
class HistoryEntry:
    changed_at: datetime
    changed_by: str
    kind: str
    reason: str
    changes: list[FieldChange]


def value_history(record: KpiValue) -> list[HistoryEntry]:
    """List every saved version of `record`, newest first, each compared with the one before. One query."""
    versions = list(record.history.select_related("history_user").order_by("history_date", "history_id"))
    entries = []
    previous = None
    for version in versions:
        entries.append(history_entry(record, version, previous))
        previous = version
    return list(reversed(entries))


def history_entry(record: KpiValue, version, previous) -> HistoryEntry:
    if previous is None:
        changes = [
            FieldChange(label_of(name), "–", display(record, name, getattr(version, name)))
            for name in SHOWN_FIELDS
            if getattr(version, name) not in (None, "", False)
        ]
    else:
        delta = version.diff_against(previous, included_fields=SHOWN_FIELDS)
        changes = [
            FieldChange(label_of(change.field), display(record, change.field, change.old),
                        display(record, change.field, change.new))
            for change in sorted(delta.changes, key=lambda change: SHOWN_FIELDS.index(change.field))
        ]
    user = version.history_user
    return HistoryEntry(
        changed_at=version.history_date,
        changed_by=(user.get_full_name() or user.username) if user else "System",
        kind=version.get_history_type_display(),
        reason=version.history_change_reason or "",
        changes=changes,
    )


def label_of(name: str) -> str:
    return KpiValue._meta.get_field(name).verbose_name.capitalize()


def display(record: KpiValue, name: str, value) -> str:
    if name == "value":
        return record.kpi.format(value)
    if name in NUMBER_FIELDS:
        return "–" if value is None else f"{value.normalize():f}"
    if name == "status":
        return KpiValue.Status(value).label if value else "–"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return value or "–"
