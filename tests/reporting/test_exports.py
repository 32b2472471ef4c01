"""Downloads of the dashboard, KPI list, KPI values, returns pages and golden thread.

Every test downloads a real file through the URL and reads it back with
openpyxl (or the csv module), as a user's spreadsheet would.
"""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse
from openpyxl import load_workbook

import pmf.urls
from golden_thread.models import ItemKind
from kpis.models import Kpi, KpiValue, PeriodLock
from pmf.periods import LONDON, Period


def with_exports(patterns):
    """The project's URLs with the downloads served at /exports/ if the project does not include them."""
    namespaces = {getattr(pattern, "namespace", None) for pattern in patterns}
    if "exports" in namespaces:
        return list(patterns)
    return [*patterns, path("exports/", include("reporting.export_urls"))]


urlpatterns = with_exports(pmf.urls.urlpatterns)
pytestmark = pytest.mark.urls(__name__)

SEPTEMBER = Period.parse("2014-09")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
INJECTION = '=HYPERLINK("http://example.invalid","Click")'


@pytest.fixture(autouse=True)
def after_the_deadline(time_machine):
    """20 October 2014: September's returns were due by 14 October."""
    time_machine.move_to(datetime(2014, 10, 20, 9, 0, tzinfo=LONDON), tick=False)


def url(name, *args, **params):
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse(f"exports:{name}", args=args) + (f"?{query}" if query else "")


