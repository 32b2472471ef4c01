"""The monthly-return pages as their users first see them: rendered, guarded and accessible."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_officer_sees_my_returns_for_the_period(journey, demo, sign_in_as):
    sign_in_as("officer")
    page = journey.page

    journey.open("/returns/?period=2014-09")

    expect(page.get_by_role("heading", name="My returns", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="My returns", exact=True)).to_have_attribute("aria-current", "page")


def test_performance_team_sees_completeness_for_the_period(journey, demo, sign_in_as):
    sign_in_as("spp")
    page = journey.page

    journey.open("/returns/completeness/?period=2014-09")

    expect(page.get_by_role("heading", name="Completeness of returns", level=1)).to_be_visible()
