"""The shared workbook and CSV writer: formats, ratings, sheet names, formula safety and local times."""

import csv
import io
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from pmf.rag import Rating
from reporting.excel import (
    Cell,
    Column,
    add_table,
    csv_response,
    new_workbook,
    safe_text,
    valid_sheet_name,
    workbook_bytes,
    workbook_response,
)

PRODUCED_AT = datetime(2025, 7, 1, 8, 30, tzinfo=UTC)
DANGEROUS_PREFIXES = ["=", "+", "-", "@", "\t", "\r"]


def workbook_with(columns, rows, name="Data"):
    workbook = new_workbook("Test report", period_label="July 2025", scope="Everything", produced_at=PRODUCED_AT)
    add_table(workbook, name, columns, rows)
    return workbook


def read_back(workbook):
    return load_workbook(io.BytesIO(workbook_bytes(workbook)))


def table_of(columns, rows):
    """Write the table, read the file back and return its data sheet."""
    return read_back(workbook_with(columns, rows)).worksheets[1]


def sheet_xml(workbook, index=2) -> str:
    with zipfile.ZipFile(io.BytesIO(workbook_bytes(workbook))) as archive:
        return archive.read(f"xl/worksheets/sheet{index}.xml").decode()


def csv_rows(response) -> list[list[str]]:
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


# Layout --------------------------------------------------------------------


def test_header_row_is_bold_frozen_and_filtered():
    sheet = table_of([Column("Reference"), Column("Value", "number")], [["A1", 1], ["A2", 2]])

    assert [cell.value for cell in sheet[1]] == ["Reference", "Value"]
    assert all(cell.font.bold for cell in sheet[1])
    assert not sheet["A2"].font.bold
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:B3"


def test_empty_table_keeps_its_header_and_filter():
    sheet = table_of([Column("Reference"), Column("Value", "number")], [])

    assert [cell.value for cell in sheet[1]] == ["Reference", "Value"]
    assert sheet.max_row == 1
    assert sheet.auto_filter.ref == "A1:B1"


def test_column_widths_fit_the_content_within_a_cap():
    sheet = table_of(
        [Column("Ref"), Column("Name"), Column("Commentary")],
        [["A1", "Roads in good repair and safe to use", "x" * 500]],
    )

    assert sheet.column_dimensions["A"].width == 8  # the minimum: "Ref" and "A1" are shorter
    assert sheet.column_dimensions["B"].width == len("Roads in good repair and safe to use") + 2
    assert sheet.column_dimensions["C"].width == 60


def test_missing_values_are_empty_cells():
    sheet = table_of([Column("Name"), Column("Value", "number"), Column("Rating", "rating")], [["A", None, None]])

    assert sheet["B2"].value is None
    assert sheet["C2"].value is None


def test_booleans_written_as_yes_no():
    columns = [Column("Critical"), Column("Unlocked")]
    sheet = table_of(columns, [[True, False]])

    assert [sheet["A2"].value, sheet["B2"].value] == ["Yes", "No"]
    assert csv_rows(csv_response(columns, [[True, False]], "flags"))[1] == ["Yes", "No"]


def test_unknown_column_kind_is_refused():
    with pytest.raises(ValueError, match="Unknown column kind"):
        Column("Value", "percent")


# Numbers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "places", "value", "number_format"),
    [
        ("number", 0, 1234, "#,##0"),
        ("number", 1, Decimal("12.5"), "#,##0.0"),
        ("percentage", 1, Decimal("85.5"), '0.0"%"'),
        ("percentage", 0, Decimal("90"), '0"%"'),
        ("money", 2, Decimal("1234.56"), "£#,##0.00"),
        ("money", 0, Decimal("25000"), "£#,##0"),
        ("days", 1, Decimal("4.5"), '#,##0.0" days"'),
    ],
)
def test_number_formats_by_kind(kind, places, value, number_format):
    sheet = table_of([Column("Value", kind, places)], [[value]])

    cell = sheet["A2"]
    assert cell.data_type == "n"
    assert Decimal(str(cell.value)) == value
    assert cell.number_format == number_format


def test_percentage_is_the_number_shown_not_a_fraction():
    # A KPI stores 85.5 meaning 85.5%, so the cell contains 85.5 and the format adds the sign.
    sheet = table_of([Column("Value", "percentage", 1)], [[Decimal("85.5")]])

    assert sheet["A2"].value == 85.5


@pytest.mark.parametrize("value", [Decimal("-3.5"), -12, Decimal("-0.000001")])
def test_negative_numbers_stay_numbers(value):
    sheet = table_of([Column("Change", "number", 1)], [[value]])

    assert sheet["A2"].data_type == "n"
    assert sheet["A2"].value == pytest.approx(float(value))


