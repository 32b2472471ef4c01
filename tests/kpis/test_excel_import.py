"""Excel import of returns: reading messy real workbooks, checking every row, and the upload pages."""

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse
from openpyxl.styles import Font

import pmf.urls
from kpis import excel
from kpis.models import KpiValue
from kpis.returns_import import check_returns, commit_returns, split_message
from kpis.services import lock_period, save_return
from kpis.returns import parse_return, rating_for
from pmf.periods import Period
from tests.kpis import excel_files as files

SEPTEMBER = Period.parse("2014-09")
TODAY = date(2014, 10, 6)

urlpatterns = [*pmf.urls.urlpatterns]
if not any(getattr(pattern, "namespace", None) == "excel-returns" for pattern in urlpatterns):
    urlpatterns.append(path("returns/excel/", include("kpis.import_urls")))

pytestmark = pytest.mark.urls(__name__)


@pytest.fixture(autouse=True)
def upload_folder(settings, tmp_path):
    settings.PMF_IMPORT_DIR = tmp_path / "uploads"
    return settings.PMF_IMPORT_DIR


@pytest.fixture
def kpi(make_kpi, make_target, officer, highways):
    """CS01: a percentage, higher is better, one decimal place, target 85% (Amber from 80.75)."""
    kpi = make_kpi("CS01", owner=officer, service=highways, directorate=highways.directorate)
    make_target(kpi, "85", year=2014)
    return kpi


@pytest.fixture
def count_kpi(make_kpi, officer, highways):
    return make_kpi("CS02", owner=officer, service=highways, unit="number", decimal_places=0, polarity="monitor")


def row(reference="CS01", **cells):
    values = {"KPI reference": reference, "Period": "2014-09"}
    values.update({name.replace("_", " ").capitalize(): value for name, value in cells.items()})
    return values


def check(data, user, period=SEPTEMBER):
    return check_returns(data, user=user, period=period, today=TODAY)


def only_value(report):
    assert report.errors == [], [str(problem) for problem in report.errors]
    (checked,) = report.rows
    return checked.data.value


# Numbers -------------------------------------------------------------------


def test_numbers_typed_as_text(kpi, count_kpi, officer):
    data = files.returns_workbook([
        row("CS01", value=" 85.5 ", commentary="Text with spaces"),
        row("CS02", value="1,234", commentary="Text with a thousands separator"),
    ])
    report = check(data, officer)
    assert report.errors == []
    assert [checked.data.value for checked in report.rows] == [Decimal("85.5"), Decimal("1234")]


def test_decimal_comma_is_refused_never_read_as_thousands(kpi, officer):
    report = check(files.returns_workbook([row(value="80,75", commentary="Typed the European way")]), officer)
    (problem,) = report.errors
    assert problem.ref == "Returns!B2"
    assert "decimal comma" in problem.advice
    assert report.rows == []


@pytest.mark.parametrize("marker", ["N/A", "-", "#N/A", "n/a", "#DIV/0!"])
def test_missing_data_markers_read_as_missing_never_zero(kpi, officer, marker):
    report = check(files.returns_workbook([row(value=marker, commentary="The system was down")]), officer)
    assert only_value(report) is None


def test_error_cell_warns_and_reads_missing(kpi, officer):
    data = files.returns_workbook([row(value="#DIV/0!", commentary="No cases")])
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert '<c r="B2" t="e">' in sheet_xml  # a real error cell, not the text "#DIV/0!"

    report = check(data, officer)
    assert only_value(report) is None
    (warning,) = report.warnings
    assert warning.ref == "Returns!B2"
    assert "#DIV/0!" in warning.problem


def test_blank_value_with_commentary_is_saved_as_missing(kpi, officer):
    report = check(files.returns_workbook([row(commentary="Figures are late from the contractor")]), officer)
    commit_returns(report, user=officer)
    assert KpiValue.objects.get(kpi=kpi).value is None


@pytest.mark.parametrize(
    ("cell", "expected"),
    [((0.85, "0%"), Decimal("85")), ((0.855, "0.0%"), Decimal("85.5")), ((85.5, '0.0"%"'), Decimal("85.5"))],
)
def test_percentage_formatted_cells_read_as_the_percentage_shown(kpi, officer, cell, expected):
    report = check(files.returns_workbook([row(value=cell, commentary="From the dashboard")]), officer)
    assert only_value(report) == expected


