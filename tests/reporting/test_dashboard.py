import re
from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from golden_thread.models import ItemKind
from kpis.models import Kpi
from pmf.periods import Period

URL = reverse("reporting:dashboard")
HTMX = {"HX-Request": "true"}


def text(html: str) -> str:
    """What a screen reader reads: tags and aria-hidden icons removed, spaces collapsed."""
    html = re.sub(r'<span[^>]*aria-hidden="true"[^>]*>.*?</span>', " ", html)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def row_text(html: str, reference: str) -> str:
    rows = [row for row in re.findall(r"<tr>.*?</tr>", html, re.S) if f">{reference}</a>" in row]
    assert len(rows) == 1, f"expected one row for {reference}, found {len(rows)}"
    return text(rows[0])


def section_text(html: str, heading: str) -> str:
    sections = [s for s in re.findall(r"<section.*?</section>", html, re.S) if heading in s]
    assert len(sections) == 1, f"expected one section headed {heading}"
    return text(sections[0])


@pytest.fixture
def scorecard(make_thread, make_kpi, make_target, make_value):
    """Tier 1 KPIs for September 2014, each with a known rating.

    CS01 (under a key action, so beneath the commitment): target 85, 80.75 is Amber.
    CS02 (on the commitment itself): 90 against 85 is Green.
    CS03 (no place in the thread): a target but no value is No data.
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
    make_value(amber, "2014-09", "80.75")
    make_value(green, "2014-09", "90")
    make_value(tier_2, "2014-09", "10")
    return thread


def test_dashboard_rates_tier_1_kpis(client_for, officer, scorecard):
    response = client_for(officer).get(URL, {"period": "2014-09"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "September 2014 (Q2 2014/15)" in html
    amber = row_text(html, "CS01")
    assert "80.8%" in amber
    assert "85.0%" in amber
    assert "Amber" in amber
    assert "Green" in row_text(html, "CS02")
    assert "No data" in row_text(html, "CS03")
    assert "CS04" not in html


def test_dashboard_groups_by_commitment(client_for, officer, scorecard):
    html = client_for(officer).get(URL, {"period": "2014-09"}).content.decode()

    commitment = section_text(html, "Unlocking prosperity for all")
    assert "CS01" in commitment
    assert "CS02" in commitment
    assert "CS03" not in commitment
    assert "Green 1 Amber 1 Red 0 No data 0 Not rated 0" in commitment
    unlinked = section_text(html, "Not linked to a commitment")
    assert "CS03" in unlinked
    assert "Green 0 Amber 0 Red 0 No data 1 Not rated 0" in unlinked


def test_direction_against_previous_and_last_year(client_for, officer, scorecard):
    html = client_for(officer).get(URL, {"period": "2014-09"}).content.decode()

    # 80.75 after 78 in August is improving; after 82 a year earlier it is worsening.
    cells = re.findall(r'class="direction direction--(\w+)"', row_text_html(html, "CS01"))
    assert cells == ["improving", "worsening"]


def row_text_html(html: str, reference: str) -> str:
    return next(row for row in re.findall(r"<tr>.*?</tr>", html, re.S) if f">{reference}</a>" in row)


def test_trend_sparkline_has_text_alternative(client_for, officer, scorecard):
    row = row_text_html(client_for(officer).get(URL, {"period": "2014-09"}).content.decode(), "CS01")

    assert '<svg class="sparkline" role="img"' in row
    assert "Aug 2014 78.0%, Sep 2014 80.8%" in row
    assert "Jul 2014 no value" in row


def test_quarterly_kpi_shows_quarter_end(client_for, officer, make_kpi, make_target, make_value):
    kpi = make_kpi("Q01", frequency=Kpi.Frequency.QUARTERLY)
    make_target(kpi, "50", year=2014)
    make_value(kpi, "2014-06", "60")

    html = client_for(officer).get(URL, {"period": "2014-08"}).content.decode()

    assert "60.0%" in row_text(html, "Q01")
    assert "as at Jun 2014" in row_text(html, "Q01")


def test_default_period_is_latest_with_data(client_for, officer, scorecard):
    html = client_for(officer).get(URL).content.decode()

    assert '<h2 id="period-heading">September 2014 (Q2 2014/15)</h2>' in html


@time_machine.travel(date(2025, 11, 20))
def test_default_period_without_data_is_current(client_for, officer):
    html = client_for(officer).get(URL).content.decode()

    assert "November 2025 (Q3 2025/26)" in html
    assert "There are no commitments or tier 1 KPIs yet." in html


def test_invalid_period_shows_default(client_for, officer, scorecard):
    html = client_for(officer).get(URL, {"period": "Smarch"}).content.decode()

    assert "“Smarch” is not a period we recognise" in html
    assert '<h2 id="period-heading">September 2014 (Q2 2014/15)</h2>' in html


def test_picker_offers_data_periods_and_neighbours(client_for, officer, scorecard):
    html = client_for(officer).get(URL, {"period": "2014-09"}).content.decode()

    options = re.findall(r'<option value="([\d-]+)"( selected)?>', html)
    assert [code for code, _ in options] == ["2014-10", "2014-09", "2014-08", "2013-09"]
    assert [code for code, selected in options if selected] == ["2014-09"]
    # Without JavaScript the picker is a GET form with a submit button.
    assert re.search(r'<form method="get" action="/" hx-get="/">', html)
    assert 'name="period"' in html
    assert '<button type="submit"' in html
    assert 'href="/?period=2014-08"' in html
    assert 'href="/?period=2014-10"' in html


def test_htmx_request_gets_results_only(client_for, officer, scorecard):
    response = client_for(officer).get(URL, {"period": "2014-09"}, headers=HTMX)

    html = response.content.decode()
    assert "<html" not in html
    assert "<h1>" not in html
    assert "September 2014 (Q2 2014/15)" in html and "CS01" in html
    assert "HX-Request" in response["Vary"]


def test_plain_request_gets_whole_page(client_for, officer, scorecard):
    response = client_for(officer).get(URL, {"period": "2014-09"})

    html = response.content.decode()
    assert html.lstrip().startswith("<!doctype html>")
    assert '<div id="results">' in html
    assert "Corporate dashboard</h1>" in html
    assert "HX-Request" in response["Vary"]


def test_history_restore_gets_whole_page(client_for, officer, scorecard):
    headers = {**HTMX, "HX-History-Restore-Request": "true"}

    response = client_for(officer).get(URL, {"period": "2014-09"}, headers=headers)

    assert "<html" in response.content.decode()
    assert "HX-History-Restore-Request" in response["Vary"]


def test_dashboard_needs_sign_in(anonymous):
    response = anonymous.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_dashboard_rejects_post(client_for, officer):
    assert client_for(officer).post(URL).status_code == 405


def build_kpis(count, commitment, make_kpi, make_target, make_value):
    for _ in range(count):
        kpi = make_kpi(thread_item=commitment)
        make_target(kpi, "85", year=2014)
        for period in Period.range(Period(2013, 1), Period(2014, 6)):
            make_value(kpi, period, "84")


def count_queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL, params).status_code == 200
    return len(queries)


def test_dashboard_queries_constant(
    client_for, officer, make_thread, make_item, make_kpi, make_target, make_value
):
    thread = make_thread()
    client = client_for(officer)
    build_kpis(3, thread.commitment, make_kpi, make_target, make_value)
    small = count_queries(client, period="2014-06")

    for number in range(9):
        commitment = make_item(ItemKind.COMMITMENT, f"Commitment {number}", thread.plan)
        build_kpis(3, commitment, make_kpi, make_target, make_value)
    large = count_queries(client, period="2014-06")

    assert Kpi.objects.count() == 30
    assert large == small


@pytest.mark.parametrize("code", ["0001-04", "9999-03", "2014-13"])
def test_period_at_calendar_edge_shows_default(client_for, officer, scorecard, code):
    response = client_for(officer).get(URL, {"period": code})

    assert response.status_code == 200
    assert f"“{code}” is not a period we recognise" in response.content.decode()


def test_htmx_results_carry_page_title(client_for, officer, scorecard):
    html = client_for(officer).get(URL, {"period": "2014-08"}, headers=HTMX).content.decode()
    assert "<title>Corporate dashboard, August 2014 (Q2 2014/15) – pmf</title>" in html


def test_full_page_has_one_title(client_for, officer, scorecard):
    html = client_for(officer).get(URL, {"period": "2014-08"}).content.decode()
    assert html.count("<title>Corporate dashboard") == 1
