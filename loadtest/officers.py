"""Simulated officers: each signs in, then reads the dashboard and My returns and saves a return, until time is up.

Standard library only. Cookies are kept by hand rather than in a cookie jar:
with DJANGO_DEBUG off the session and CSRF cookies are marked Secure, and a
cookie jar would not send them back over the plain HTTP this test uses on
127.0.0.1.
"""

import http.client
import random
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SUCCESS_MARK = "message--success"
CONFLICT_MARK = "changed while you were editing it"
ERROR_RE = re.compile(r'class="error-summary".*?<ul>(.*?)</ul>', re.S)
REQUEST_TIMEOUT = 60

# The status each kind of request should return. Any other status is an error.
EXPECTED_STATUS = {
    "login-page": 200,
    "login": 302,
    "dashboard": 200,
    "my-returns": 200,
    "return-form": 200,
    "save": 200,
}


def version_re(kpi_id: int) -> re.Pattern:
    return re.compile(rf'name="kpi-{kpi_id}-version"[^>]*value="(\d+)"')


@dataclass
class Officer:
    username: str
    number: int
    own_kpi_ids: list[int]
    shared_kpi_id: int


@dataclass
class Plan:
    """The work every officer does: where, for how long, and how often a save goes to the shared KPI."""

    port: int
    password: str
    return_period: str
    dashboard_period: str
    deadline: float
    shared_share: float
    think_seconds: float
    ramp_seconds: float


@dataclass
class Response:
    kind: str
    status: int
    seconds: float
    body: str = ""
    location: str = ""
    error: str = ""
    sent_at: float = 0.0


@dataclass
class Save:
    """One save and its outcome: accepted with the version it made, a conflict, or an error."""

    officer: str
    kpi_id: int
    value: int
    sent_version: int
    outcome: str
    new_version: int | None = None
    detail: str = ""


@dataclass
class Results:
    responses: list[Response] = field(default_factory=list)
    saves: list[Save] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    began_at: float = 0.0
    run_seconds: float = 0.0
    client_cpu_seconds: float = 0.0
    cpu_seconds: dict = field(default_factory=dict)
    server_log_tail: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_response(self, response: Response) -> None:
        response_without_body = Response(
            response.kind, response.status, response.seconds, location=response.location, error=response.error,
            sent_at=response.sent_at,
        )
        with self.lock:
            self.responses.append(response_without_body)

    def add_save(self, save: Save) -> None:
        with self.lock:
            self.saves.append(save)

    def add_problem(self, problem: str) -> None:
        with self.lock:
            self.problems.append(problem)


class Browser:
    """One officer's browser: a cookie store, and a new connection per request.

    gunicorn's sync workers close the connection after each response.
    """

    def __init__(self, port: int, results: Results):
        self.port = port
        self.results = results
        self.cookies: dict[str, str] = {}

    def get(self, kind: str, path: str) -> Response:
        return self.send(kind, "GET", path)

    def post(self, kind: str, path: str, form: dict, headers: dict | None = None) -> Response:
        body = urlencode(form)
        extra = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        return self.send(kind, "POST", path, body, extra)

    def send(self, kind: str, method: str, path: str, body: str | None = None, headers=None) -> Response:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        started = time.perf_counter()
        try:
            response = self.exchange(kind, method, path, body, headers, started)
        except (OSError, http.client.HTTPException) as error:
            response = Response(kind, 0, time.perf_counter() - started, error=f"{type(error).__name__}: {error}")
        response.sent_at = time.monotonic() - response.seconds
        self.results.add_response(response)
        return response

    def exchange(self, kind, method, path, body, headers, started) -> Response:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers)
            reply = connection.getresponse()
            text = reply.read().decode("utf-8", errors="replace")
        finally:
            connection.close()
        seconds = time.perf_counter() - started
        self.keep_cookies(reply.headers.get_all("Set-Cookie") or [])
        return Response(kind, reply.status, seconds, text, reply.headers.get("Location", ""))

    def keep_cookies(self, set_cookies: list[str]) -> None:
        for header in set_cookies:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]