def test_cell_overrides_column_format():
    sheet = table_of(
        [Column("Value", "number")],
        [[Cell(Decimal("85.5"), "percentage", 1)], [Cell(Decimal("1500"), "money", 2)], [7]],
    )

    assert [sheet[f"A{row}"].number_format for row in (2, 3, 4)] == ['0.0"%"', "£#,##0.00", "#,##0"]
    assert [sheet[f"A{row}"].value for row in (2, 3, 4)] == [85.5, 1500, 7]


# Ratings -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rating", "word", "fill"),
    [
        (Rating.GREEN, "Green", "00CCE2D8"),
        (Rating.AMBER, "Amber", "00FFF1C2"),
        (Rating.RED, "Red", "00F6D7D2"),
        (Rating.NO_DATA, "No data", "00E5E6E7"),
        (Rating.NOT_RATED, "Not rated", "00E5E6E7"),
    ],
)
def test_rating_is_its_word_on_the_portal_colour(rating, word, fill):
    sheet = table_of([Column("Rating", "rating")], [[rating], [rating.value], [rating.label]])

    for row in (2, 3, 4):
        cell = sheet[f"A{row}"]
        assert cell.value == word
        assert cell.fill.fgColor.rgb == fill


def test_unknown_rating_text_is_written_as_plain_text():
    sheet = table_of([Column("Rating", "rating")], [["Blue"]])

    assert sheet["A2"].value == "Blue"
    assert sheet["A2"].fill.fill_type is None


# Sheet names ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "used", "expected"),
    [
        ("Tier 1 KPIs", set(), "Tier 1 KPIs"),
        ("x" * 40, set(), "x" * 31),
        ("a/b:c", set(), "a-b-c"),
        ("[what?] *all* \\ of it", set(), "-what-- -all- - of it"),
        ("History", set(), "History (2)"),
        ("history", set(), "history (2)"),
        ("'quoted'", set(), "quoted"),
        ("''", set(), "Sheet"),
        ("", set(), "Sheet"),
        ("   ", set(), "Sheet"),
        ("KPIs", {"kpis"}, "KPIs (2)"),
        ("KPIs", {"KPIS", "kpis (2)"}, "KPIs (3)"),
        # Two long names that differ only after the 31st character, and by case.
        ("Performance indicators for Place directorate", {"PERFORMANCE INDICATORS FOR PLAC"},
         "Performance indicators for (2)"),
        # A cut that leaves an apostrophe at the end loses it.
        ("Directorate of Place and People's services", set(), "Directorate of Place and People"),
        ("Directorate of Place and Peopl's", set(), "Directorate of Place and Peopl"),
    ],
)
def test_valid_sheet_name(name, used, expected):
    result = valid_sheet_name(name, used)

    assert result == expected
    assert len(result) <= 31
    assert result in used


def test_sheet_names_never_clash_in_one_workbook():
    workbook = new_workbook("Test report", period_label="July 2025", scope="Everything", produced_at=PRODUCED_AT)
    for name in ["Values", "VALUES", "values", "about", "History"]:
        add_table(workbook, name, [Column("A")], [])

    names = read_back(workbook).sheetnames
    assert names == ["About", "Values", "VALUES (2)", "values (3)", "about (2)", "History (2)"]
    assert len({name.casefold() for name in names}) == len(names)


# Formula injection ------------------------------------------------------------


@pytest.mark.parametrize("prefix", DANGEROUS_PREFIXES)
def test_safe_text_quotes_text_that_would_run(prefix):
    assert safe_text(f"{prefix}SUM(A1:A2)") == f"'{prefix}SUM(A1:A2)"


@pytest.mark.parametrize("value", ["Roads", "", "5 - 3", Decimal("-5"), -5, None, date(2025, 4, 1)])
def test_safe_text_leaves_everything_else_alone(value):
    assert safe_text(value) == value


@pytest.mark.parametrize("prefix", DANGEROUS_PREFIXES)
def test_xlsx_text_never_becomes_a_formula(prefix):
    text = f"{prefix}HYPERLINK(\"http://example.invalid\",\"Click\")"
    workbook = workbook_with([Column(f"{prefix}Header"), Column("Commentary")], [["A1", text]])
    sheet = read_back(workbook).worksheets[1]

    for cell in (sheet["A1"], sheet["B2"]):
        assert cell.data_type == "s"
        assert cell.quotePrefix
    # The officer's words are kept, with line endings written as "\n" as Excel does.
    assert sheet["B2"].value == text.replace("\r", "\n")
    assert "<f>" not in sheet_xml(workbook)