def test_float_noise_reads_as_excel_shows_it(count_kpi, officer):
    report = check(files.returns_workbook([row("CS02", value=0.1 + 0.2 + 1233.7, commentary="Summed")]), officer)
    assert only_value(report) == Decimal("1234")


# Dates ---------------------------------------------------------------------


@pytest.mark.parametrize("epoch", [openpyxl.utils.datetime.WINDOWS_EPOCH, openpyxl.utils.datetime.CALENDAR_MAC_1904])
def test_period_date_read_in_either_date_system(kpi, officer, epoch):
    data = files.returns_workbook(
        [{"KPI reference": "CS01", "Value": "90", "Commentary": "Good", "Period": datetime(2014, 9, 30)}], epoch=epoch
    )
    serial = "40450" if epoch == openpyxl.utils.datetime.CALENDAR_MAC_1904 else "41912"
    assert f"<v>{serial}</v>" in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()

    report = check(data, officer)
    assert report.errors == []
    assert report.rows[0].period == SEPTEMBER


def test_bare_serial_uses_workbook_epoch(kpi, officer):
    headers = ["KPI reference", "Value", "Commentary", "As at"]
    # 40450 is 30 September 2014 counted from 1904, but 29 September 2010 counted from 1900.
    values = {"KPI reference": "CS01", "Value": "90", "Commentary": "Good", "As at": 40450}
    data = files.returns_workbook([values], headers=headers, epoch=openpyxl.utils.datetime.CALENDAR_MAC_1904)
    report = check(data, officer, period=None)
    assert report.rows[0].period == SEPTEMBER


def test_period_from_another_month_is_refused(kpi, officer):
    report = check(files.returns_workbook([{**row(value="90", commentary="Good"), "Period": "2014-08"}]), officer)
    (problem,) = report.errors
    assert problem.ref == "Returns!J2"
    assert "August 2014" in problem.problem


# Formulas, merged cells, stray formatting ----------------------------------


def test_uncached_formula_is_an_error(kpi, officer):
    report = check(files.returns_workbook([row(value="=85+1", commentary="Calculated")]), officer)
    (problem,) = report.errors
    assert problem.ref == "Returns!B2"
    assert problem.problem == "B2 is a formula with no saved result."
    assert problem.advice == "Open the file in Excel, save it, and upload again."
    assert report.rows == []


def test_formula_with_saved_result_reads_the_result(kpi, officer):
    data = files.returns_workbook([row(value="=85+1", commentary="Calculated")])
    data = files.patch_sheet(data, "<f>85+1</f><v /></c>", "<f>85+1</f><v>86</v></c>")
    assert only_value(check(data, officer)) == Decimal("86")


def test_merged_cell_repeats_on_covered_rows(kpi, count_kpi, officer):
    data = files.returns_workbook(
        [row("CS01", value="90", commentary="Both figures come from the new system"), row("CS02", value="12")],
        after=lambda sheet: sheet.merge_cells("E2:E3"),
    )
    report = check(data, officer)
    assert report.errors == []
    assert [checked.data.commentary for checked in report.rows] == ["Both figures come from the new system"] * 2


def test_merged_cell_alone_does_not_make_rows(kpi, officer):
    data = files.returns_workbook(
        [row(value="90", commentary="Note")], after=lambda sheet: sheet.merge_cells("E2:E40")
    )
    table = excel.read_table(data, excel.RETURN_COLUMNS, key_column="reference")
    assert [table_row.number for table_row in table.rows] == [2]


def test_stray_formatting_stops_the_walk(kpi, officer):
    def stray(sheet):
        sheet.cell(row=1_000_000, column=3).font = Font(bold=True)

    data = files.returns_workbook([row(value="90", commentary="Good")], after=stray)
    assert 'ref="A1:K1000000"' in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()

    table = excel.read_table(data, excel.RETURN_COLUMNS, key_column="reference")
    assert len(table.rows) == 1
    assert table.rows_visited <= 1 + excel.EMPTY_ROWS_TO_STOP


def test_dimension_that_understates_the_sheet_is_ignored(kpi, count_kpi, officer):
    data = files.returns_workbook([row("CS01", value="90", commentary="A"), row("CS02", value="7", commentary="B")])
    data = files.patch_sheet(data, '<dimension ref="A1:K3" />', '<dimension ref="A1" />')
    assert len(check(data, officer).rows) == 2


def test_header_found_below_a_title(kpi, officer):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Notes"
    workbook.active["A1"] = "Read me first"
    sheet = workbook.create_sheet("Highways returns")
    sheet.append(["Highways returns for September 2014"])
    sheet.append(["Ref", "Actual", "Comments", "As at"])
    sheet.append(["CS01", 90, "Good", datetime(2014, 9, 30)])
    report = check(files.workbook_bytes(workbook), officer)
    assert only_value(report) == Decimal("90")


