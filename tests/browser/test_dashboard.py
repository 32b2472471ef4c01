"""The corporate dashboard: the period picker swaps the results in place and keeps the browser history right."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SEPTEMBER = "September 2014 (Q2 2014/15)"
JUNE = "June 2014 (Q1 2014/15)"


def period_heading(page, text: str):
    return page.get_by_role("heading", name=text, level=2)


def expect_period(page, code: str, heading: str):
    expect(period_heading(page, heading)).to_be_visible()
    expect(page).to_have_url(re.compile(rf"\?period={code}$"))
    expect(page.get_by_label("Reporting period")).to_have_value(code)
    expect(page).to_have_title(f"Corporate dashboard, {heading} – pmf")


def test_period_picker_swaps_results_in_place(journey, demo, sign_in_as):
    sign_in_as("spp")
    page = journey.page
    journey.open("/?period=2014-09")
    expect_period(page, "2014-09", SEPTEMBER)
    journey.screenshot("dashboard")
    # A full page load would lose this; an htmx swap keeps it.
    page.evaluate("window.pmfJourneyMarker = 'still here'")

    page.get_by_label("Reporting period").select_option("2014-06")
    page.get_by_role("button", name="Show period").click()

    expect_period(page, "2014-06", JUNE)
    expect(period_heading(page, SEPTEMBER)).to_have_count(0)
    assert page.evaluate("window.pmfJourneyMarker") == "still here"
    expect(page.get_by_role("heading", name="Corporate dashboard", level=1)).to_have_count(1)
    journey.check()


def test_history_and_reload_keep_period(journey, demo, sign_in_as):
    sign_in_as("spp")
    page = journey.page
    journey.open("/?period=2014-09")
    page.get_by_label("Reporting period").select_option("2014-06")
    page.get_by_role("button", name="Show period").click()
    expect_period(page, "2014-06", JUNE)

    page.go_back()
    expect_period(page, "2014-09", SEPTEMBER)
    journey.check()

    page.reload()
    expect_period(page, "2014-09", SEPTEMBER)
    journey.check()

    page.go_forward()
    expect_period(page, "2014-06", JUNE)
    page.reload()
    expect_period(page, "2014-06", JUNE)
    expect(page.get_by_role("heading", name="Corporate dashboard", level=1)).to_have_count(1)
    journey.check()


def test_previous_month_link_steps_back_one_period(journey, demo, sign_in_as):
    sign_in_as("spp")
    page = journey.page
    journey.open("/?period=2014-09")

    page.get_by_role("link", name=re.compile(r"^Previous month")).click()

    expect_period(page, "2014-08", "August 2014 (Q2 2014/15)")
    journey.check()
