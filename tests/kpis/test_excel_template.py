"""The returns template: what it lists, who may download which scope, its protection, and re-importing it."""

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse

import pmf.urls
from kpis.models import KpiValue
from kpis.returns import parse_return
from kpis.returns_import import check_returns, commit_returns
from kpis.services import save_return
from pmf.periods import Period

SEPTEMBER = Period.parse("2014-09")
TODAY = date(2014, 10, 6)

urlpatterns = [*pmf.urls.urlpatterns]
if not any(getattr(pattern, "namespace", None) == "excel-returns" for pattern in urlpatterns):
    urlpatterns.append(path("returns/excel/", include("kpis.import_urls")))

pytestmark = pytest.mark.urls(__name__)


@pytest.fixture
def kpis(make_kpi, make_target, make_value, officer, outsider, highways, adult_social_care):
    """The officer's monthly CS01 (target 85%, 82% in August) and quarterly CS02, and someone else's ASC1."""
    cs01 = make_kpi("CS01", name="Calls answered", owner=officer, service=highways, directorate=highways.directorate)
    make_target(cs01, "85", year=2014)
    make_value(cs01, "2014-08", "82")
    cs02 = make_kpi("CS02", owner=officer, service=highways, directorate=highways.directorate, frequency="quarterly")
    asc1 = make_kpi("ASC1", owner=outsider, service=adult_social_care, directorate=adult_social_care.directorate)
    return cs01, cs02, asc1


def download(client, period="2014-09", **params):
    response = client.get(reverse("excel-returns:template"), {"period": period, **params})
    assert response.status_code == 200, response.status_code
    return response


def returns_sheet(response):
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    return workbook["Returns"]


def table(sheet):
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], values)) for values in rows[1:]]


def test_template_lists_the_users_due_kpis_with_target_and_last_value(client_for, kpis, officer):
    response = download(client_for(officer), period="2014-08")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "returns-2014-08-mine.xlsx" in response["Content-Disposition"]
    (only,) = table(returns_sheet(response))
    assert only["KPI reference"] == "CS01"
    assert only["Target"] == 85
    assert only["Value"] is None
    assert only["Commentary"] is None
    assert only["Period"] == "2014-08"
    assert only["Version"] == 1  # August's value is already stored, at version 1
    assert only["Last value"] is None


def test_template_for_september_shows_augusts_value_and_the_quarterly_kpi(client_for, kpis, officer):
    rows = table(returns_sheet(download(client_for(officer))))
    assert [row["KPI reference"] for row in rows] == ["CS01", "CS02"]
    assert rows[0]["Last value"] == 82
    assert rows[0]["Last value period"] == "Aug 2014"


def test_template_carries_the_current_version(client_for, kpis, officer):
    cs01 = kpis[0]
    save_return(kpi=cs01, period=SEPTEMBER, user=officer, expected_version=0,
                data=parse_return(cs01, SEPTEMBER, {"value": "90"}, today=TODAY))
    rows = table(returns_sheet(download(client_for(officer))))
    assert rows[0]["Version"] == 1


def test_template_is_protected_except_the_input_cells(client_for, kpis, officer):
    sheet = returns_sheet(download(client_for(officer)))
    headers = [cell.value for cell in sheet[1]]
    column = {header: openpyxl.utils.get_column_letter(index) for index, header in enumerate(headers, start=1)}
    assert sheet.protection.sheet is True
    assert sheet[f"{column['Value']}2"].protection.locked is False
    assert sheet[f"{column['Support needed']}2"].protection.locked is False
    assert sheet[f"{column['Target']}2"].protection.locked is True
    assert sheet["A1"].protection.locked is True
    assert sheet.column_dimensions[column["Period"]].hidden
    assert sheet.column_dimensions[column["Version"]].hidden


def test_percentage_value_cells_only_take_0_to_100(client_for, kpis, officer):
    sheet = returns_sheet(download(client_for(officer)))
    percentage = [dv for dv in sheet.data_validations.dataValidation if dv.formula2 == "100"]
    assert len(percentage) == 1
    assert "H2" in str(percentage[0].sqref)
    assert percentage[0].type == "decimal"


def test_names_that_look_like_formulas_stay_text(client_for, make_kpi, officer):
    make_kpi("CS09", name="=HYPERLINK(\"http://example.invalid\")", owner=officer)
    sheet = returns_sheet(download(client_for(officer)))
    cell = sheet["B2"]
    assert cell.data_type == "s"
    assert cell.quotePrefix


