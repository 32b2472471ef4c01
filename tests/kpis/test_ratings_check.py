"""The ratings check: published ratings against the RAG engine, without the database."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kpis.published import check_rating, read_rows
from pmf import rag

DATA = Path(__file__).resolve().parents[2] / "data" / "published"
HEADER = "council,kpi_name,unit,polarity,period,target,actual,published_rag,source\n"

# The per-file results recorded in docs/ratings-check.md.
SHIPPED_RESULTS = {
    "bracknell_forest_2024_26_kpis.csv": "37 rated, 24 agree, 13 disagree",
    "bracknell_forest_kpi_targets_2024_27.csv": "0 rated, 0 agree, 0 disagree",
    "cheshire_east_actuals_national_stats.csv": "0 rated, 0 agree, 0 disagree",
    "hart_dc_2013_15_kpis.csv": "90 rated, 78 agree, 12 disagree",
    "northumberland_2024_kpis.csv": "58 rated, 49 agree, 9 disagree",
    "other_councils_target_actual_rag.csv": "18 rated, 17 agree, 1 disagree",
    "target_definitions_with_published_polarity.csv": "0 rated, 0 agree, 0 disagree",
}


def run(*args):
    out = StringIO()
    call_command("ratings_check", *[str(arg) for arg in args], stdout=out)
    return out.getvalue().splitlines()


def write_csv(tmp_path, *lines):
    path = tmp_path / "scorecard.csv"
    path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_every_shipped_file_gives_the_documented_result():
    files = sorted(DATA.glob("*.csv"))

    lines = run(*files)

    assert lines[-1] == "203 rated, 168 agree, 35 disagree"
    for path in files:
        assert f"{path}: {SHIPPED_RESULTS[path.name]}" in lines
    assert sum("| engine " in line for line in lines) == 35


def test_hart_quarters_agree_39_of_45():
    agree = {"2014/15 Q1": 0, "2014/15 Q2": 0}
    for line, row in read_rows(DATA / "hart_dc_2013_15_kpis.csv"):
        check = check_rating(row, line)
        if check is not None:
            agree[check.period] += check.agrees

    assert agree == {"2014/15 Q1": 39, "2014/15 Q2": 39}


def test_disagreement_line_lists_every_field(tmp_path):
    path = write_csv(tmp_path, "Test Council,T01 Calls,%,higher is better,2024/25 Q1,60,56.16,Amber (within 10%),s")

    lines = run(path)

    assert lines == [
        f"{path}:2: T01 Calls | 2024/25 Q1 | target 60 | actual 56.16 | published Amber (within 10%) | engine Red",
        "1 rated, 0 agree, 1 disagree",
    ]


def test_agreeing_rows_print_only_the_counts(tmp_path):
    path = write_csv(
        tmp_path,
        # Target 85: 80.75 is Amber (the 5% band), 80.74 Red, 85 Green.
        "Test Council,T01 Calls,%,higher is better,2024/25 Q1,85,80.75,Amber,s",
        "Test Council,T01 Calls,%,higher is better,2024/25 Q2,85,80.74,Red,s",
        "Test Council,T01 Calls,%,higher is better,2024/25 Q3,85,85,Green,s",
        "Test Council,T02 Days,days,lower is better,2024/25 Q1,20,21,Amber,s",
    )

    assert run(path) == ["4 rated, 4 agree, 0 disagree"]


def test_benchmarks_and_free_text_are_not_counted(tmp_path):
    path = write_csv(
        tmp_path,
        'Test Council,T01 Calls,%,higher is better,2019/20,,43,"vs England: Better (benchmark)",s',
        "Test Council,T01 Calls,%,higher is better,2019/20 Q2,90,86,slightly under target (text),s",
        "Test Council,T01 Calls,%,higher is better,2019/20 Q3,90,86,,s",
    )

    assert run(path) == ["0 rated, 0 agree, 0 disagree"]


def test_blank_actual_is_no_data(tmp_path):
    path = write_csv(tmp_path, "Test Council,T01 Missed bins,number,lower is better,2014/15 Q1,40,,Red (below target),s")

    lines = run(path)

    assert lines[0].endswith("| actual – | published Red (below target) | engine No data")
    assert lines[-1] == "1 rated, 0 agree, 1 disagree"


@pytest.mark.parametrize(
    ("polarity", "target", "published"),
    [
        ("higher is better", "info", "Info only"),
        ("higher is better", "", "Info only"),
        ("n/a (data only)", "", "Data only (no status)"),
        ("lower is better (data only)", "", "N/A (data only)"),
        ("contextual", "95", "Data only"),
    ],
)
def test_info_and_data_only_are_not_rated(tmp_path, polarity, target, published):
    path = write_csv(tmp_path, f'Test Council,T01 Cases,number,{polarity},2024/25 Q1,{target},376,"{published}",s')

    assert run(path) == ["1 rated, 1 agree, 0 disagree"]
    check = check_rating(next(read_rows(path))[1], 2)
    assert check.engine is rag.Rating.NOT_RATED


def test_strict_exits_1_when_a_row_disagrees(tmp_path):
    path = write_csv(tmp_path, "Test Council,T01 Calls,%,higher is better,2024/25 Q1,90,80,Green,s")

    with pytest.raises(CommandError) as raised:
        run(path, "--strict")

    assert raised.value.returncode == 1


def test_strict_passes_when_every_row_agrees(tmp_path):
    path = write_csv(tmp_path, "Test Council,T01 Calls,%,higher is better,2024/25 Q1,90,95,Green,s")

    assert run(path, "--strict") == ["1 rated, 1 agree, 0 disagree"]


def test_strict_on_the_shipped_files_fails():
    with pytest.raises(CommandError) as raised:
        run(*sorted(DATA.glob("*.csv")), "--strict")

    assert raised.value.returncode == 1


def test_unreadable_number_is_a_disagreement_with_the_reason(tmp_path):
    path = write_csv(tmp_path, 'Test Council,T01 Calls,%,higher is better,2024/25 Q1,90,"80,5",Red,s')

    lines = run(path)

    assert lines[0].endswith("engine cannot rate: actual '80,5' is not a number: a decimal comma is not accepted")
    assert lines[-1] == "1 rated, 0 agree, 1 disagree"


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="file not found"):
        run(tmp_path / "absent.csv")
