"""A bounded load test of the monthly returns, against gunicorn and PostgreSQL on this machine.

    .venv/bin/python loadtest/run.py --users 50 --seconds 60

The script drops and recreates the database named in --database-url, whose
name must start with "pmf_load". It loads the demonstration council, one
officer per user with five KPIs each, and shared KPIs that about ten officers
edit at once. It starts gunicorn on a free port of 127.0.0.1, runs the
officers for the given time and stops everything. Then it checks that the
database contains exactly the saves the server accepted, and reports
latency, throughput, conflicts and worker memory.

Exit status: 0 when every check passes and every target is met, 1 when a
check fails (an error response, a lost or extra save), 2 when the checks
pass but a target is missed.
"""

import argparse
import http.client
import json
import math
import os
import platform
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from loadtest.officers import EXPECTED_STATUS, Plan, Results, run_officers  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/pmf_load"
DATABASE_PREFIX = "pmf_load"
PASSWORD = "load-test-pass-2025"
LATENCY_TARGET_MS = 500
MEMORY_TARGET_MB = 250
READ_KINDS = ("dashboard", "my-returns", "return-form")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50, help="simulated officers (default 50)")
    parser.add_argument("--seconds", type=float, default=60, help="how long the officers work (default 60)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL,
                        help=f"PostgreSQL database to drop and recreate (default {DEFAULT_DATABASE_URL})")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--think-seconds", type=float, default=1.0,
                        help="average pause between an officer's requests (default 1.0; 0 sends back to back)")
    parser.add_argument("--shared-share", type=float, default=0.3,
                        help="share of saves sent to the officer's shared KPI (default 0.3)")
    parser.add_argument("--ramp-seconds", type=float, default=5.0,
                        help="officers sign in at random over this many seconds, at most a fifth of the run "
                             "(default 5)")
    parser.add_argument("--json", type=Path, help="also write the results to this file as JSON")
    options = parser.parse_args(argv)
    if options.users < 1 or options.seconds <= 0:
        parser.error("--users and --seconds must be positive")
    return options


def main(argv=None) -> int:
    options = parse_args(argv)
    started, load_before = time.monotonic(), load_average()
    with tempfile.TemporaryDirectory(prefix="pmf-load-") as scratch:
        environment = configure_environment(options, Path(scratch))
        recreate_database(options.database_url)
        load_set, periods = prepare_database(options)
        print(f"Prepared in {time.monotonic() - started:.1f} s: {len(load_set.officers)} officers, "
              f"{len(load_set.shared_kpi_ids)} shared KPIs; returns for {periods['return']}.", flush=True)
        results, memory = serve_and_run(options, environment, Path(scratch), load_set, periods)

    report = build_report(options, results, memory, load_set, periods)
    report["machine"]["load_average_before"] = load_before
    print_report(report)
    if options.json:
        options.json.write_text(json.dumps(report, indent=2))
    if report["failures"]:
        return 1
    return 2 if report["targets_missed"] else 0


# Setting up -------------------------------------------------------------------


def configure_environment(options, scratch: Path) -> dict:
    """Point this process and gunicorn at the load database with production settings."""
    os.environ.update({
        "DATABASE_URL": options.database_url,
        "DJANGO_SETTINGS_MODULE": "loadtest.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "PMF_LOADTEST_STATIC_ROOT": str(scratch / "static"),
        "PMF_LOG_LEVEL": "WARNING",
    })
    return dict(os.environ)


def database_parts(url: str) -> dict:
    import dj_database_url

    parts = dj_database_url.parse(url)
    if "postgresql" not in parts["ENGINE"]:
        raise SystemExit(f"Invalid --database-url {url!r}: the load test needs a PostgreSQL URL.")
    if not parts["NAME"].startswith(DATABASE_PREFIX):
        raise SystemExit(f"Invalid database name {parts['NAME']!r}: the load test drops its database, so the "
                         f"name must start with {DATABASE_PREFIX!r}.")
    return parts


def connect_to_server(parts: dict):
    import psycopg

    return psycopg.connect(host=parts["HOST"] or None, port=parts["PORT"] or None, user=parts["USER"] or None,
                           password=parts["PASSWORD"] or None, dbname="postgres", autocommit=True)


def recreate_database(url: str) -> None:
    from psycopg import sql

    parts = database_parts(url)
    name = sql.Identifier(parts["NAME"])
    with connect_to_server(parts) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(name))


