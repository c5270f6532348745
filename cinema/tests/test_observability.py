"""Request ids, JSON log lines, /metrics access and figures, /health with a broken cache or broker."""

import io
import json
import logging
import socket

import pytest

from cinema import metrics, request_id
from cinema.logs import logging_config
from tests.api import wsgi_get


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- X-Request-ID -------------------------------------------------------------------------
def test_a_sane_request_id_is_echoed(client):
    response = client.get("/health/live", HTTP_X_REQUEST_ID="edge-1234.abc_DEF")
    assert response["X-Request-ID"] == "edge-1234.abc_DEF"


def test_a_request_id_is_generated_when_absent(client):
    first = client.get("/health/live")["X-Request-ID"]
    second = client.get("/health/live")["X-Request-ID"]
    assert len(first) == 32 and first != second
    assert request_id.sanitize(first) == first


@pytest.mark.parametrize("bad", ["has space", "x" * 65, "semi;colon", "ünïcode", "a\tb"])
def test_an_insane_request_id_is_replaced(client, bad):
    response = client.get("/health/live", HTTP_X_REQUEST_ID=bad)
    assert response["X-Request-ID"] != bad
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_error_responses_carry_the_request_id(client, settings):
    assert client.get("/no-such-page", HTTP_X_REQUEST_ID="r-404")["X-Request-ID"] == "r-404"
    assert client.get("/api/v1/nope", HTTP_X_REQUEST_ID="r-api")["X-Request-ID"] == "r-api"


def test_a_500_carries_the_request_id(client, monkeypatch):
    from cinema import views

    def boom():
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "health_report", boom)
    client.raise_request_exception = False
    response = client.get("/health", HTTP_X_REQUEST_ID="r-500")
    assert response.status_code == 500
    assert response["X-Request-ID"] == "r-500"


def test_current_is_none_outside_a_request(client):
    client.get("/health/live", HTTP_X_REQUEST_ID="gone-after")
    assert request_id.current() is None


# --- logs ---------------------------------------------------------------------------------
@pytest.fixture
def json_log_lines():
    """Route records through the JSON formatter settings build, into a buffer."""
    config = logging_config(fmt="json", level="INFO")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    from structlog.stdlib import ProcessorFormatter

    fmt = config["formatters"]["cinema"]
    handler.setFormatter(ProcessorFormatter(foreign_pre_chain=fmt["foreign_pre_chain"], processors=fmt["processors"]))
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(old_level)


@pytest.mark.django_db
def test_json_log_lines_carry_the_request_id(client, json_log_lines):
    client.get("/no-such-page", HTTP_X_REQUEST_ID="trace-me-1")
    lines = json_log_lines()
    assert lines, "no log line was written"
    for line in lines:
        assert line["request_id"] == "trace-me-1"
    access = [line for line in lines if line["logger"] == "cinema.request"]
    assert access[0]["status"] == 404 and access[0]["path"] == "/no-such-page"
    assert {line["logger"] for line in lines} >= {"django.request", "cinema.request"}


def test_structlog_loggers_carry_the_request_id_too(json_log_lines):
    import structlog

    token = request_id._current.set("from-structlog")
    try:
        structlog.get_logger("cinema.test").warning("hello", seats=3)
    finally:
        request_id._current.reset(token)
    [line] = [line for line in json_log_lines() if line["event"] == "hello"]
    assert line["request_id"] == "from-structlog" and line["seats"] == 3


def test_log_format_must_be_known():
    with pytest.raises(ValueError):
        logging_config(fmt="xml", level="INFO")


# --- /metrics -----------------------------------------------------------------------------
def sample(body: str, name: str, **labels) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(body):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


def test_metrics_from_loopback(client):
    before = sample(client.get("/metrics").content.decode(), "cinema_holds_refused_total", reason="SEAT_UNAVAILABLE")
    metrics.hold_refused(reason="SEAT_UNAVAILABLE")
    metrics.hold_placed(seats=2)
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert sample(body, "cinema_holds_refused_total", reason="SEAT_UNAVAILABLE") == before + 1
    assert sample(body, "cinema_seats_held_total") >= 2
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in body


def test_metrics_count_requests_by_view(client):
    def count(body):
        return sample(body, "django_http_requests_total_by_view_transport_method_total", view="health-live")

    before = count(client.get("/metrics").content.decode())
    for _ in range(3):
        client.get("/health/live")
    assert count(client.get("/metrics").content.decode()) == before + 3


