import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from golden_thread.models import ItemKind
from kpis.models import Kpi, KpiValue
from pmf.periods import Period

LIST_URL = reverse("kpis:list")


def text(html: str) -> str:
    """What a screen reader reads: tags and aria-hidden icons removed, spaces collapsed."""
    html = re.sub(r'<span[^>]*aria-hidden="true"[^>]*>.*?</span>', " ", html)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def history_row(html: str, label: str) -> str:
    rows = [row for row in re.findall(r"<tr>.*?</tr>", html, re.S) if f'<th scope="row">{label}</th>' in row]
    assert len(rows) == 1, f"expected one row for {label}"
    return text(rows[0])


def detail_url(kpi) -> str:
    return reverse("kpis:detail", args=[kpi.reference])


def count_queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params or {}).status_code == 200
    return len(queries)


@pytest.fixture
def repairs(make_thread, make_item, make_kpi, make_target, make_value, officer, highways):
    """CS01 under a key action, target 85 for 2014/15, with August Green and September Amber."""
    thread = make_thread()
    kpi = make_kpi(
        "CS01",
        name="Roads in good repair",
        definition="Share of the principal road network needing no maintenance.",
        thread_item=thread.key_action,
        owner=officer,
        directorate=highways.directorate,
        service=highways,
        data_source="Annual condition survey",
        baseline="79.5",
        baseline_label="2013/14 outturn",
    )
    make_target(kpi, "85", year=2014)
    make_value(kpi, "2014-08", "85", commentary="Summer programme finished early.")
    make_value(
        kpi, "2014-09", "80.75",
        commentary="Wet weather stopped resurfacing.",
        cause="Three weeks of rain.",
        recovery="Night working in October.",
        support_needed="None.",
        published_rating="Amber",
    )
    thread.key_action.contributes_to.add(make_item(ItemKind.OUTCOME, "Safer journeys", thread.commitment))
    return kpi


def test_kpi_page_shows_the_definition(client_for, officer, repairs):
    html = client_for(officer).get(detail_url(repairs)).content.decode()
    facts = text(re.search(r'<dl class="facts">.*?</dl>', html, re.S)[0])

    assert "CS01 Roads in good repair</h1>" in html
    assert "Share of the principal road network needing no maintenance." in html
    assert "Tier Tier 1: Plan KPI" in facts
    assert "Unit Percentage" in facts
    assert "Polarity Higher is better" in facts
    assert "Frequency Monthly, snapshot" in facts
    assert "Owner Officer" in facts
    assert "Directorate and service Place, Highways" in facts
    assert "Data source Annual condition survey" in facts
    assert "Baseline 79.5% (2013/14 outturn)" in facts


def test_kpi_page_shows_line_of_sight(client_for, officer, repairs):
    html = client_for(officer).get(detail_url(repairs)).content.decode()
    chain = text(re.search(r'<ol class="line-of-sight">.*?</ol>', html, re.S)[0])

    assert chain == (
        "Corporate Plan CP Corporate Plan 2025–2029 "
        "Commitment C1 Unlocking prosperity for all "
        "Priority deliverable PD1 Deliver the local transport plan "
        "Key action KA1 Resurface priority roads "
        "KPI CS01 Roads in good repair"
    )
    assert "Also contributes to" in html
    assert "Safer journeys" in html


def test_kpi_page_rates_each_period(client_for, officer, repairs):
    html = client_for(officer).get(detail_url(repairs)).content.decode()

    september = history_row(html, "Sep 2014")
    assert "80.8% 85.0% Amber Amber" in september
    assert "Cause Three weeks of rain." in september
    assert "Recovery Night working in October." in september
    assert "Support needed None." in september
    assert "85.0% 85.0% Green –" in history_row(html, "Aug 2014")
    assert html.index("Sep 2014</th>") < html.index("Aug 2014</th>")


def test_kpi_page_loads_plotly_once(client_for, officer, repairs):
    html = client_for(officer).get(detail_url(repairs)).content.decode()

    assert html.count('<script src="/static/plotly/plotly.min.js">') == 1
    assert html.count("plotly.min.js") == 1
    assert "Plotly.newPlot" in html
    assert "cdn.plot.ly" not in html
    assert "Latest: 80.8% against a target of 85.0%, rated Amber." in text(html)


def test_kpi_page_without_values_has_no_chart(client_for, officer, make_kpi):
    kpi = make_kpi("NEW1")

    html = client_for(officer).get(detail_url(kpi)).content.decode()

    assert "No values have been entered for this KPI yet." in html
    assert "plotly" not in html
    assert "This KPI is not placed in the golden thread yet." in html


