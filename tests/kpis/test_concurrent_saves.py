"""Concurrent saves of one return: each waits for the lock, one wins, the rest get a conflict."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from kpis.models import KpiValue
from kpis.returns import parse_return
from kpis.services import EditConflictError, save_return
from pmf.periods import Period

SEPTEMBER = Period.parse("2014-09")
WRITERS = 6


def save_in_thread(kpi, user, value, expected_version, outcomes, start):
    start.wait()
    try:
        data = parse_return(kpi, SEPTEMBER, {"value": value}, today=date(2014, 10, 6))
        save_return(kpi=kpi, period=SEPTEMBER, user=user, data=data, expected_version=expected_version)
        outcomes.append(("saved", value))
    except EditConflictError:
        outcomes.append(("conflict", value))
    except Exception as error:  # noqa: BLE001 - every other outcome is a failure the test reports
        outcomes.append(("error", repr(error)))
    finally:
        connection.close()


def run_writers(kpi, user, expected_version):
    outcomes = []
    start = threading.Barrier(WRITERS)
    threads = [
        threading.Thread(target=save_in_thread, args=(kpi, user, f"{90 + n}", expected_version, outcomes, start))
        for n in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.fixture
def kpi(make_kpi, make_target, officer, highways):
    kpi = make_kpi("CC01", owner=officer, service=highways)
    make_target(kpi, "85")
    return kpi


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_saves_one_wins(kpi, officer):
    outcomes = run_writers(kpi, officer, expected_version=0)

    assert [outcome for outcome in outcomes if outcome[0] == "error"] == []
    saved = [value for kind, value in outcomes if kind == "saved"]
    assert len(saved) == 1
    assert len(outcomes) == WRITERS
    record = KpiValue.objects.get(kpi=kpi)
    assert record.value == Decimal(saved[0])
    assert record.version == 1
    assert record.history.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_edits_lose_nothing(kpi, officer, make_value):
    make_value(kpi, SEPTEMBER, "80", version=3, status=KpiValue.Status.DRAFT)

    outcomes = run_writers(kpi, officer, expected_version=3)

    assert [outcome for outcome in outcomes if outcome[0] == "error"] == []
    saved = [value for kind, value in outcomes if kind == "saved"]
    assert len(saved) == 1
    record = KpiValue.objects.get(kpi=kpi)
    assert record.value == Decimal(saved[0])
    assert record.version == 4