def prepare_database(options):
    """Migrate, load the demonstration council and the load set, and collect static files."""
    import django
    from django.core.management import call_command

    django.setup()
    from django.db import connections

    from golden_thread.demo import DEMO_AS_AT, load_demo_data
    from loadtest.dataset import build_load_set
    from pmf.periods import Period

    return_period = Period.current()
    with open(os.devnull, "w") as quiet:
        call_command("migrate", verbosity=0, stdout=quiet)
        load_demo_data(stdout=quiet)
        load_set = build_load_set(users=options.users, password=PASSWORD, period=return_period)
        call_command("collectstatic", interactive=False, verbosity=0, stdout=quiet)
    connections.close_all()
    return load_set, {"return": return_period, "dashboard": Period.from_date(DEMO_AS_AT)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Serving and running ------------------------------------------------------------


def serve_and_run(options, environment: dict, scratch: Path, load_set, periods):
    port = free_port()
    log_path = scratch / "gunicorn.log"
    server = start_gunicorn(options.workers, port, environment, log_path)
    watch = ServerWatch(server.pid, database_parts(options.database_url)["NAME"])
    try:
        wait_until_ready(server, port, log_path)
        watch.start()
        plan = Plan(port=port, password=PASSWORD, return_period=periods["return"].code,
                    dashboard_period=periods["dashboard"].code, deadline=time.monotonic() + options.seconds,
                    shared_share=options.shared_share, think_seconds=options.think_seconds,
                    ramp_seconds=min(options.ramp_seconds, options.seconds / 5))
        began, client_cpu_at_start = time.monotonic(), time.process_time()
        results = run_officers(load_set.officers, plan)
        results.began_at, results.run_seconds = began, time.monotonic() - began
        results.client_cpu_seconds = round(time.process_time() - client_cpu_at_start, 1)
        watch.stop()
    finally:
        stop_gunicorn(server)
    results.server_log_tail = log_path.read_text(errors="replace")[-5000:]
    results.cpu_seconds = {**watch.cpu_seconds(), "load_client": results.client_cpu_seconds}
    return results, watch.peaks_mb()


def start_gunicorn(workers: int, port: int, environment: dict, log_path: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "gunicorn", "pmf.wsgi:application", "--workers", str(workers),
               "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT), "--timeout", "60"]
    print("Starting", shlex.join(command[1:]), flush=True)
    with open(log_path, "w") as log:
        return subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)


def wait_until_ready(server: subprocess.Popen, port: int, log_path: Path, timeout: float = 30) -> None:
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn failed to start:\n{log_path.read_text()[-2000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/accounts/login/")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.2)
    raise SystemExit(f"gunicorn timed out: no response within {timeout:.0f} s:\n{log_path.read_text()[-2000:]}")


def stop_gunicorn(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


class ServerWatch:
    """Peak resident memory (VmHWM) of each gunicorn worker, and the CPU time the server and the machine use.

    Samples each second while the test runs, so a worker that gunicorn
    replaces still counts.
    """

    def __init__(self, master_pid: int, database: str):
        self.master_pid = master_pid
        self.database = database
        self.peaks_kb: dict[int, int] = {}
        self.first: dict[str, dict[int, int]] = {}
        self.last: dict[str, dict[int, int]] = {}
        self.machine_busy = [0, 0]
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.watch, daemon=True)

    def start(self) -> None:
        self.first = self.cpu_ticks()
        self.machine_busy[0] = machine_busy_ticks()
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join()
        self.sample()
        self.machine_busy[1] = machine_busy_ticks()

    def watch(self) -> None:
        while not self.stopping.wait(1.0):
            self.sample()

    def sample(self) -> None:
        ticks = self.cpu_ticks()
        for group, by_pid in ticks.items():
            self.last.setdefault(group, {}).update(by_pid)
        for pid in ticks["gunicorn_workers"]:
            peak = peak_rss_kb(pid)
            if peak is not None:
                self.peaks_kb[pid] = max(peak, self.peaks_kb.get(pid, 0))

    def cpu_ticks(self) -> dict[str, dict[int, int]]:
        processes = list(process_stats())
        return {
            "gunicorn_workers": {pid: ticks for pid, parent, ticks, _ in processes if parent == self.master_pid},
            "postgresql_backends": {pid: ticks for pid, _, ticks, command in processes
                                    if command.startswith("postgres:") and f" {self.database} " in command},
        }

    def peaks_mb(self) -> dict[int, float]:
        return {pid: round(kb / 1024, 1) for pid, kb in sorted(self.peaks_kb.items())}

    def cpu_seconds(self) -> dict[str, float]:
        """Return the CPU seconds each group of processes used since `start()`, and the whole machine's."""
        tick = os.sysconf("SC_CLK_TCK")
        used = {}
        for group, by_pid in self.last.items():
            baseline = self.first.get(group, {})
            used[group] = round(sum(ticks - baseline.get(pid, 0) for pid, ticks in by_pid.items()) / tick, 1)
        used["whole_machine"] = round((self.machine_busy[1] - self.machine_busy[0]) / tick, 1)
        return used


def process_stats():
    """Yield (pid, parent pid, user and system CPU ticks, command line) for every process that can be read."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        yield int(stat.parent.name), int(fields[1]), int(fields[11]) + int(fields[12]), command


def machine_busy_ticks() -> int:
    """Return the CPU ticks all processors have spent busy since boot: everything but idle and I/O wait."""
    fields = [int(field) for field in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields) - fields[3] - fields[4]


def peak_rss_kb(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    return int(match.group(1)) if match else None


# Checking and reporting -------------------------------------------------------------


def percentile(values: list[float], share: float) -> float | None:
    """Return the nearest-rank percentile: the smallest value with at least `share` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def latency_summary(seconds: list[float]) -> dict:
    summary = {"count": len(seconds)}
    for name, share in (("p50_ms", 0.50), ("p95_ms", 0.95), ("p99_ms", 0.99)):
        value = percentile(seconds, share)
        summary[name] = None if value is None else round(value * 1000, 1)
    summary["max_ms"] = round(max(seconds) * 1000, 1) if seconds else None
    return summary


def response_failures(results: Results) -> list[str]:
    failures = []
    for response in results.responses:
        if response.status != EXPECTED_STATUS[response.kind]:
            failures.append(f"{response.kind}: status {response.status} {response.error}".rstrip())
    for save in results.saves:
        if save.outcome == "error":
            failures.append(f"save to KPI {save.kpi_id} neither accepted nor a conflict: {save.detail[:200]}")
    return [*failures, *results.problems]


def build_report(options, results: Results, memory: dict, load_set, periods) -> dict:
    from loadtest.dataset import check_saves

    kpi_ids = [kpi_id for officer in load_set.officers for kpi_id in officer.own_kpi_ids] + load_set.shared_kpi_ids
    failures = response_failures(results) + check_saves(saves=results.saves, kpi_ids=kpi_ids,
                                                        period=periods["return"])
    accepted = [save for save in results.saves if save.outcome == "accepted"]
    if not accepted:
        failures.append("no save was accepted, so nothing was checked")

    run_seconds = results.run_seconds
    latencies = {kind: [r.seconds for r in results.responses if r.kind == kind] for kind in EXPECTED_STATUS}
    reads = [seconds for kind in READ_KINDS for seconds in latencies[kind]]
    signed_in_at = max((r.sent_at + r.seconds for r in results.responses if r.kind == "login"), default=0.0)
    after_sign_in = [r for r in results.responses if r.sent_at > signed_in_at]
    shared = set(load_set.shared_kpi_ids)
    report = {
        "machine": machine(options.database_url),
        "command": shlex.join(["loadtest/run.py", *sys.argv[1:]]),
        "settings": {"users": options.users, "seconds": options.seconds, "workers": options.workers,
                     "ramp_seconds": min(options.ramp_seconds, options.seconds / 5),
                     "think_seconds": options.think_seconds, "shared_share": options.shared_share,
                     "return_period": periods["return"].code, "dashboard_period": periods["dashboard"].code},
        "run_seconds": round(run_seconds, 1),
        "requests": len(results.responses),
        "requests_per_second": round(len(results.responses) / run_seconds, 1),
        "status_counts": status_counts(results),
        "reads": latency_summary(reads),
        "saves": latency_summary(latencies["save"]),
        "by_kind": {kind: latency_summary(values) for kind, values in latencies.items()},
        "after_last_sign_in": {
            "reads": latency_summary([r.seconds for r in after_sign_in if r.kind in READ_KINDS]),
            "saves": latency_summary([r.seconds for r in after_sign_in if r.kind == "save"]),
        },
        "timeline": timeline(results),
        "cpu_seconds": {"available": round((os.cpu_count() or 1) * run_seconds, 1), **results.cpu_seconds},
        "saves_accepted": len(accepted),
        "saves_accepted_shared": sum(1 for save in accepted if save.kpi_id in shared),
        "conflicts": sum(1 for save in results.saves if save.outcome == "conflict"),
        "worker_peak_rss_mb": memory,
        "failures": failures,
        "server_log_tail": results.server_log_tail,
    }
    report["targets_missed"] = targets_missed(report)
    return report


def timeline(results: Results, slice_seconds: int = 10) -> list[dict]:
    """Summarise requests and latency per slice of the run, to tell a slow start from a slow steady state."""
    slices: dict[int, list[float]] = {}
    for response in results.responses:
        index = int((response.sent_at - results.began_at) // slice_seconds)
        slices.setdefault(index, []).append(response.seconds)
    return [{"from_second": index * slice_seconds, **latency_summary(seconds)}
            for index, seconds in sorted(slices.items())]


def status_counts(results: Results) -> dict[str, int]:
    counts: dict[str, int] = {}
    for response in results.responses:
        counts[str(response.status)] = counts.get(str(response.status), 0) + 1
    return dict(sorted(counts.items()))


def targets_missed(report: dict) -> list[str]:
    missed = []
    for name in ("reads", "saves"):
        p95 = report[name]["p95_ms"]
        if p95 is not None and p95 >= LATENCY_TARGET_MS:
            missed.append(f"{name} p95 {p95} ms is not under {LATENCY_TARGET_MS} ms")
    for pid, peak in report["worker_peak_rss_mb"].items():
        if peak >= MEMORY_TARGET_MB:
            missed.append(f"worker {pid} peak RSS {peak} MB is not under {MEMORY_TARGET_MB} MB")
    if not report["worker_peak_rss_mb"]:
        missed.append("no gunicorn worker's memory could be read")
    return missed


def machine(database_url: str) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    return {"cpus": os.cpu_count(), "memory_gb": round(total_memory_kb() / 1024 / 1024, 1),
            "python": platform.python_version(), "postgresql": postgres}


def load_average() -> str:
    """Return the load averages over one, five and fifteen minutes: other work on the machine skews the figures."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def total_memory_kb() -> int:
    match = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
    return int(match.group(1)) if match else 0


def print_report(report: dict) -> None:
    print(f"Machine: {report['machine']}")
    print(f"Ran {report['settings']['users']} officers for {report['run_seconds']} s: {report['requests']} requests, "
          f"{report['requests_per_second']} per second; statuses {report['status_counts']}")
    for name in ("reads", "saves"):
        row = report[name]
        print(f"{name:>6}: {row['count']} requests, p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms, "
              f"p99 {row['p99_ms']} ms (target p95 under {LATENCY_TARGET_MS} ms)")
    login = report["by_kind"]["login"]
    print(f"sign-in: {login['count']} requests, p50 {login['p50_ms']} ms, p95 {login['p95_ms']} ms")
    for name, row in report["after_last_sign_in"].items():
        print(f"{name:>6} once all had signed in: {row['count']} requests, p50 {row['p50_ms']} ms, "
              f"p95 {row['p95_ms']} ms, p99 {row['p99_ms']} ms")
    print(f"CPU seconds: {report['cpu_seconds']}")
    print(f"Saves accepted: {report['saves_accepted']} ({report['saves_accepted_shared']} to shared KPIs); "
          f"conflicts reported: {report['conflicts']}")
    print(f"Worker peak RSS (MB): {report['worker_peak_rss_mb']} (target under {MEMORY_TARGET_MB} MB)")
    for failure in report["failures"][:20]:
        print(f"FAILED: {failure}")
    if len(report["failures"]) > 20:
        print(f"... and {len(report['failures']) - 20} more failures")
    if report["failures"] and report["server_log_tail"].strip():
        print(f"End of the gunicorn log:\n{report['server_log_tail']}")
    for missed in report["targets_missed"]:
        print(f"TARGET MISSED: {missed}")
    if not report["failures"]:
        print("Database holds exactly the accepted saves: versions, final values and history rows match.")


if __name__ == "__main__":
    sys.exit(main())
