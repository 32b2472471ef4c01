"""Signing in through the login page, and what a wrong password shows."""

import re

import pytest
from playwright.sync_api import expect

from golden_thread.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def fill_sign_in_form(page, username: str, password: str):
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_leads_to_dashboard(journey, demo):
    page = journey.page

    journey.open("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()

    fill_sign_in_form(page, "officer", DEMO_PASSWORD)

    expect(page.get_by_role("heading", name="Corporate dashboard", level=1)).to_be_visible()
    expect(page).to_have_url(journey.base_url + "/")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    journey.check()


def test_wrong_password_shows_error_summary(journey, demo):
    page = journey.page
    journey.open("/accounts/login/")

    fill_sign_in_form(page, "officer", "not-the-password")

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("username or password is not right")
    expect(page.get_by_label("Username")).to_have_value("officer")
    expect(page.get_by_label("Password")).to_have_value("")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    journey.check()
