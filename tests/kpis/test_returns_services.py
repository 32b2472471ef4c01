"""The returns workflow at the service level: the rules the browser, imports and scripts share."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kpis.models import KpiValue, PeriodLock, PeriodLockedError
from kpis.returns import parse_return
from kpis.services import (
    EditConflictError,
    ReturnEntry,
    ReturnInvalidError,
    lock_period,
    return_for_changes,
    save_return,
    save_returns,
    sign_off_returns,
    unlock_value,
)
from pmf.periods import Period

SEPTEMBER = Period.parse("2014-09")
TODAY = date(2014, 10, 6)


@pytest.fixture
def kpi(make_kpi, make_target, officer, highways):
    kpi = make_kpi(
        "CS01", owner=officer, service=highways, directorate=highways.directorate, decimal_places=2
    )
    make_target(kpi, "85", year=2014)
    return kpi


def parsed(kpi, **raw):
    return parse_return(kpi, SEPTEMBER, raw, today=TODAY)


def save(kpi, user, *, version=0, submit=False, **raw):
    return save_return(
        kpi=kpi, period=SEPTEMBER, user=user, data=parsed(kpi, **raw), expected_version=version, submit=submit
    )


def test_draft_then_submit_bumps_version(kpi, officer):
    draft = save(kpi, officer, value="90", commentary="On track")
    assert draft.status == KpiValue.Status.DRAFT
    assert draft.version == 1

    submitted = save(kpi, officer, version=1, submit=True, value="91", commentary="On track")
    assert submitted.status == KpiValue.Status.SUBMITTED
    assert submitted.version == 2
    assert submitted.value == Decimal("91")


def test_amber_draft_saves_without_narrative(kpi, officer):
    record = save(kpi, officer, value="80.75", commentary="Below target")
    assert record.status == KpiValue.Status.DRAFT
    assert record.cause == ""


def test_amber_submit_needs_cause_recovery_support(kpi, officer):
    with pytest.raises(ReturnInvalidError) as raised:
        save(kpi, officer, value="80.75", commentary="Below target", submit=True)
    assert set(raised.value.errors) == {"cause", "recovery", "support_needed"}
    assert "Amber" in raised.value.errors["cause"]
    assert not KpiValue.objects.exists()


def test_red_with_narrative_saves(kpi, officer):
    record = save(
        kpi, officer, value="80.74", commentary="Short", cause="Staff", recovery="Agency", support_needed="None"
    )
    assert record.value == Decimal("80.74")


def test_green_needs_no_narrative(kpi, officer):
    assert save(kpi, officer, value="85").value == Decimal("85")


def test_stale_version_is_a_conflict(kpi, officer, spp):
    save(kpi, officer, value="90")
    save(kpi, spp, version=1, value="92")

    with pytest.raises(EditConflictError) as raised:
        save(kpi, officer, version=1, value="95")

    assert raised.value.current.value == Decimal("92")
    assert KpiValue.objects.get().value == Decimal("92")


def test_second_creator_gets_conflict(kpi, officer, spp):
    save(kpi, officer, value="90")
    with pytest.raises(EditConflictError):
        save(kpi, spp, version=0, value="70")


def test_outsider_cannot_save(kpi, outsider):
    with pytest.raises(PermissionDenied):
        save(kpi, outsider, value="90")
    assert not KpiValue.objects.exists()


def test_locked_period_rejects_save(kpi, officer, spp):
    save(kpi, officer, value="90")
    lock_period(period=SEPTEMBER, user=spp)

    with pytest.raises(PeriodLockedError):
        save(kpi, officer, version=1, value="91")
    assert KpiValue.objects.get().value == Decimal("90")


def test_locked_period_enforced_by_model(kpi, officer, spp):
    record = save(kpi, officer, value="90")
    lock_period(period=SEPTEMBER, user=spp)

    record.value = Decimal("10")
    with pytest.raises(PeriodLockedError):
        record.save()
    assert KpiValue.objects.get().value == Decimal("90")


def test_locked_period_blocks_new_value_in_model(kpi, spp):
    lock_period(period=SEPTEMBER, user=spp)
    with pytest.raises(PeriodLockedError):
        KpiValue.objects.create(kpi=kpi, financial_year=2014, period=SEPTEMBER.number, value=Decimal("1"))


def test_unlock_with_reason_allows_one_change(kpi, officer, manager, spp):
    record = save(kpi, officer, value="90", submit=True, version=0)
    sign_off_returns(records=[record], user=manager)
    lock_period(period=SEPTEMBER, user=spp)
    record.refresh_from_db()

    with pytest.raises(ReturnInvalidError):
        unlock_value(record=record, user=spp, reason="  ")
    unlock_value(record=record, user=spp, reason="Source data corrected")
    record.refresh_from_db()
    corrected = save(kpi, officer, version=record.version, value="88", submit=True)

    assert corrected.value == Decimal("88")
    assert record.history.filter(history_change_reason="Unlocked: Source data corrected").exists()


def test_only_spp_locks_and_unlocks(kpi, officer, manager):
    with pytest.raises(PermissionDenied):
        lock_period(period=SEPTEMBER, user=manager)
    record = save(kpi, officer, value="90")
    with pytest.raises(PermissionDenied):
        unlock_value(record=record, user=officer, reason="Please")
    assert not PeriodLock.objects.exists()


def test_sign_off_and_return_for_changes(kpi, officer, manager):
    record = save(kpi, officer, value="90", submit=True)

    returned = return_for_changes(record=record, user=manager, comment="Check the September figure")
    assert returned.status == KpiValue.Status.RETURNED
    assert returned.returned_comment == "Check the September figure"

    resubmitted = save(kpi, officer, version=returned.version, value="89", submit=True)
    assert sign_off_returns(records=[resubmitted], user=manager) == 1
    resubmitted.refresh_from_db()
    assert resubmitted.status == KpiValue.Status.SIGNED_OFF


def test_signed_off_return_cannot_be_edited(kpi, officer, manager):
    record = save(kpi, officer, value="90", submit=True)
    sign_off_returns(records=[record], user=manager)
    record.refresh_from_db()
    with pytest.raises(ReturnInvalidError):
        save(kpi, officer, version=record.version, value="91")


def test_officer_cannot_sign_off(kpi, officer):
    record = save(kpi, officer, value="90", submit=True)
    with pytest.raises(PermissionDenied):
        sign_off_returns(records=[record], user=officer)


def test_history_keeps_who_when_why(kpi, officer):
    record = save(kpi, officer, value="90")
    save(kpi, officer, version=1, value="91", submit=True)

    history = list(record.history.order_by("history_date"))
    assert [entry.value for entry in history] == [Decimal("90"), Decimal("91")]
    assert [entry.history_user for entry in history] == [officer, officer]
    assert [entry.history_change_reason for entry in history] == ["Saved as draft", "Submitted"]


@pytest.mark.parametrize(
    ("field", "text", "message_part"),
    [
        ("value", "80,75", "decimal comma"),
        ("value", "85.125", "decimal places"),
        ("value", "101", "from 0 to 100"),
        ("value", "abc", "must be a number"),
    ],
)
def test_parse_return_names_field(kpi, field, text, message_part):
    data = parsed(kpi, **{field: text})
    assert field in data.errors
    assert message_part in data.errors[field]


def test_parse_accepts_thousands_separator(make_kpi):
    kpi = make_kpi(unit="number", decimal_places=0)
    assert parsed(kpi, value="1,234").value == Decimal("1234")


def test_future_period_rejected(kpi):
    data = parse_return(kpi, Period.parse("2014-11"), {"value": "90"}, today=TODAY)
    assert "not started" in data.errors["value"]


def test_blank_value_is_missing_not_zero(kpi, officer):
    record = save(kpi, officer, value="", commentary="Figure not yet available")
    assert record.value is None


def test_submit_without_value_or_commentary_rejected(kpi, officer):
    with pytest.raises(ReturnInvalidError) as raised:
        save(kpi, officer, value="", submit=True)
    assert "value" in raised.value.errors


def test_rate_kpi_value_from_parts(make_kpi, officer, highways):
    kpi = make_kpi(
        owner=officer, service=highways, numerator_label="Calls answered", denominator_label="Calls received"
    )
    record = save(kpi, officer, numerator="1", denominator="2")
    assert record.value == Decimal("50")
    data = parsed(kpi, numerator="3")
    assert "denominator" in data.errors


def entries_for(kpis, value="90", **raw):
    return [
        ReturnEntry(kpi, SEPTEMBER, parsed(kpi, value=value, **raw), expected_version=0) for kpi in kpis
    ]


@pytest.fixture
def many_kpis(make_kpi, make_target, officer, highways):
    def build(count):
        kpis = []
        for _ in range(count):
            kpi = make_kpi(owner=officer, service=highways, decimal_places=2)
            make_target(kpi, "85")
            kpis.append(kpi)
        return kpis

    return build


def test_bulk_save_keeps_history(many_kpis, officer, make_value):
    kpis = many_kpis(3)
    make_value(kpis[0], SEPTEMBER, "70", version=2, status=KpiValue.Status.DRAFT)
    entries = entries_for(kpis)
    entries[0].expected_version = 2

    assert save_returns(entries=entries, user=officer) == 3

    records = KpiValue.objects.order_by("kpi_id")
    assert [record.value for record in records] == [Decimal("90")] * 3
    assert [record.version for record in records] == [3, 1, 1]
    history = KpiValue.history.filter(history_user=officer, history_change_reason="Saved as draft")
    assert history.count() == 3


def test_bulk_save_all_or_nothing(many_kpis, officer, make_value):
    kpis = many_kpis(3)
    make_value(kpis[2], SEPTEMBER, "70", version=1)

    with pytest.raises(EditConflictError):
        save_returns(entries=entries_for(kpis), user=officer)
    assert KpiValue.objects.count() == 1


def test_bulk_save_needs_amber_narrative(many_kpis, officer):
    entries = entries_for(many_kpis(2), value="80.75")
    for entry in entries:
        entry.submit = True
    with pytest.raises(ReturnInvalidError) as raised:
        save_returns(entries=entries, user=officer)
    assert "cause" in raised.value.errors
    assert not KpiValue.objects.exists()


def test_bulk_save_rejects_locked_period(many_kpis, officer, spp):
    kpis = many_kpis(2)
    lock_period(period=SEPTEMBER, user=spp)
    with pytest.raises(PeriodLockedError):
        save_returns(entries=entries_for(kpis), user=officer)
    assert not KpiValue.objects.exists()


def test_bulk_save_checks_permission(many_kpis, outsider):
    with pytest.raises(PermissionDenied):
        save_returns(entries=entries_for(many_kpis(2)), user=outsider)
    assert not KpiValue.objects.exists()


def test_bulk_save_queries_constant(many_kpis, officer):
    # Both sizes fit one insert batch: SQLite splits larger inserts by its parameter limit.
    counts = []
    for size in (3, 30):
        entries = entries_for(many_kpis(size))
        with CaptureQueriesContext(connection) as queries:
            save_returns(entries=entries, user=officer)
        counts.append(len(queries))
    assert counts[0] == counts[1]