def test_unknown_kpi_is_not_found(client_for, officer):
    assert client_for(officer).get(reverse("kpis:detail", args=["NOPE"])).status_code == 404


def test_kpi_page_queries_constant(
    client_for, officer, repairs, make_target, make_value
):
    client = client_for(officer)
    small = count_queries(client, detail_url(repairs))

    for year in range(2004, 2014):
        make_target(repairs, "80", year=year)
        for period in Period(year, 1).financial_year.periods():
            make_value(repairs, period, "81")
    large = count_queries(client, detail_url(repairs))

    assert repairs.values.count() == 122
    assert large == small


@pytest.fixture
def catalogue(make_kpi, place, people, highways, adult_social_care):
    make_kpi("CS01", name="Roads in good repair", directorate=place, service=highways)
    make_kpi(
        "AS02", name="Care reviews on time", tier=Kpi.Tier.PRIORITY, directorate=people,
        service=adult_social_care, polarity="lower", frequency=Kpi.Frequency.QUARTERLY,
        definition="Reviews of long-term care completed within twelve months.",
    )
    make_kpi("OLD1", name="Retired measure", is_active=False)


def listed(response) -> list[str]:
    return re.findall(r'<a href="/kpis/([^/]+)/">\1</a>', response.content.decode())


def test_kpi_list_links_active_kpis(client_for, officer, catalogue):
    response = client_for(officer).get(LIST_URL)

    assert response.status_code == 200
    assert listed(response) == ["AS02", "CS01"]
    assert "2 KPIs found." in response.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"tier": "2"}, ["AS02"]),
        ({"polarity": "higher"}, ["CS01"]),
        ({"frequency": "quarterly"}, ["AS02"]),
        ({"q": "roads"}, ["CS01"]),
        ({"q": "twelve months"}, ["AS02"]),
        ({"q": "as02"}, ["AS02"]),
        ({"q": "nothing like this"}, []),
    ],
)
def test_kpi_list_filters(client_for, officer, catalogue, params, expected):
    assert listed(client_for(officer).get(LIST_URL, params)) == expected


def test_kpi_list_filters_by_organisation(client_for, officer, catalogue, people, highways):
    client = client_for(officer)

    assert listed(client.get(LIST_URL, {"directorate": people.pk})) == ["AS02"]
    assert listed(client.get(LIST_URL, {"service": highways.pk})) == ["CS01"]


def test_kpi_list_empty_message(client_for, officer, catalogue):
    html = client_for(officer).get(LIST_URL, {"q": "zzz"}).content.decode()

    assert "No KPIs match these filters." in html


def test_kpi_list_queries_constant(client_for, officer, make_kpi, place, highways):
    client = client_for(officer)
    for _ in range(4):
        make_kpi(directorate=place, service=highways, owner=officer)
    small = count_queries(client, LIST_URL)

    for _ in range(36):
        make_kpi(directorate=place, service=highways, owner=officer)
    large = count_queries(client, LIST_URL)

    assert large == small


@pytest.mark.parametrize("name", ["list", "detail"])
def test_kpi_pages_need_sign_in(anonymous, make_kpi, name):
    url = reverse(f"kpis:{name}", args=[make_kpi("CS01").reference] if name == "detail" else [])

    response = anonymous.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", ["list", "detail"])
def test_kpi_pages_reject_post(client_for, officer, make_kpi, name):
    url = reverse(f"kpis:{name}", args=[make_kpi("CS01").reference] if name == "detail" else [])

    assert client_for(officer).post(url).status_code == 405


def test_kpi_page_links_value_changes_for_owner(client_for, officer, outsider, make_kpi, make_value):
    kpi = make_kpi("CH01", owner=officer)
    record = make_value(kpi, "2014-09", "90")
    link = reverse("returns:history", args=[record.pk])

    assert link in client_for(officer).get(reverse("kpis:detail", args=["CH01"])).content.decode()
    assert link not in client_for(outsider).get(reverse("kpis:detail", args=["CH01"])).content.decode()


def test_kpi_page_marks_unsigned_values(client_for, officer, make_kpi, make_value):
    kpi = make_kpi("AW01", owner=officer)
    make_value(kpi, "2014-08", "91.5")
    make_value(kpi, "2014-09", "92.5", status=KpiValue.Status.SUBMITTED)
    make_value(kpi, "2014-10", "99.5", status=KpiValue.Status.DRAFT)

    html = client_for(officer).get(reverse("kpis:detail", args=["AW01"])).content.decode()

    assert html.count("Awaiting sign-off") == 1
    assert "92.5%" in html
    assert "99.5%" not in html