def csrf_token(page: Response) -> str | None:
    match = CSRF_RE.search(page.body)
    return match.group(1) if match else None


def log_in(browser: Browser, officer: Officer, plan: Plan) -> bool:
    page = browser.get("login-page", "/accounts/login/")
    token = csrf_token(page)
    if page.status != 200 or token is None:
        return False
    form = {"csrfmiddlewaretoken": token, "username": officer.username, "password": plan.password}
    answer = browser.post("login", "/accounts/login/", form)
    return answer.status == 302


def save_return(browser: Browser, officer: Officer, plan: Plan, kpi_id: int, value: int) -> None:
    """Open a return, then save it as a draft at the version the form showed, as htmx does."""
    path = f"/returns/kpi/{kpi_id}/{plan.return_period}/"
    page = browser.get("return-form", path)
    version = version_re(kpi_id).search(page.body)
    token = csrf_token(page)
    if page.status != 200 or version is None or token is None:
        browser.results.add_problem(f"{officer.username} found no return form for KPI {kpi_id}")
        return

    prefix = f"kpi-{kpi_id}-"
    form = {
        "csrfmiddlewaretoken": token,
        f"{prefix}version": version.group(1),
        f"{prefix}value": str(value),
        f"{prefix}commentary": f"Load test save {value} by {officer.username}.",
        f"{prefix}cause": "Load test: invented cause.",
        f"{prefix}recovery": "Load test: invented recovery.",
        f"{prefix}support_needed": "None",
        "action": "draft",
    }
    answer = browser.post("save", path, form, {"HX-Request": "true"})
    browser.results.add_save(judge_save(answer, officer, kpi_id, value, int(version.group(1))))


def judge_save(answer: Response, officer: Officer, kpi_id: int, value: int, sent_version: int) -> Save:
    save = Save(officer.username, kpi_id, value, sent_version, outcome="error")
    if answer.status != 200:
        return save
    if SUCCESS_MARK in answer.body:
        new_version = version_re(kpi_id).search(answer.body)
        save.outcome = "accepted"
        save.new_version = int(new_version.group(1)) if new_version else None
    elif CONFLICT_MARK in answer.body:
        save.outcome = "conflict"
    else:
        summary = ERROR_RE.search(answer.body)
        save.detail = summary.group(1).strip() if summary else answer.body[:200]
    return save


def run_officer(officer: Officer, plan: Plan, results: Results, seed: int) -> None:
    rng = random.Random(seed)
    time.sleep(plan.ramp_seconds * rng.random())
    browser = Browser(plan.port, results)
    if not log_in(browser, officer, plan):
        results.add_problem(f"{officer.username} could not sign in")
        return

    saves = 0
    while not time_is_up(plan):
        browser.get("dashboard", f"/?period={plan.dashboard_period}")
        pause(plan, rng)
        if time_is_up(plan):
            return
        browser.get("my-returns", f"/returns/?period={plan.return_period}")
        pause(plan, rng)
        if time_is_up(plan):
            return
        saves += 1
        save_return(browser, officer, plan, choose_kpi(officer, plan, rng), next_value(officer, saves))
        pause(plan, rng)


def time_is_up(plan: Plan) -> bool:
    return time.monotonic() >= plan.deadline


def choose_kpi(officer: Officer, plan: Plan, rng: random.Random) -> int:
    if rng.random() < plan.shared_share:
        return officer.shared_kpi_id
    return rng.choice(officer.own_kpi_ids)


def next_value(officer: Officer, saves: int) -> int:
    """Return a value no other save in the run sends, so the database can be matched to the save that wrote it."""
    return officer.number * 100_000 + saves


def pause(plan: Plan, rng: random.Random) -> None:
    if plan.think_seconds > 0:
        time.sleep(rng.uniform(0.5, 1.5) * plan.think_seconds)


def run_officers(officers: list[Officer], plan: Plan, *, seed: int = 2025) -> Results:
    results = Results()
    threads = [
        threading.Thread(target=run_officer, args=(officer, plan, results, seed + index), daemon=True)
        for index, officer in enumerate(officers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, plan.deadline - time.monotonic()) + REQUEST_TIMEOUT + 5)
    return results
