"""The guards and the accessibility check themselves: each must catch what it is there to catch."""

import pytest

pytestmark = pytest.mark.browser


def test_request_to_another_host_is_aborted_and_recorded(journey):
    journey.page.set_content('<img src="http://example.invalid/pixel.png" alt="">')
    journey.page.wait_for_load_state("load")

    assert journey.guards.blocked == ["http://example.invalid/pixel.png"]
    with pytest.raises(AssertionError, match="request to another host"):
        journey.assert_guards_clean()
    journey.guards.blocked.clear()


def test_console_error_is_recorded(journey):
    journey.page.evaluate("console.error('the figure did not draw')")

    assert journey.guards.console_errors == ["the figure did not draw"]
    journey.guards.console_errors.clear()


def test_uncaught_page_error_is_recorded(journey):
    journey.page.set_content("<script>undefinedFunction()</script>")

    assert len(journey.guards.page_errors) == 1
    assert "undefinedFunction" in journey.guards.page_errors[0]
    journey.guards.page_errors.clear()


def test_axe_reports_an_image_without_alternative_text(journey):
    journey.page.set_content(
        '<!doctype html><html lang="en-GB"><title>Test</title><main><h1>Test</h1>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></html>'
    )

    violations = journey.axe_violations()

    assert [violation["id"] for violation in violations] == ["image-alt"]
    assert violations[0]["targets"] == ["img"]


def test_axe_passes_a_plain_accessible_page(journey):
    journey.page.set_content(
        '<!doctype html><html lang="en-GB"><title>Test</title><main><h1>Test</h1>'
        "<p>Nothing to find here.</p></main></html>"
    )

    assert journey.axe_violations() == []