@pytest.mark.parametrize(
    ("persona", "scope", "status"),
    [
        ("officer", "service", 403),
        ("manager", "service", 200),
        ("director", "service", 200),
        ("spp", "service", 200),
        ("outsider", "service", 403),
        ("manager", "directorate", 403),
        ("director", "directorate", 200),
        ("spp", "directorate", 200),
    ],
)
def test_scope_needs_the_role(request, client_for, kpis, highways, persona, scope, status):
    user = request.getfixturevalue(persona)
    scope_id = highways.pk if scope == "service" else highways.directorate_id
    response = client_for(user).get(reverse("excel-returns:template"), {"period": "2014-09", "scope": scope, "id": scope_id})
    assert response.status_code == status


def test_spp_service_template_lists_every_due_kpi_of_the_service(client_for, kpis, spp, highways):
    response = download(client_for(spp), scope="service", id=highways.pk)
    assert [row["KPI reference"] for row in table(returns_sheet(response))] == ["CS01", "CS02"]


def test_unknown_scope_is_not_found(client_for, officer):
    response = client_for(officer).get(reverse("excel-returns:template"), {"scope": "council"})
    assert response.status_code == 404


# Re-importing ----------------------------------------------------------------


def fill(response, **by_reference):
    """Fill the downloaded template's input cells, as someone would in Excel, and return its bytes."""
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook["Returns"]
    headers = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        for header, value in by_reference.get(row[0].value, {}).items():
            row[headers.index(header)].value = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def history_count():
    return KpiValue.history.count()


def test_template_filled_in_imports_with_the_ratings(client_for, kpis, officer):
    data = fill(download(client_for(officer)), CS01={"Value": 86, "Commentary": "Above target", "Submit? (Y/N)": "Y"},
                CS02={"Value": 12, "Commentary": "Counted"})
    report = check_returns(data, user=officer, period=SEPTEMBER, today=TODAY)
    assert report.errors == []
    assert report.warnings == []
    assert [(row.kpi.reference, row.rating.label, row.outcome) for row in report.rows] == [
        ("CS01", "Green", "Submit for sign-off"), ("CS02", "Not rated", "Save as draft"),
    ]
    assert commit_returns(report, user=officer) == 2
    assert KpiValue.objects.get(kpi=kpis[0], period=6).value == Decimal("86")


def test_template_downloaded_after_saving_reimports_with_no_changes(client_for, kpis, officer):
    client = client_for(officer)
    first = fill(download(client), CS01={"Value": 86, "Commentary": "Above target"},
                 CS02={"Value": 12, "Commentary": "Counted"})
    commit_returns(check_returns(first, user=officer, period=SEPTEMBER, today=TODAY), user=officer)
    before = history_count()

    untouched = download(client).content
    report = check_returns(untouched, user=officer, period=SEPTEMBER, today=TODAY)
    assert report.errors == []
    assert report.changes == []
    assert commit_returns(report, user=officer) == 0

    same_again = fill(download(client), CS01={"Value": 86, "Commentary": "Above target"},
                      CS02={"Value": 12, "Commentary": "Counted"})
    report = check_returns(same_again, user=officer, period=SEPTEMBER, today=TODAY)
    assert report.errors == []
    assert [row.outcome for row in report.rows] == ["No change", "No change"]
    commit_returns(report, user=officer)
    assert history_count() == before
    assert set(KpiValue.objects.values_list("version", flat=True)) == {1}


def test_template_refuses_a_row_changed_after_download(client_for, kpis, officer, spp):
    template = download(client_for(officer))
    cs01 = kpis[0]
    save_return(kpi=cs01, period=SEPTEMBER, user=spp, expected_version=0,
                data=parse_return(cs01, SEPTEMBER, {"value": "70", "cause": "a", "recovery": "b",
                                                      "support_needed": "c"}, today=TODAY))
    data = fill(template, CS01={"Value": 86, "Commentary": "Above target"})
    report = check_returns(data, user=officer, period=SEPTEMBER, today=TODAY)
    (problem,) = report.errors
    assert "CS01 was changed by Spp" in problem.problem
    assert KpiValue.objects.get(kpi=cs01, period=6).value == Decimal("70")


def test_template_runs_the_same_queries_for_more_kpis(client_for, make_kpi, make_target, officer):
    client = client_for(officer)
    make_target(make_kpi("T0", owner=officer), "85", year=2014)
    download(client)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as one:
        download(client)
    for number in range(1, 5):
        make_target(make_kpi(f"T{number}", owner=officer), "85", year=2014)
    with CaptureQueriesContext(connection) as five:
        download(client)
    assert len(one) == len(five)
