"""Reminder emails: due within N days or overdue, once per return per stage."""

from datetime import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from kpis.models import KpiValue, PeriodLock
from kpis.models import ReminderSent
from kpis.reminders import send_reminders
from pmf.periods import LONDON, Period

SEPTEMBER = Period.parse("2014-09")  # due by Tuesday 14 October 2014, the 10th working day


def on(time_machine, day: int):
    time_machine.move_to(datetime(2014, 10, day, 9, 0, tzinfo=LONDON), tick=False)
    return datetime(2014, 10, day).date()


@pytest.fixture
def officer_with_email(officer):
    officer.email = "officer@example.org"
    officer.save()
    return officer


@pytest.fixture
def kpi(make_kpi, make_value, officer_with_email, highways):
    """A monthly KPI whose July and August returns are in, so only September is owed."""
    kpi = make_kpi("HW01", name="Roads repaired on time", owner=officer_with_email, service=highways)
    for month in ("2014-07", "2014-08"):
        make_value(kpi, month, "90", status=KpiValue.Status.SIGNED_OFF)
    return kpi


def test_due_soon_is_sent_once(time_machine, kpi):
    today = on(time_machine, 11)  # Saturday: three days before the deadline

    assert send_reminders(today=today, days=3) == 1
    assert send_reminders(today=today, days=3) == 0

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["officer@example.org"]
    assert message.subject == "Performance returns: 1 due soon"
    assert "HW01 Roads repaired on time: the September 2014 return is due by 14 October 2014" in message.body
    assert "/returns/" in message.body


def test_not_yet_within_the_window(time_machine, kpi):
    today = on(time_machine, 10)  # four days before the deadline

    assert send_reminders(today=today, days=3) == 0
    assert mail.outbox == []


def test_overdue_follows_due_soon_once(time_machine, kpi):
    send_reminders(today=on(time_machine, 11), days=3)
    send_reminders(today=on(time_machine, 15), days=3)
    send_reminders(today=on(time_machine, 16), days=3)

    assert [message.subject for message in mail.outbox] == [
        "Performance returns: 1 due soon",
        "Performance returns: 1 overdue",
    ]
    assert "was due by 14 October 2014 (not started)" in mail.outbox[1].body
    stages = set(ReminderSent.objects.values_list("stage", flat=True))
    assert stages == {ReminderSent.Stage.DUE_SOON, ReminderSent.Stage.OVERDUE}


@pytest.mark.parametrize(
    ("status", "reminded"),
    [
        (KpiValue.Status.DRAFT, True),
        (KpiValue.Status.RETURNED, True),
        (KpiValue.Status.SUBMITTED, False),
        (KpiValue.Status.SIGNED_OFF, False),
    ],
)
def test_only_owed_returns_are_chased(time_machine, kpi, make_value, status, reminded):
    make_value(kpi, SEPTEMBER, "90", status=status)

    send_reminders(today=on(time_machine, 15), days=3)

    assert len(mail.outbox) == int(reminded)


def test_locked_period_is_not_chased(time_machine, kpi):
    PeriodLock.objects.create(financial_year=2014, period=6)

    send_reminders(today=on(time_machine, 15), days=3)

    assert mail.outbox == []


def test_owner_without_email_is_skipped(time_machine, kpi, officer_with_email):
    officer_with_email.email = ""
    officer_with_email.save()

    assert send_reminders(today=on(time_machine, 15), days=3) == 0


def test_one_email_lists_all_of_an_owners_returns(time_machine, kpi, make_kpi, officer_with_email, highways):
    make_kpi("HWQ", name="Quarterly survey", owner=officer_with_email, service=highways, frequency="quarterly")

    send_reminders(today=on(time_machine, 15), days=3)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Performance returns: 2 overdue"
    assert "HWQ Quarterly survey: the September 2014 return" in mail.outbox[0].body
    # A quarterly KPI is not due in July or August.
    assert "HWQ Quarterly survey: the August 2014" not in mail.outbox[0].body


def test_command_reports_what_it_sent(time_machine, kpi):
    on(time_machine, 11)
    out = StringIO()

    call_command("send_reminders", "--days", "3", stdout=out)

    assert out.getvalue().strip() == "Sent 1 reminder email."
    assert len(mail.outbox) == 1


def test_command_refuses_negative_days(db):
    with pytest.raises(CommandError, match="cannot be negative"):
        call_command("send_reminders", "--days", "-1")