# File kinds and limits -----------------------------------------------------


@pytest.mark.parametrize("data", [files.xls_bytes(), files.csv_bytes(), files.pdf_bytes(), files.docx_like_bytes(), b""])
def test_non_workbook_gets_plain_message(officer, data):
    report = check(data, officer)
    (problem,) = report.errors
    assert problem.problem == "This file is not an Excel workbook (.xlsx). Save it as .xlsx and upload again."


def test_macro_enabled_workbook_is_read_for_values_only(kpi, officer):
    data = files.xlsm_bytes([row(value="90", commentary="From the macro workbook")])
    assert "xl/vbaProject.bin" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert only_value(check(data, officer)) == Decimal("90")


def test_file_over_the_size_limit_is_refused(kpi, officer, settings):
    data = files.returns_workbook([row(value="90", commentary="Good")])
    settings.PMF_IMPORT_MAX_BYTES = len(data) - 1
    (problem,) = check(data, officer).errors
    assert "over the" in problem.problem
    assert "limit" in problem.problem


def test_zip_bomb_refused_by_compression_ratio_before_parsing():
    data = files.zip_bomb_bytes(50 * 1024 * 1024)
    assert len(data) < 200 * 1024
    with pytest.raises(excel.WorkbookError, match="unpacks to far more data"):
        excel.check_archive(data)


def test_workbook_over_the_unpacked_limit_is_refused(settings):
    settings.PMF_IMPORT_MAX_UNPACKED_BYTES = 20_000
    with pytest.raises(excel.WorkbookError, match="unpacks to far more data"):
        excel.check_archive(files.returns_workbook([{"KPI reference": f"K{n}", "Commentary": "x" * 50} for n in range(200)]))


def test_workbook_with_too_many_parts_is_refused():
    with pytest.raises(excel.WorkbookError, match="unpacks to far more data"):
        excel.check_archive(files.many_entries_bytes(excel.MAX_ENTRIES + 1))


def test_openpyxl_parses_with_defusedxml():
    assert openpyxl.DEFUSEDXML is True


# Checking rows -------------------------------------------------------------


def test_unknown_reference_is_an_error(kpi, officer):
    (problem,) = check(files.returns_workbook([row("XX99", value="90")]), officer).errors
    assert problem.ref == "Returns!A2"
    assert "XX99" in problem.problem


def test_uneditable_kpi_stops_the_file(kpi, make_kpi, officer, outsider):
    make_kpi("ASC1", owner=outsider)
    data = files.returns_workbook([row("CS01", value="90", commentary="Good"), row("ASC1", value="50", commentary="x")])
    report = check(data, officer)
    (problem,) = report.errors
    assert problem.ref == "Returns!A3"
    assert "may not enter returns for ASC1" in problem.problem
    assert KpiValue.objects.count() == 0


def test_locked_period_is_an_error(kpi, officer, spp):
    lock_period(period=SEPTEMBER, user=spp)
    (problem,) = check(files.returns_workbook([row(value="90", commentary="Good")]), officer).errors
    assert "locked" in problem.problem


def test_amber_without_narrative_names_each_missing_cell(kpi, officer):
    submitted = row(value="80.8", commentary="Slightly down")
    submitted["Submit? (Y/N)"] = "Y"
    report = check(files.returns_workbook([submitted]), officer)
    assert [problem.ref for problem in report.errors] == ["Returns!F2", "Returns!G2", "Returns!H2"]
    assert all("because the rating is Amber" in problem.problem for problem in report.errors)


def test_amber_draft_needs_no_narrative_yet(kpi, officer):
    report = check(files.returns_workbook([row(value="80.8", commentary="Slightly down")]), officer)
    assert report.errors == []


def test_messages_are_those_of_the_browser_form(kpi, officer):
    report = check(files.returns_workbook([row(value="101", commentary="Too high")]), officer)
    browser = parse_return(kpi, SEPTEMBER, {"value": "101"}, today=TODAY).errors["value"]
    (problem,) = report.errors
    assert f"{problem.problem} {problem.advice}" == f"CS01: {' '.join(split_message(browser))}"


