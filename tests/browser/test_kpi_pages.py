"""The KPI list and a KPI's own page, with its plotly chart drawn from the locally served script."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_kpi_page_draws_its_chart(journey, demo, sign_in_as):
    sign_in_as("spp")
    page = journey.page
    journey.open("/kpis/")
    expect(page.get_by_role("heading", name="KPIs", level=1)).to_be_visible()

    page.get_by_role("link", name="RB06", exact=True).click()

    expect(page).to_have_url(re.compile(r"/kpis/RB06/$"))
    expect(page.get_by_role("heading", name=re.compile(r"^RB06 "), level=1)).to_be_visible()
    expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible()
    expect(page.get_by_role("table", name="Values by period, newest first")).to_be_visible()
    journey.check()
    journey.screenshot("kpi-page")


def test_kpi_list_filters_by_search(journey, demo, sign_in_as):
    sign_in_as("spp")
    page = journey.page
    journey.open("/kpis/")

    page.get_by_label("Search").fill("Council Tax collected")
    page.get_by_role("button", name="Apply filters").click()

    expect(page.get_by_role("link", name="RB06", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="HS16", exact=True)).to_have_count(0)
    journey.check()