@pytest.mark.django_db
def test_metrics_count_request_cpu_by_view_and_cache_hits_apart(client):
    """The second anonymous movie list is a read-cache hit: counted under its own label."""

    def figures(view):
        body = client.get("/metrics").content.decode()
        return (
            sample(body, "cinema_request_cpu_requests_total", view=view),
            sample(body, "cinema_request_cpu_seconds_total", view=view),
        )

    (built, built_cpu), (hits, hits_cpu) = figures("api-movies"), figures("api-movies (cached)")
    from cinema.wsgi import application

    for _ in range(3):  # through the WSGI app, whose front answers the hits
        assert wsgi_get(application, "/api/v1/movies")[0] == 200
    (built2, built_cpu2), (hits2, hits_cpu2) = figures("api-movies"), figures("api-movies (cached)")
    assert (built2 - built, hits2 - hits) == (1, 2)
    assert built_cpu2 > built_cpu and hits_cpu2 > hits_cpu
    assert figures("metrics")[0] >= 2  # /metrics itself is a view too


@pytest.mark.parametrize("addr", ["203.0.113.9", "10.1.2.3", "::ffff:198.51.100.1", "not-an-ip"])
def test_metrics_refused_from_other_addresses(client, addr):
    response = client.get("/metrics", REMOTE_ADDR=addr)
    assert response.status_code == 404
    assert b"cinema_" not in response.content


def test_metrics_allowed_from_a_configured_network(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8", "2001:db8::/32"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="2001:db8::5").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="11.0.0.1").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200


def test_outbox_lag_is_read_at_scrape_time(client, monkeypatch):
    monkeypatch.setattr(metrics, "_outbox_lag", None)
    monkeypatch.setattr(metrics, "_outbox_pending", None)
    assert "cinema_outbox_lag_seconds" not in client.get("/metrics").content.decode()

    lag = iter([12.5, 3.0])
    metrics.register_outbox_lag(lambda: next(lag), pending=lambda: 7)
    body = client.get("/metrics").content.decode()
    assert sample(body, "cinema_outbox_lag_seconds") == 12.5
    assert sample(body, "cinema_outbox_pending") == 7
    assert sample(client.get("/metrics").content.decode(), "cinema_outbox_lag_seconds") == 3.0


def test_a_failing_outbox_reader_does_not_break_the_scrape(client, monkeypatch):
    def broken():
        raise RuntimeError("database gone")

    monkeypatch.setattr(metrics, "_outbox_pending", None)
    monkeypatch.setattr(metrics, "_outbox_lag", broken)
    response = client.get("/metrics")
    assert response.status_code == 200
    assert "cinema_outbox_lag_seconds" not in response.content.decode()


def test_every_business_helper_counts(client):
    metrics.order_outcome(outcome="confirmed")
    metrics.lock_timeout()
    metrics.deadlock_retry()
    metrics.payment_outcome(provider="test", outcome="declined")
    metrics.checkin_outcome(outcome="admitted")
    with metrics.service_timer("seats_hold"):
        pass
    body = client.get("/metrics").content.decode()
    assert sample(body, "cinema_orders_total", outcome="confirmed") >= 1
    assert sample(body, "cinema_lock_timeouts_total") >= 1
    assert sample(body, "cinema_deadlock_retries_total") >= 1
    assert sample(body, "cinema_payments_total", provider="test", outcome="declined") >= 1
    assert sample(body, "cinema_checkins_total", outcome="admitted") >= 1
    assert sample(body, "cinema_service_duration_seconds_count", service="seats_hold") >= 1


# --- /health ------------------------------------------------------------------------------
def test_liveness_touches_no_database(client):
    # No django_db mark: any query would raise.
    response = client.get("/health/live")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_health_reports_a_down_cache_but_still_serves(client):
    from django.test import override_settings

    redis_nowhere = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
    }
    # Not the `settings` fixture: the autouse cache.clear() must run against a working cache.
    with override_settings(CACHES={"default": redis_nowhere}):
        response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "cache": "unreachable"}


@pytest.mark.django_db
def test_health_reports_a_down_broker_but_still_serves(client, settings):
    settings.AMQP_URL = f"amqp://guest:guest@127.0.0.1:{closed_port()}/%2F"
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "cache": "ok", "broker": "unreachable"}


@pytest.mark.django_db
def test_health_rejects_a_port_that_does_not_speak_amqp(client, settings, live_server):
    # An HTTP server answers the AMQP greeting with something that is not a method frame.
    settings.AMQP_URL = live_server.url.replace("http://", "amqp://")
    assert client.get("/health").json()["broker"] == "unreachable"


@pytest.mark.django_db
def test_health_with_a_real_broker(client, settings):
    settings.AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
    assert client.get("/health").json()["broker"] == "ok"


# --- tracing ------------------------------------------------------------------------------
def test_tracing_off_imports_nothing(tmp_path):
    """Without OTEL_EXPORTER_OTLP_ENDPOINT the app (wsgi + a request) loads no opentelemetry module."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "PYTEST_"))}
    env.update(DEBUG="true", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", CACHE_URL="locmemcache://")
    code = (
        "import sys, cinema.wsgi\n"
        "from django.test import Client\n"
        "assert Client(HTTP_HOST='127.0.0.1').get('/health/live').status_code == 200\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
