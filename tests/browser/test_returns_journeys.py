"""The monthly cycle in the browser: an officer enters a return, it is signed off and locked, and all of it works by keyboard.

The demonstration council's KPIs are quarterly and Hart's published figures
stop at September 2014, so December 2014 (Q3) is due and every return in it
is open. RB01 has a target of 95% with the default 5% tolerance: 95% and
above is Green, from 90.25% up to 95% Amber.
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from golden_thread.demo import DEMO_PASSWORD
from kpis.models import Kpi, KpiValue, PeriodLock, Target
from kpis.returns import ReturnData
from kpis.services import save_return
from pmf.periods import Period

pytestmark = pytest.mark.browser

DECEMBER = Period(2014, 9)
MAX_TABS = 40
NARRATIVE = {
    "Cause": "Two assessors left in November.",
    "Recovery": "Checking every assessment until the new assessors are trained.",
    "Support needed": "None at present.",
}


@pytest.fixture
def rb01(demo) -> Kpi:
    """Return RB01 after checking the target the ratings here are worked out from, and that December is empty."""
    kpi = Kpi.objects.get(reference="RB01")
    target = Target.objects.in_force(kpi.pk, DECEMBER)
    assert target.value == Decimal("95")
    assert target.tolerance == Decimal("0.05")
    assert not KpiValue.objects.filter(kpi=kpi, financial_year=DECEMBER.year, period=DECEMBER.number).exists()
    return kpi


def december_value(kpi: Kpi) -> KpiValue | None:
    return KpiValue.objects.filter(kpi=kpi, financial_year=DECEMBER.year, period=DECEMBER.number).first()


def kpi_return(page, reference: str):
    return page.get_by_role("region", name=re.compile(rf"^{reference} "))


def narrative_group(section):
    return section.get_by_role("group", name="Explaining an Amber or Red rating")


def status_of(section):
    return section.locator(".return__meta").first.locator(".tag").first


# Entering a return -----------------------------------------------------------


def test_amber_return_needs_explanation_before_submit(journey, rb01, sign_in_as):
    sign_in_as("officer")
    page = journey.page
    journey.open(f"/returns/?period={DECEMBER.code}")
    section = kpi_return(page, "RB01")
    preview = section.locator(".return__preview")
    expect(status_of(section)).to_have_text("Not started")
    expect(narrative_group(section)).to_be_hidden()

    section.get_by_label("Value", exact=True).fill("96.0")
    expect(preview).to_contain_text("Green")
    expect(narrative_group(section)).to_be_hidden()

    section.get_by_label("Value", exact=True).fill("94.9")
    expect(preview).to_contain_text("Amber")
    expect(narrative_group(section)).to_be_visible()
    for label in NARRATIVE:
        expect(section.get_by_label(f"{label} (required)")).to_have_attribute("required", "")
    journey.check()

    section.get_by_label("Commentary").fill("Accuracy dipped while new assessors learned the system.")
    section.get_by_role("button", name="Submit", exact=True).click()

    summary = section.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_be_focused()
    expect(section.locator(".field-error")).to_have_count(3)
    expect(section.get_by_text("Cause is required because the rating is Amber").first).to_be_visible()
    expect(section.get_by_label("Value", exact=True)).to_have_value("94.9")
    assert december_value(rb01) is None
    journey.check()

    for label, text in NARRATIVE.items():
        section.get_by_label(f"{label} (required)").fill(text)
    section.get_by_role("button", name="Submit", exact=True).click()

    expect(section.get_by_role("status")).to_have_text("RB01 December 2014 submitted for sign-off.")
    expect(status_of(section)).to_have_text("Submitted")
    record = december_value(rb01)
    assert record.status == KpiValue.Status.SUBMITTED
    assert record.value == Decimal("94.9")
    assert record.cause == NARRATIVE["Cause"]
    journey.check()


# Sign-off and locking ----------------------------------------------------------


def submit_as_officer(kpi: Kpi) -> KpiValue:
    return save_return(
        kpi=kpi,
        period=DECEMBER,
        user=kpi.owner,
        data=ReturnData(
            value=Decimal("94.9"),
            commentary="Accuracy dipped while new assessors learned the system.",
            cause=NARRATIVE["Cause"],
            recovery=NARRATIVE["Recovery"],
            support_needed=NARRATIVE["Support needed"],
        ),
        expected_version=0,
        submit=True,
    )


def test_signed_off_locked_return_is_read_only(journey, rb01, sign_in_as):
    record = submit_as_officer(rb01)
    page = journey.page

    sign_in_as("manager")
    journey.open(f"/returns/sign-off/?period={DECEMBER.code}")
    row = page.get_by_role("row", name=re.compile(r"RB01 "))
    expect(row).to_contain_text("94.9%")
    expect(row).to_contain_text(NARRATIVE["Cause"])
    row.get_by_role("button", name="Sign off RB01").click()

    expect(page.get_by_role("status")).to_contain_text("Signed off 1 return for December 2014.")
    expect(page.get_by_text("No returns are waiting for sign-off for December 2014.")).to_be_visible()
    record.refresh_from_db()
    assert record.status == KpiValue.Status.SIGNED_OFF
    journey.check()

    sign_in_as("spp")
    journey.open(f"/returns/lock/?period={DECEMBER.code}")
    page.get_by_label("I confirm this period has been reported").check()
    page.get_by_role("button", name="Lock December 2014").click()

    expect(page.get_by_role("heading", name="Completeness of returns", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("December 2014 is locked.")
    assert PeriodLock.objects.is_locked(DECEMBER)
    journey.check()

    sign_in_as("officer")
    journey.open(f"/returns/?period={DECEMBER.code}")
    expect(page.get_by_text("This period is locked.")).to_be_visible()
    signed_off = kpi_return(page, "RB01")
    expect(status_of(signed_off)).to_have_text("Signed off")
    expect(signed_off).to_contain_text("94.9%")
    expect(signed_off.get_by_text("Signed off: ask your service manager")).to_be_visible()
    expect(signed_off.get_by_role("textbox")).to_have_count(0)
    expect(signed_off.get_by_role("button")).to_have_count(0)
    locked = kpi_return(page, "RB02")
    expect(locked.get_by_text("December 2014 is locked: ask the performance team")).to_be_visible()
    expect(locked.get_by_role("textbox")).to_have_count(0)


# Keyboard only -----------------------------------------------------------------


def focused(page) -> dict:
    """The focused element, with the outline the browser draws around it."""
    return page.evaluate(
        """() => {
          const element = document.activeElement;
          const style = getComputedStyle(element);
          return {
            tag: element.tagName.toLowerCase(),
            id: element.id,
            text: element.textContent.trim(),
            outlineStyle: style.outlineStyle,
            outlineWidth: style.outlineWidth,
          };
        }"""
    )


def tab_until(page, matches) -> dict:
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        state = focused(page)
        if matches(state):
            return state
    raise AssertionError(f"no matching element found within {MAX_TABS} presses of Tab")


def assert_focus_visible(state: dict) -> None:
    assert state["outlineStyle"] != "none", f"no focus outline on {state}"
    assert state["outlineWidth"] != "0px", f"no focus outline on {state}"


def test_keyboard_only_sign_in_and_submit(journey, rb01):
    page = journey.page
    journey.open(f"/returns/kpi/{rb01.pk}/{DECEMBER.code}/")
    expect(page.get_by_label("Username")).to_be_focused()

    page.keyboard.type("officer")
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Return for December 2014", level=1)).to_be_visible()
    journey.check()

    page.keyboard.press("Tab")
    skip_link = focused(page)
    assert skip_link["text"] == "Skip to main content"
    assert_focus_visible(skip_link)
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"

    value_id = f"id_kpi-{rb01.pk}-value"
    assert_focus_visible(tab_until(page, lambda state: state["id"] == value_id))
    page.keyboard.type("96.0")
    expect(page.locator(".return__preview")).to_contain_text("Green")

    assert_focus_visible(tab_until(page, lambda state: state["tag"] == "button" and state["text"] == "Submit"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_have_text("RB01 December 2014 submitted for sign-off.")
    expect(status_of(kpi_return(page, "RB01"))).to_have_text("Submitted")
    record = december_value(rb01)
    assert record.status == KpiValue.Status.SUBMITTED
    assert record.value == Decimal("96.0")
    journey.check()