def test_changed_since_download_conflicts(kpi, officer, spp):
    save_return(kpi=kpi, period=SEPTEMBER, user=spp, expected_version=0,
                data=parse_return(kpi, SEPTEMBER, {"value": "88"}, today=TODAY))
    data = files.returns_workbook([row(value="90", commentary="Mine", version=0)])
    (problem,) = check(data, officer).errors
    assert problem.ref == "Returns!A2"
    assert "changed by Spp" in problem.problem
    assert "row 2" in problem.advice


def test_same_kpi_twice_is_an_error(kpi, officer):
    data = files.returns_workbook([row(value="90", commentary="A"), row(value="91", commentary="B")])
    (problem,) = check(data, officer).errors
    assert problem.ref == "Returns!A3"
    assert "also on row 2" in problem.problem


def test_quarterly_kpi_not_due_in_august(make_kpi, officer):
    make_kpi("Q1", owner=officer, frequency="quarterly")
    data = files.returns_workbook([{**row("Q1", value="90", commentary="A"), "Period": "2014-08"}])
    (problem,) = check(data, officer, period=Period.parse("2014-08")).errors
    assert "quarterly" in problem.problem


def test_rate_kpi_value_comes_from_numerator_and_denominator(make_kpi, officer):
    make_kpi("R1", owner=officer, unit="rate", decimal_places=2, numerator_label="Complaints",
             denominator_label="Households", rate_multiplier=1000, polarity="monitor")
    report = check(files.returns_workbook([row("R1", numerator="5", denominator="2,000", commentary="A")]), officer)
    assert only_value(report) == Decimal("2.5")


def test_submit_column(kpi, count_kpi, officer):
    data = files.returns_workbook([
        {**row("CS01", value="90", commentary="A"), "Submit? (Y/N)": "Y"},
        {**row("CS02", value="3", commentary="B"), "Submit? (Y/N)": "maybe"},
    ])
    report = check(data, officer)
    (problem,) = report.errors
    assert problem.ref == "Returns!I3"


def test_any_error_means_nothing_is_written(kpi, count_kpi, officer):
    data = files.returns_workbook([row("CS01", value="90", commentary="A"), row("CS02", value="1,2")])
    report = check(data, officer)
    assert len(report.errors) == 1
    with pytest.raises(ValueError):
        commit_returns(report, user=officer)
    assert KpiValue.objects.count() == 0


def test_commit_saves_drafts_and_submissions_with_history(kpi, count_kpi, officer):
    data = files.returns_workbook([
        {**row("CS01", value="90", commentary="Above target"), "Submit? (Y/N)": "y"},
        row("CS02", value="12", commentary="Counted"),
    ])
    assert commit_returns(check(data, officer), user=officer) == 2
    saved = {record.kpi.reference: record for record in KpiValue.objects.select_related("kpi")}
    assert saved["CS01"].status == KpiValue.Status.SUBMITTED
    assert saved["CS01"].value == Decimal("90")
    assert saved["CS02"].status == KpiValue.Status.DRAFT
    assert saved["CS01"].history.get().history_user == officer


# Pages ---------------------------------------------------------------------


def upload(client, data, *, name="returns.xlsx", period="2014-09"):
    return client.post(
        reverse("excel-returns:upload"), {"period": period, "file": io_file(data, name)}
    )