def workbook_from(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith("attachment; filename=")
    return load_workbook(io.BytesIO(response.content))


def records(sheet) -> list[dict]:
    """The sheet's rows as dicts of header to cell."""
    rows = list(sheet.iter_rows())
    headers = [cell.value for cell in rows[0]]
    return [dict(zip(headers, row, strict=True)) for row in rows[1:]]


def values(sheet) -> list[dict]:
    return [{header: cell.value for header, cell in row.items()} for row in records(sheet)]


def about(workbook) -> dict:
    return {label: value for label, value in workbook["About"].iter_rows(values_only=True)}


def csv_records(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


# The corporate dashboard ------------------------------------------------------


@pytest.fixture
def scorecard(make_thread, make_kpi, make_target, make_value):
    """Tier 1 KPIs for September 2014, each with a known rating.

    CS01 (beneath the commitment): target 85, 80.75 is Amber; 78 in August
    and 82 a year earlier, so improving on the month and worse than last year.
    CS02 (on the commitment): 90 against 85 is Green.
    CS03 (not in the thread): a target but no value is No data.
    CS04 is tier 2, so the dashboard leaves it out.
    """
    thread = make_thread()
    amber = make_kpi("CS01", name="Roads in good repair", thread_item=thread.key_action)
    green = make_kpi("CS02", name="Streetlights working", thread_item=thread.commitment)
    no_data = make_kpi("CS03", name="Potholes fixed in time")
    tier_2 = make_kpi("CS04", name="Gully cleaning", tier=Kpi.Tier.PRIORITY, thread_item=thread.commitment)
    for kpi in (amber, green, no_data, tier_2):
        make_target(kpi, "85", year=2014)
        make_target(kpi, "85", year=2013)
    make_value(amber, "2013-09", "82")
    make_value(amber, "2014-08", "78")
    make_value(amber, "2014-09", "80.75", commentary=INJECTION)
    make_value(green, "2014-09", "90", commentary="Strong month.\nAll lights fixed.")
    make_value(tier_2, "2014-09", "10")
    return thread


def test_dashboard_export_rates_like_the_page(client_for, officer, scorecard):
    workbook = workbook_from(client_for(officer).get(url("dashboard", period="2014-09")))

    assert workbook.sheetnames == ["About", "Tier 1 KPIs", "Ratings by commitment"]
    rows = {row["Reference"].value: row for row in records(workbook["Tier 1 KPIs"])}
    assert sorted(rows) == ["CS01", "CS02", "CS03"]

    amber = rows["CS01"]
    assert amber["Commitment"].value == "Unlocking prosperity for all"
    assert amber["As at"].value == "Sep 2014"
    assert amber["Value"].value == 80.75
    assert amber["Value"].number_format == '0.0"%"'
    assert amber["Target"].value == 85
    assert amber["Target"].data_type == "n"
    assert amber["Rating"].value == "Amber"
    assert amber["Rating"].fill.fgColor.rgb == "00FFF1C2"
    assert amber["Since the previous period"].value == "Improving"
    assert amber["Since the same period last year"].value == "Worsening"

    assert rows["CS02"]["Rating"].value == "Green"
    assert rows["CS02"]["Commentary"].value == "Strong month.\nAll lights fixed."
    assert rows["CS03"]["Commitment"].value == "Not linked to a commitment"
    assert rows["CS03"]["Rating"].value == "No data"
    assert rows["CS03"]["Value"].value is None


def test_dashboard_export_commentary_is_never_a_formula(client_for, officer, scorecard):
    workbook = workbook_from(client_for(officer).get(url("dashboard", period="2014-09")))

    commentary = {row["Reference"].value: row["Commentary"] for row in records(workbook["Tier 1 KPIs"])}["CS01"]
    assert commentary.data_type == "s"
    assert commentary.value == INJECTION
    assert commentary.quotePrefix


def test_dashboard_export_counts_ratings_by_commitment(client_for, officer, scorecard):
    workbook = workbook_from(client_for(officer).get(url("dashboard", period="2014-09")))

    counts = {row["Commitment"]: row for row in values(workbook["Ratings by commitment"])}
    assert counts["Unlocking prosperity for all"] == {
        "Commitment": "Unlocking prosperity for all",
        "Green": 1, "Amber": 1, "Red": 0, "No data": 0, "Not rated": 0, "Total": 2,
    }
    assert counts["Not linked to a commitment"]["No data"] == 1


def test_dashboard_export_about_sheet_names_the_period(client_for, officer, scorecard):
    workbook = workbook_from(client_for(officer).get(url("dashboard", period="2014-09")))

    lines = about(workbook)
    assert lines["Report"] == "Corporate dashboard"
    assert lines["Period"] == "September 2014 (Q2 2014/15)"
    assert lines["Produced"] == datetime(2014, 10, 20, 9, 0)


def test_dashboard_export_filename_names_the_period(client_for, officer, scorecard):
    response = client_for(officer).get(url("dashboard", period="2014-09"))

    assert response["Content-Disposition"] == 'attachment; filename="corporate-dashboard-2014-09.xlsx"'


def test_dashboard_export_refuses_an_unknown_period(client_for, officer, scorecard):
    assert client_for(officer).get(url("dashboard", period="2014-13")).status_code == 404


def test_dashboard_export_needs_login(anonymous, scorecard):
    response = anonymous.get(url("dashboard", period="2014-09"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_dashboard_export_refuses_post(client_for, officer, scorecard):
    assert client_for(officer).post(url("dashboard", period="2014-09")).status_code == 405


def test_dashboard_export_query_count_does_not_grow(client_for, officer, make_thread, make_kpi, make_target,
                                                    make_value):
    thread = make_thread()

    def add_kpis(count):
        for _ in range(count):
            kpi = make_kpi(thread_item=thread.key_action)
            make_target(kpi, "85", year=2014)
            make_value(kpi, SEPTEMBER, "90", commentary="Fine")

    client = client_for(officer)
    add_kpis(2)
    with CaptureQueriesContext(connection) as few:
        workbook_from(client.get(url("dashboard", period="2014-09")))
    add_kpis(20)
    with CaptureQueriesContext(connection) as many:
        workbook = workbook_from(client.get(url("dashboard", period="2014-09")))

    assert len(many) == len(few)
    assert len(values(workbook["Tier 1 KPIs"])) == 22


# The KPI list ---------------------------------------------------------------------


@pytest.fixture
def kpi_list(make_kpi, highways, officer):
    make_kpi("HW01", name="Roads repaired", service=highways, directorate=highways.directorate, owner=officer)
    make_kpi("HW02", name=INJECTION, service=highways, directorate=highways.directorate, unit=Kpi.Unit.MONEY)
    make_kpi("OP01", name="Gullies cleaned", tier=Kpi.Tier.OPERATIONAL)
    make_kpi("OLD1", name="Retired measure", is_active=False)


def test_kpi_list_export_applies_the_page_filters(client_for, officer, kpi_list, highways):
    workbook = workbook_from(client_for(officer).get(url("kpi-list", tier=1, service=highways.pk)))

    rows = values(workbook["KPIs"])
    assert [row["Reference"] for row in rows] == ["HW01", "HW02"]
    assert rows[0] == {
        "Reference": "HW01", "Name": "Roads repaired", "Tier": "Tier 1: Plan KPI", "Directorate": "Place",
        "Service": "Highways", "Unit": "Percentage", "Polarity": "Higher is better", "Frequency": "Monthly",
        "Owner": "Officer",
    }
    lines = about(workbook)
    assert lines["Filter: Tier"] == "Tier 1: Plan KPI"
    assert lines["Filter: Service"] == "Highways"


def test_kpi_list_export_keeps_the_page_sort_order(client_for, officer, kpi_list):
    workbook = workbook_from(client_for(officer).get(url("kpi-list", sort="-reference")))

    assert [row["Reference"] for row in values(workbook["KPIs"])] == ["OP01", "HW02", "HW01"]


def test_kpi_list_export_is_not_paged(client_for, officer, make_kpi):
    for _ in range(60):
        make_kpi()
    make_kpi(is_active=False)

    workbook = workbook_from(client_for(officer).get(url("kpi-list")))

    assert len(values(workbook["KPIs"])) == 60
    assert about(workbook)["Filters"] == "None"


def test_kpi_list_export_query_count_does_not_grow(client_for, officer, make_kpi, highways):
    client = client_for(officer)
    for _ in range(2):
        make_kpi(service=highways, directorate=highways.directorate, owner=officer)
    with CaptureQueriesContext(connection) as few:
        workbook_from(client.get(url("kpi-list")))
    for _ in range(20):
        make_kpi(service=highways, directorate=highways.directorate, owner=officer)
    with CaptureQueriesContext(connection) as many:
        workbook_from(client.get(url("kpi-list")))

    assert len(many) == len(few)


def test_kpi_list_csv_quotes_formulas(client_for, officer, kpi_list):
    response = client_for(officer).get(url("kpi-list-csv", tier=1))

    assert response["Content-Disposition"] == 'attachment; filename="kpis.csv"'
    rows = csv_records(response)
    assert [row["Reference"] for row in rows] == ["HW01", "HW02"]
    assert rows[1]["Name"] == "'" + INJECTION
    assert rows[1]["Unit"] == "£"


def test_kpi_list_xlsx_name_is_never_a_formula(client_for, officer, kpi_list):
    workbook = workbook_from(client_for(officer).get(url("kpi-list", tier=1)))

    name = {row["Reference"].value: row["Name"] for row in records(workbook["KPIs"])}["HW02"]
    assert name.data_type == "s"
    assert name.value == INJECTION


# One KPI's values ----------------------------------------------------------------


@pytest.fixture
def valued_kpi(make_kpi, make_target, make_value):
    """A monthly KPI with targets of 85 for 2014/15, values for July to September, August missing."""
    kpi = make_kpi("VA01", name="Bins collected", decimal_places=2)
    make_target(kpi, "85", year=2014)
    make_value(kpi, "2014-07", "86.125", commentary="Good", published_rating="G")
    make_value(kpi, "2014-08", None)
    make_value(kpi, "2014-09", "70", commentary="Strike", cause="Industrial action",
               recovery="Agency crews", support_needed="-None")
    return kpi


def test_kpi_values_export_lists_every_due_period(client_for, officer, valued_kpi):
    workbook = workbook_from(client_for(officer).get(url("kpi-values", "VA01")))

    rows = records(workbook["VA01 values"])
    assert [row["Period"].value for row in rows] == ["Jul 2014", "Aug 2014", "Sep 2014"]
    july, august, september = rows
    assert july["Value"].value == 86.125
    assert july["Value"].number_format == '0.00"%"'
    assert july["Target"].value == 85
    assert july["Rating"].value == "Green"
    assert july["Published rating"].value == "G"
    assert july["Commentary"].value == "Good"
    assert august["Value"].value is None
    assert august["Rating"].value == "No data"
    assert september["Rating"].value == "Red"  # 70 is below 85 × 0.95 = 80.75
    assert [september[name].value for name in ("Cause", "Recovery")] == ["Industrial action", "Agency crews"]
    assert september["Support needed"].value == "-None"
    assert september["Support needed"].quotePrefix
    assert about(workbook)["Period"] == "Jul 2014 to Sep 2014"


def test_kpi_values_csv(client_for, officer, valued_kpi):
    rows = csv_records(client_for(officer).get(url("kpi-values-csv", "VA01")))

    assert [(row["Period"], row["Value"], row["Rating"]) for row in rows] == [
        ("Jul 2014", "86.125", "Green"), ("Aug 2014", "", "No data"), ("Sep 2014", "70", "Red"),
    ]
    assert rows[2]["Support needed"] == "'-None"


def test_kpi_values_export_unknown_kpi(client_for, officer, valued_kpi):
    assert client_for(officer).get(url("kpi-values", "NOPE")).status_code == 404


# Monthly returns ----------------------------------------------------------------------


@pytest.fixture
def returns(make_kpi, make_target, make_value, make_item, officer, outsider, highways, adult_social_care):
    """September 2014 returns in two services, and an action the officer leads that is past its end."""
    def kpi(reference, service, owner, **fields):
        made = make_kpi(reference, service=service, directorate=service.directorate, owner=owner, **fields)
        make_target(made, "85", year=2014)
        return made

    make_value(kpi("HW1", highways, officer, name="Roads repaired"), SEPTEMBER, "90",
               status=KpiValue.Status.SUBMITTED, commentary="On track", updated_by=officer)
    kpi("HW2", highways, officer, name="Gullies cleared")
    make_value(kpi("AS1", adult_social_care, outsider, name="Care reviews"), SEPTEMBER, "50",
               status=KpiValue.Status.SUBMITTED, updated_by=outsider)
    make_item(ItemKind.KEY_ACTION, "Resurface the high street", reference="KA9", lead_officer=officer,
              start_on=date(2014, 4, 1), end_on=date(2014, 9, 30), delivery_status="in_progress",
              commentary="+ two weeks late")


def test_my_returns_export_lists_the_users_own_returns(client_for, officer, returns):
    workbook = workbook_from(client_for(officer).get(url("my-returns", period="2014-09")))

    kpis = {row["Reference"]: row for row in values(workbook["KPI returns"])}
    assert sorted(kpis) == ["HW1", "HW2"]
    assert kpis["HW2"]["Status"] == "Not started"
    assert kpis["HW2"]["Overdue"] == "Yes"
    assert kpis["HW1"]["Status"] == "Submitted"
    assert kpis["HW1"]["Overdue"] == "No"
    assert kpis["HW1"]["Value"] == 90
    assert kpis["HW1"]["Rating"] == "Green"
    assert kpis["HW1"]["Target"] == "85.0%"

    action = values(workbook["Actions"])[0]
    assert action["Reference"] == "KA9"
    assert action["Ends"] == datetime(2014, 9, 30)
    assert action["Rating"] == "Red"  # past its end date and not delivered
    assert action["Commentary"] == "+ two weeks late"
    assert about(workbook)["Deadline"] == datetime(2014, 10, 14)


def test_my_returns_export_never_shows_another_officers_returns(client_for, outsider, returns):
    workbook = workbook_from(client_for(outsider).get(url("my-returns", period="2014-09")))

    assert [row["Reference"] for row in values(workbook["KPI returns"])] == ["AS1"]
    assert values(workbook["Actions"]) == []


def test_my_returns_export_refuses_an_unknown_period(client_for, officer, returns):
    assert client_for(officer).get(url("my-returns", period="September")).status_code == 404


def test_sign_off_export_lists_the_managers_service(client_for, manager, returns):
    KpiValue.objects.filter(kpi__reference="HW1").update(updated_at=datetime(2014, 10, 3, 15, 45, tzinfo=UTC))

    workbook = workbook_from(client_for(manager).get(url("sign-off", period="2014-09")))

    rows = records(workbook["Waiting for sign-off"])
    assert [row["Reference"].value for row in rows] == ["HW1"]
    assert rows[0]["Submitted by"].value == "Officer"
    assert rows[0]["Submitted at"].value == datetime(2014, 10, 3, 16, 45)  # British Summer Time
    assert about(workbook)["Scope"] == "Submitted returns in Highways"


def test_sign_off_export_gives_spp_every_service(client_for, spp, returns):
    workbook = workbook_from(client_for(spp).get(url("sign-off", period="2014-09")))

    assert [row["Reference"] for row in values(workbook["Waiting for sign-off"])] == ["AS1", "HW1"]


@pytest.mark.parametrize("persona", ["officer", "outsider", "director", "board_member"])
def test_sign_off_export_refuses_other_roles(client_for, persona, request, returns):
    user = request.getfixturevalue(persona)

    assert client_for(user).get(url("sign-off", period="2014-09")).status_code == 403


def test_completeness_export_counts_returns_by_service(client_for, spp, returns):
    PeriodLock.objects.create(financial_year=2014, period=6)

    workbook = workbook_from(client_for(spp).get(url("completeness", period="2014-09")))

    by_service = {row["Service"]: row for row in values(workbook["By service"])}
    assert by_service["Highways"]["Not started"] == 1
    assert by_service["Highways"]["Submitted"] == 1
    assert by_service["Highways"]["Total"] == 2
    assert by_service["All services"]["Total"] == 3
    overdue = values(workbook["Overdue"])
    assert [(row["Reference"], row["Owner"], row["Status"]) for row in overdue] == [
        ("HW2", "Officer", "Not started"),
    ]
    assert sorted(row["Reference"] for row in values(workbook["Locked values"])) == ["AS1", "HW1"]
    assert about(workbook)["Period locked"] == "Yes"


@pytest.mark.parametrize("persona", ["officer", "manager", "director", "board_member", "outsider"])
def test_completeness_export_is_for_spp_only(client_for, persona, request, returns):
    user = request.getfixturevalue(persona)

    assert client_for(user).get(url("completeness", period="2014-09")).status_code == 403


# The golden thread ---------------------------------------------------------------------


def test_golden_thread_export_flattens_the_tree(client_for, officer, scorecard, make_item):
    scorecard.key_action.end_on = date(2014, 6, 30)
    scorecard.key_action.save()
    make_item(ItemKind.TASK, "Clear the drains", reference="T9")

    workbook = workbook_from(client_for(officer).get(url("golden-thread", period="2014-09")))

    rows = values(workbook["Golden thread"])
    by_reference = {row["Reference"]: row for row in rows}
    references = [row["Reference"] for row in rows]
    assert references[0] == "CP"
    assert references.index("C1") < references.index("PD1") < references.index("KA1") < references.index("CS01")

    key_action = by_reference["KA1"]
    assert key_action["Layer"] == "Director business plans"
    assert key_action["Kind"] == "Key action"
    assert key_action["Parent"] == "PD1 Deliver the local transport plan"
    assert key_action["Rating"] == "Red"  # its end date passed undelivered
    assert key_action["Amber beneath"] == 1  # CS01

    # Beneath the commitment: CS02 Green; CS01 Amber; KA1 and CS04 (10 against 85) Red; PD1 has no
    # owner rating, so No data. The outcome O1 is not an action and is not rated.
    commitment = by_reference["C1"]
    assert commitment["Rating"] is None
    beneath = [commitment[f"{word} beneath"] for word in ("Green", "Amber", "Red", "No data", "Not rated")]
    assert beneath == [1, 1, 2, 1, 0]

    kpi = by_reference["CS01"]
    assert (kpi["Kind"], kpi["Parent"], kpi["Rating"]) == ("KPI", "KA1 Resurface priority roads", "Amber")
    assert by_reference["T9"]["Section"] == "No parent"
    assert by_reference["CS03"]["Section"] == "No parent"


# The download links --------------------------------------------------------------------


def test_download_links_carry_the_query_string():
    html = render_to_string("reporting/_download.html", {
        "url": "/exports/kpi-list/", "csv_url": "/exports/kpi-list/csv/", "query": "tier=1&q=roads",
        "label": "Download these KPIs as Excel (.xlsx)",
    })

    assert '<a href="/exports/kpi-list/?tier=1&amp;q=roads" download>Download these KPIs as Excel (.xlsx)</a>' in html
    assert '<a href="/exports/kpi-list/csv/?tier=1&amp;q=roads" download>Download as CSV</a>' in html


def test_download_link_without_query_or_csv():
    html = render_to_string("reporting/_download.html", {"url": "/exports/golden-thread/"})

    assert '<a href="/exports/golden-thread/" download>Download as Excel (.xlsx)</a>' in html
    assert "CSV" not in html
