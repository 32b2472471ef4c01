"""The load test: its check of saves against the database, and a short run against gunicorn and PostgreSQL."""

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import dj_database_url
import pytest

from kpis.returns import parse_return
from kpis.services import save_return
from loadtest.dataset import check_saves
from loadtest.officers import Save
from pmf.periods import Period

ROOT = Path(__file__).resolve().parents[2]
SEPTEMBER = Period.parse("2014-09")
TODAY = date(2014, 10, 6)


@pytest.fixture
def kpi(make_kpi, officer, highways):
    return make_kpi("LT01", owner=officer, service=highways, directorate=highways.directorate, unit="number",
                    decimal_places=0)


def saved(kpi, user, value: int, version: int):
    data = parse_return(kpi, SEPTEMBER, {"value": str(value), "commentary": "Load check"}, today=TODAY)
    return save_return(kpi=kpi, period=SEPTEMBER, user=user, data=data, expected_version=version)


def accepted(kpi, value: int, new_version: int) -> Save:
    return Save("officer", kpi.pk, value, new_version - 1, outcome="accepted", new_version=new_version)


def test_check_passes_on_matching_saves(kpi, officer):
    saved(kpi, officer, 101, 0)
    saved(kpi, officer, 102, 1)

    saves = [accepted(kpi, 101, 1), accepted(kpi, 102, 2)]

    assert check_saves(saves=saves, kpi_ids=[kpi.pk], period=SEPTEMBER) == []


def test_check_reports_unseen_save(kpi, officer):
    saved(kpi, officer, 101, 0)
    saved(kpi, officer, 102, 1)

    failures = check_saves(saves=[accepted(kpi, 101, 1)], kpi_ids=[kpi.pk], period=SEPTEMBER)

    assert any("version 2, but 1 saves accepted" in failure for failure in failures)
    assert any("2 history rows" in failure for failure in failures)


def test_check_reports_lost_save(kpi, officer):
    saved(kpi, officer, 101, 0)

    saves = [accepted(kpi, 101, 1), accepted(kpi, 102, 2)]
    failures = check_saves(saves=saves, kpi_ids=[kpi.pk], period=SEPTEMBER)

    assert any("value 101, but the last accepted save sent 102" in failure for failure in failures)


def test_check_reports_value_only_conflicts_sent(kpi, officer):
    saved(kpi, officer, 101, 0)

    conflict = Save("officer", kpi.pk, 999, 0, outcome="conflict")
    failures = check_saves(saves=[conflict], kpi_ids=[kpi.pk], period=SEPTEMBER)

    assert failures == [f"KPI {kpi.pk}: stored a value no accepted save sent"]


def postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@pytest.mark.skipif(postgres_url() is None, reason="the load test runs gunicorn against PostgreSQL; "
                                                   "DATABASE_URL is not a PostgreSQL URL")
def test_short_run_passes_every_check(tmp_path):
    parts = dj_database_url.parse(postgres_url())
    url = postgres_url().rsplit("/", 1)[0] + f"/pmf_load_{parts['NAME']}"
    results = tmp_path / "results.json"
    command = [sys.executable, str(ROOT / "loadtest" / "run.py"), "--users", "3", "--seconds", "3",
               "--think-seconds", "0.2", "--database-url", url, "--json", str(results)]

    try:
        run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    finally:
        drop_database(parts, f"pmf_load_{parts['NAME']}")

    # Exit status 2 means a latency or memory target was missed, which a busy test machine may do.
    assert run.returncode in (0, 2), run.stdout + run.stderr
    report = json.loads(results.read_text())
    assert report["failures"] == []
    assert report["saves_accepted"] > 0
    assert set(report["status_counts"]) <= {"200", "302"}
    assert len(report["worker_peak_rss_mb"]) == 4


def drop_database(parts: dict, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(host=parts["HOST"], port=parts["PORT"] or None, user=parts["USER"] or None,
                         password=parts["PASSWORD"] or None, dbname="postgres", autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
