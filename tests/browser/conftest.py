"""Real-browser journeys: headless Chromium against the portal on 127.0.0.1.

Every journey runs behind guards. A request to any host other than this
machine is aborted and fails the test, as does any console error or
uncaught page error. Every page visited is checked with axe-core against
WCAG 2.2 AA.

Without Chromium or axe-core the journeys are skipped, unless
PMF_REQUIRE_BROWSER=1 is set (CI sets it), when they fail instead.
"""

import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

# Playwright's sync API runs an event loop in the test thread, so Django
# rejects ORM calls from that thread unless this flag allows them.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Screenshots go to test-results/ so a test run leaves the checkout clean;
# PMF_UPDATE_SCREENSHOTS=1 writes the README's copies in docs/screenshots/.
SCREENSHOTS = ROOT / ("docs" if os.environ.get("PMF_UPDATE_SCREENSHOTS") == "1" else "test-results") / "screenshots"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_RUN = """
async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return results.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    targets: violation.nodes.map((node) => node.target.join(" ")),
  }));
}
"""


def missing_tooling() -> list[str]:
    missing = []
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        missing.append(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    if not AXE_SCRIPT.exists():
        missing.append(f"axe-core is not installed at {AXE_SCRIPT.parent} (npm ci)")
    return missing


def browser_required() -> bool:
    return os.environ.get("PMF_REQUIRE_BROWSER") == "1"


def pytest_collection_modifyitems(config, items):
    missing = missing_tooling()
    if not missing or browser_required():
        return
    skip = pytest.mark.skip(reason="browser tests need: " + "; ".join(missing))
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    missing = missing_tooling()
    if missing:
        pytest.fail("PMF_REQUIRE_BROWSER=1 but " + "; ".join(missing), pytrace=False)

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@dataclass
class Guards:
    """What went wrong in the page: off-machine requests, console errors, page errors."""

    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return (
            [f"request to another host: {url}" for url in self.blocked]
            + [f"console error: {text}" for text in self.console_errors]
            + [f"page error: {text}" for text in self.page_errors]
        )

    def watch(self, page):
        page.route("**/*", self._route)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))

    def _route(self, route):
        url = route.request.url
        if urlsplit(url).hostname in LOCAL_HOSTS or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
            return
        self.blocked.append(url)
        route.abort("blockedbyclient")

    def _console(self, message):
        if message.type != "error":
            return
        # An aborted off-machine request also logs a console error, which
        # would record the same problem twice.
        if "ERR_BLOCKED_BY_CLIENT" in message.text and self.blocked:
            return
        self.console_errors.append(message.text)


class Journey:
    """A browser tab on the portal that checks the guards and accessibility on each page."""

    def __init__(self, page, guards: Guards, base_url: str):
        self.page = page
        self.guards = guards
        self.base_url = base_url

    def open(self, path: str):
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.ok, f"GET {path} answered {response and response.status}"
        self.check()
        return response

    def check(self):
        """Fail on any guard problem so far, then on any WCAG 2.2 AA violation in the current page."""
        self.assert_guards_clean()
        self.assert_accessible()

    def assert_guards_clean(self):
        problems = self.guards.problems()
        assert not problems, "on " + self.page.url + ":\n" + "\n".join(problems)

    def axe_violations(self) -> list[dict]:
        self.page.add_script_tag(path=str(AXE_SCRIPT))
        return self.page.evaluate(AXE_RUN, AXE_TAGS)

    def assert_accessible(self):
        violations = self.axe_violations()
        assert not violations, f"axe found violations on {self.page.url}:\n" + format_violations(violations)

    def screenshot(self, name: str):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.extend(f"    {target}" for target in violation["targets"])
    return "\n".join(lines)


@pytest.fixture
def browser_context(browser):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id="Europe/London"
    )
    yield context
    context.close()


@pytest.fixture
def journey(browser_context, live_server):
    page = browser_context.new_page()
    page.set_default_timeout(15_000)
    guards = Guards()
    guards.watch(page)
    yield Journey(page, guards, live_server.url)
    guards_problems = guards.problems()
    assert not guards_problems, "\n".join(guards_problems)


@pytest.fixture
def demo(transactional_db):
    """The demonstration council, as `manage.py load_demo` builds it."""
    call_command("load_demo", stdout=open(os.devnull, "w"))


@pytest.fixture
def sign_in_as(browser_context, live_server):
    """Put a signed-in session for `username` into the browser, without going through the form."""

    def sign_in(username: str):
        user = get_user_model().objects.get(username=username)
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        browser_context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
        )
        return user

    return sign_in
