"""The golden thread page: it renders the plan, and a keyboard user can reach and open its items."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

MAX_TABS = 60


def focused(page) -> dict:
    return page.evaluate(
        """() => {
          const element = document.activeElement;
          return {
            tag: element.tagName.toLowerCase(),
            text: element.textContent.trim().replace(/\\s+/g, " "),
            inTree: Boolean(element.closest(".thread-tree")),
            isOpen: element.tagName === "SUMMARY" ? element.parentElement.open : null,
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


def test_golden_thread_renders_the_plan(journey, demo, sign_in_as):
    sign_in_as("spp")
    page = journey.page

    journey.open("/golden-thread/?period=2014-09")

    expect(page.get_by_role("heading", name="Golden thread", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="The plan", level=2)).to_be_visible()
    expect(page.get_by_role("link", name="CP Corporate Plan 2025–2029 (illustrative)")).to_be_visible()
    expect(page.get_by_role("link", name="C1 Unlocking prosperity for all (illustrative)")).to_be_visible()
    journey.screenshot("golden-thread")


def test_keyboard_toggles_and_follows_thread_items(journey, demo, sign_in_as):
    sign_in_as("spp")
    page = journey.page
    journey.open("/golden-thread/?period=2014-09")

    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to main content"

    summary = tab_until(page, lambda state: state["tag"] == "summary" and state["inTree"])
    was_open = summary["isOpen"]
    page.keyboard.press("Enter")
    assert focused(page)["isOpen"] is (not was_open)
    page.keyboard.press("Space")
    assert focused(page)["isOpen"] is was_open

    link = tab_until(page, lambda state: state["tag"] == "a" and state["inTree"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(link["text"].split(" Illustrative")[0])
    journey.check()