def test_about_sheet_text_not_formula():
    workbook = new_workbook("=1+1", period_label="@SUM(1)", scope="-2+3", produced_at=PRODUCED_AT)
    about = read_back(workbook)["About"]

    assert [about[f"B{row}"].data_type for row in (1, 2, 3)] == ["s", "s", "s"]
    assert "<f>" not in sheet_xml(workbook, index=1)


@pytest.mark.parametrize("prefix", DANGEROUS_PREFIXES)
def test_csv_text_never_becomes_a_formula(prefix):
    columns = [Column(f"{prefix}Header"), Column("Commentary"), Column("Value", "number")]
    response = csv_response(columns, [["A1", f"{prefix}1+1", Decimal("-5")]], "test")

    header, row = csv_rows(response)
    assert header[0] == f"'{prefix}Header"
    assert row[1] == f"'{prefix}1+1"
    assert row[2] == "-5"  # a negative number is a number, not text to quote


def test_line_endings_are_written_as_newlines():
    sheet = table_of([Column("Commentary")], [["First line\r\nSecond\rThird"]])

    assert sheet["A2"].value == "First line\nSecond\nThird"
    assert sheet["A2"].alignment.wrap_text


def test_control_characters_excel_refuses_are_dropped():
    sheet = table_of([Column("Commentary")], [["Bell\x07 and\x00 null"]])

    assert sheet["A2"].value == "Bell and null"


# Dates and times ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("utc", "london"),
    [
        (datetime(2025, 7, 1, 12, 0, tzinfo=UTC), datetime(2025, 7, 1, 13, 0)),  # British Summer Time
        (datetime(2025, 1, 15, 12, 0, tzinfo=UTC), datetime(2025, 1, 15, 12, 0)),  # Greenwich Mean Time
        # The clocks go forward at 01:00 UTC on 30 March 2025.
        (datetime(2025, 3, 30, 0, 59, tzinfo=UTC), datetime(2025, 3, 30, 0, 59)),
        (datetime(2025, 3, 30, 1, 0, tzinfo=UTC), datetime(2025, 3, 30, 2, 0)),
    ],
)
def test_datetimes_are_written_as_london_time(utc, london):
    sheet = table_of([Column("Submitted at", "datetime")], [[utc]])

    assert sheet["A2"].value == london
    assert sheet["A2"].number_format == "dd/mm/yyyy hh:mm"
    response = csv_response([Column("Submitted at", "datetime")], [[utc]], "times")
    assert csv_rows(response)[1] == [london.strftime("%Y-%m-%d %H:%M")]


def test_dates_are_written_as_dates():
    sheet = table_of([Column("Ends", "date")], [[date(2025, 9, 30)]])

    assert sheet["A2"].value == datetime(2025, 9, 30)  # openpyxl reads every date cell as a datetime
    assert sheet["A2"].number_format == "dd/mm/yyyy"
    assert sheet["A2"].is_date


# The About sheet and the download ------------------------------------------------


def test_about_sheet_says_what_and_when():
    workbook = new_workbook(
        "Corporate dashboard",
        period_label="September 2014 (Q2 2014/15)",
        scope="Tier 1 KPIs",
        produced_at=PRODUCED_AT,
        details=[("Filter: Tier", "Plan KPI")],
    )
    about = read_back(workbook).worksheets[0]

    assert about.title == "About"
    lines = {row[0]: row[1] for row in about.iter_rows(values_only=True)}
    assert lines["Report"] == "Corporate dashboard"
    assert lines["Period"] == "September 2014 (Q2 2014/15)"
    assert lines["Scope"] == "Tier 1 KPIs"
    assert lines["Produced"] == datetime(2025, 7, 1, 9, 30)  # 08:30 UTC is 09:30 in London in July
    assert lines["Filter: Tier"] == "Plan KPI"
    assert "Green, Amber, Red, No data or Not rated" in lines["Ratings"]


def test_workbook_response_is_an_xlsx_attachment():
    response = workbook_response(workbook_with([Column("A")], [["x"]]), "corporate-dashboard-2014-09")

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="corporate-dashboard-2014-09.xlsx"'
    assert "no-store" in response["Cache-Control"]
    assert load_workbook(io.BytesIO(response.content)).sheetnames == ["About", "Data"]


def test_csv_response_has_utf8_bom():
    response = csv_response([Column("Spend", "money", 2), Column("Rating", "rating")],
                            [[Decimal("1234.50"), Rating.NO_DATA]], "spend")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="spend.csv"'
    assert response.content.startswith("\ufeff".encode())
    assert csv_rows(response) == [["Spend", "Rating"], ["1234.5", "No data"]]