def io_file(data, name):
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def test_upload_page_needs_sign_in(anonymous):
    response = anonymous.get(reverse("excel-returns:upload"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_upload_page_offers_the_form_and_templates(client_for, officer):
    response = client_for(officer).get(reverse("excel-returns:upload") + "?period=2014-09")
    assert response.status_code == 200
    assert b'type="file"' in response.content
    assert reverse("excel-returns:template").encode() in response.content


def test_upload_with_errors_lists_them_and_saves_nothing(client_for, kpi, officer):
    data = files.returns_workbook([row(value="80,75", commentary="A"), row("XX9", value="1")])
    response = upload(client_for(officer), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'role="alert"' in page
    assert "Returns!B2" in page
    assert "Returns!A3" in page
    assert "2 rows, 2 errors, 0 warnings" in page
    assert KpiValue.objects.count() == 0


def test_upload_previews_then_confirm_saves_all_rows(client_for, kpi, count_kpi, officer, upload_folder):
    client = client_for(officer)
    data = files.returns_workbook([row("CS01", value="80.7", commentary="Down", cause="Staff", recovery="Hiring",
                                       support_needed="None"), row("CS02", value="5", commentary="Counted")])
    preview = upload(client, data)
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "Confirm and save" in page
    assert "rating--red" in page
    assert "Red" in page
    assert KpiValue.objects.count() == 0
    assert len(list(upload_folder.iterdir())) == 1

    token = client.session["excel_returns_upload"]["token"]
    response = client.post(reverse("excel-returns:confirm"), {"token": token, "action": "confirm"})
    assert response.status_code == 302
    assert KpiValue.objects.count() == 2
    assert list(upload_folder.iterdir()) == []


def test_confirm_checks_again_and_saves_nothing_when_the_period_was_locked_meanwhile(client_for, kpi, count_kpi, officer, spp):
    client = client_for(officer)
    upload(client, files.returns_workbook([row("CS01", value="90", commentary="A"), row("CS02", value="4", commentary="B")]))
    lock_period(period=SEPTEMBER, user=spp)
    response = client.post(reverse("excel-returns:confirm"),
                           {"token": client.session["excel_returns_upload"]["token"], "action": "confirm"})
    assert response.status_code == 200
    assert "locked" in response.content.decode()
    assert KpiValue.objects.count() == 0


def test_confirm_with_a_stale_token_saves_nothing(client_for, kpi, officer):
    client = client_for(officer)
    upload(client, files.returns_workbook([row(value="90", commentary="A")]))
    response = client.post(reverse("excel-returns:confirm"), {"token": "other", "action": "confirm"})
    assert response.status_code == 302
    assert KpiValue.objects.count() == 0


def test_cancel_discards_the_upload(client_for, kpi, officer, upload_folder):
    client = client_for(officer)
    upload(client, files.returns_workbook([row(value="90", commentary="A")]))
    token = client.session["excel_returns_upload"]["token"]
    response = client.post(reverse("excel-returns:confirm"), {"token": token, "action": "cancel"})
    assert response.status_code == 302
    assert KpiValue.objects.count() == 0
    assert list(upload_folder.iterdir()) == []


def test_not_a_workbook_upload_gets_the_plain_message(client_for, officer):
    response = upload(client_for(officer), files.csv_bytes())
    assert "This file is not an Excel workbook (.xlsx)." in response.content.decode()


def test_wrong_methods(client_for, officer):
    client = client_for(officer)
    assert client.put(reverse("excel-returns:upload")).status_code == 405
    assert client.get(reverse("excel-returns:confirm")).status_code == 405
    assert client.post(reverse("excel-returns:template")).status_code == 405


def test_uploading_for_another_officers_kpi_is_refused(client_for, kpi, outsider):
    response = upload(client_for(outsider), files.returns_workbook([row(value="90", commentary="A")]))
    assert "may not enter returns for CS01" in response.content.decode()
    assert KpiValue.objects.count() == 0


@pytest.mark.parametrize("value", ["86", "85", "80.8", "80.7", "40"])
def test_preview_rating_is_the_rating_the_service_uses(kpi, make_kpi, make_target, officer, value):
    ranged = make_kpi("CS05", owner=officer, polarity="range")
    make_target(ranged, None, year=2014, lower=Decimal("80"), upper=Decimal("85"))
    rebased = make_kpi("CS06", owner=officer, polarity="lower")
    make_target(rebased, "90", year=2014)
    make_target(rebased, "82", year=2014, effective_from=6)
    narrative = {"cause": "a", "recovery": "b", "support_needed": "c"}
    data = files.returns_workbook([row(reference, value=value, **narrative) for reference in ("CS01", "CS05", "CS06")])

    report = check(data, officer)
    assert report.errors == []
    for checked in report.rows:
        assert checked.rating == rating_for(checked.kpi, SEPTEMBER, Decimal(value)), checked.kpi.reference


def test_checking_runs_the_same_queries_for_more_rows(make_kpi, make_target, officer):
    for number in range(6):
        make_target(make_kpi(f"N{number}", owner=officer), "85", year=2014)
    narrative = {"commentary": "c", "cause": "a", "recovery": "b", "support_needed": "d"}

    def queries_for(count):
        data = files.returns_workbook([row(f"N{number}", value="80", **narrative) for number in range(count)])
        with CaptureQueriesContext(connection) as captured:
            report = check(data, officer)
        assert len(report.rows) == count
        return len(captured)

    assert queries_for(2) == queries_for(6)


def test_upload_field_error_is_described(client, officer):
    client.force_login(officer)
    html = client.post(reverse("excel-returns:upload"), {"period": "not a month"}).content.decode()
    assert 'aria-describedby="id_period_error id_period_helptext"' in html
    assert 'id="id_period_error"' in html
    assert 'aria-describedby="id_file_error"' in html
