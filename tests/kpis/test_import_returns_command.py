"""`manage.py import_returns` and `manage.py benchmark_import`."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kpis.models import Kpi, KpiValue
from tests.kpis import excel_files as files


@pytest.fixture
def kpi(make_kpi, make_target, officer):
    kpi = make_kpi("CS01", owner=officer)
    make_target(kpi, "85", year=2014)
    return kpi


@pytest.fixture
def workbook(tmp_path):
    def write(rows, name="returns.xlsx"):
        path = tmp_path / name
        path.write_bytes(files.returns_workbook(rows))
        return path

    return write


def run(*args):
    out = StringIO()
    call_command("import_returns", *map(str, args), stdout=out)
    return out.getvalue().splitlines()


def good_rows():
    return [{"KPI reference": "CS01", "Value": "90", "Commentary": "Above target", "Period": "2014-09"}]


def test_dry_run_prints_the_preview_and_saves_nothing(kpi, workbook, officer):
    lines = run(workbook(good_rows()), "--user", "officer", "--period", "2014-09")
    assert any("CS01 Sep 2014 90.0% Green: Save as draft" in line for line in lines)
    assert "Nothing was saved: run again with --commit to save." in lines
    assert lines[-1] == "1 rows, 0 errors, 0 warnings"
    assert KpiValue.objects.count() == 0


def test_commit_saves_in_the_users_name(kpi, workbook, officer):
    lines = run(workbook(good_rows()), "--user", "officer", "--commit")
    assert "Saved 1 return." in lines
    assert lines[-1] == "1 rows, 0 errors, 0 warnings"
    record = KpiValue.objects.get()
    assert record.updated_by == officer
    assert record.history.get().history_user == officer


def test_errors_are_listed_with_cells_and_exit_with_status_1(kpi, workbook, officer):
    rows = [
        {"KPI reference": "CS01", "Value": "80,75", "Period": "2014-09"},
        {"KPI reference": "NOPE", "Value": "1", "Period": "2014-09"},
        {"KPI reference": "CS01", "Value": "#DIV/0!", "Period": "2014-10"},
    ]
    out = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("import_returns", str(workbook(rows)), "--user", "officer", "--commit", stdout=out)
    assert exited.value.code == 1
    lines = out.getvalue().splitlines()
    assert any(line.startswith("Error   Returns!B2: CS01: Value must be a number") for line in lines)
    assert any(line.startswith("Error   Returns!A3:") for line in lines)
    assert any(line.startswith("Warning Returns!B4:") for line in lines)
    assert lines[-1] == "3 rows, 2 errors, 1 warnings"
    assert KpiValue.objects.count() == 0


def test_without_a_user_permissions_are_not_checked_and_nothing_can_be_saved(kpi, workbook):
    lines = run(workbook(good_rows()))
    assert lines[0].startswith("Permissions were not checked")
    assert lines[-1] == "1 rows, 0 errors, 0 warnings"
    with pytest.raises(CommandError, match="--commit needs --user"):
        run(workbook(good_rows()), "--commit")


def test_user_who_may_not_edit_gets_an_error(kpi, workbook, outsider):
    with pytest.raises(SystemExit):
        run(workbook(good_rows()), "--user", "outsider")


def test_unknown_user_and_missing_file(kpi, workbook, tmp_path):
    with pytest.raises(CommandError, match="no user named nobody"):
        run(workbook(good_rows()), "--user", "nobody")
    with pytest.raises(CommandError, match="file not found"):
        run(tmp_path / "missing.xlsx")


def test_not_a_workbook(tmp_path, officer):
    path = tmp_path / "returns.xlsx"
    path.write_bytes(files.csv_bytes())
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("import_returns", str(path), "--user", "officer", stdout=out)
    assert "This file is not an Excel workbook (.xlsx)." in out.getvalue()
    assert out.getvalue().splitlines()[-1] == "0 rows, 1 errors, 0 warnings"


def test_benchmark_runs_and_leaves_the_database_unchanged(db):
    out = StringIO()
    call_command("benchmark_import", "--rows", "50", stdout=out)
    report = out.getvalue()
    assert "50 rows" in report
    assert "50 returns saved, then rolled back" in report
    assert "Peak memory" in report
    assert Kpi.objects.count() == 0 and KpiValue.objects.count() == 0
