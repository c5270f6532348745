"""/metrics under real gunicorn with two worker processes: the figures are the sum."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, **headers) -> urllib.request.http.client.HTTPResponse:
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10)


@pytest.fixture
def gunicorn(tmp_path):
    port = free_port()
    access_log = tmp_path / "access.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROMETHEUS_", "PYTEST_", "DJANGO_"))}
    env.update(
        DEBUG="true",
        DJANGO_SETTINGS_MODULE="cinema.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        CACHE_URL="locmemcache://",
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="1",
        GUNICORN_BIND=f"127.0.0.1:{port}",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "cinema.wsgi:application",
         "--access-logfile", str(access_log), "--access-logformat", "%(p)s %(U)s"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            get(base + "/health/live")
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("gunicorn did not start:\n" + proc.stdout.read().decode())
            time.sleep(0.2)
    try:
        yield base, access_log
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def value(body: str, name: str, **labels) -> float:
    total = 0.0
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                total += s.value
    return total


def test_request_counts_are_summed_over_two_workers(gunicorn):
    base, access_log = gunicorn
    name = "django_http_requests_total_by_view_transport_method_total"
    first = get(base + "/metrics").read().decode()
    before = value(first, name, view="health-live")
    before_200 = value(
        first, "django_http_responses_total_by_status_view_method_total", view="health-live", status="200"
    )
    for i in range(REQUESTS):  # a new connection each time: SO_REUSEPORT spreads them
        assert get(base + "/health/live", **{"X-Request-ID": f"n{i}"}).headers["X-Request-ID"] == f"n{i}"

    served_by = {line.split()[0] for line in access_log.read_text().splitlines() if line.endswith("/health/live")}
    assert len(served_by) == 2, f"only worker(s) {served_by} answered; the sum would prove nothing"
    for _ in range(4):  # whichever worker answers the scrape, it reports both workers' figures
        body = get(base + "/metrics").read().decode()
        assert value(body, name, view="health-live") - before == REQUESTS
        assert value(body, "django_http_requests_latency_seconds_by_view_method_count", view="health-live") >= REQUESTS
    responses = "django_http_responses_total_by_status_view_method_total"
    assert value(body, responses, view="health-live", status="200") - before_200 == REQUESTS


def test_business_counters_are_summed_over_processes(tmp_path):
    """Two processes count holds into one PROMETHEUS_MULTIPROC_DIR; a third serves /metrics."""
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROMETHEUS_", "PYTEST_"))}
    env.update(
        DEBUG="true",
        CACHE_URL="locmemcache://",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    count = "from cinema import metrics; metrics.hold_placed(seats=2); metrics.hold_refused(reason='HOLD_LIMIT')"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], cwd=ROOT, env=env, check=True, timeout=60)
    scrape = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "print(Client(HTTP_HOST='127.0.0.1').get('/metrics').content.decode())\n"
    )
    env["DJANGO_SETTINGS_MODULE"] = "cinema.settings"
    body = subprocess.run(
        [sys.executable, "-c", scrape], cwd=ROOT, env=env, check=True, timeout=60, capture_output=True, text=True
    ).stdout
    assert value(body, "cinema_holds_placed_total") == 2
    assert value(body, "cinema_seats_held_total") == 4
    assert value(body, "cinema_holds_refused_total", reason="HOLD_LIMIT") == 2
