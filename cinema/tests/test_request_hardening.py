"""Refusals at the edge: TRACE, chunked bodies, foreign hosts, error pages
that cannot fail, one log line per client error, and the CSP header."""

import io
import logging

import pytest
from django.test import Client

from cinema.logging import OneLineClientErrors

pytestmark = pytest.mark.django_db


def test_trace_is_405():
    for path in ["/", "/api/v1/movies"]:
        r = Client().generic("TRACE", path)
        assert r.status_code == 405 and "TRACE" not in r.get("Allow", "")
    assert Client().generic("TRACE", "/api/v1/movies").json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_chunked_body_without_length_is_411_not_read_as_empty():
    r = Client().generic(
        "POST", "/api/v1/login", b"", content_type="application/json", HTTP_TRANSFER_ENCODING="chunked"
    )
    assert r.status_code == 411 and r.json()["error"]["code"] == "LENGTH_REQUIRED"
    page = Client().generic("POST", "/accounts/login/", b"", HTTP_TRANSFER_ENCODING="chunked")
    assert page.status_code == 411


def test_unknown_host_on_the_api_is_a_json_400(settings):
    settings.DEBUG = False
    r = Client().get("/api/v1/movies", HTTP_HOST="evil.example")
    assert r.status_code == 400 and r.json()["error"]["code"] == "BAD_REQUEST"
    page = Client().get("/", HTTP_HOST="evil.example")
    assert page.status_code == 400 and "couldn't handle that request" in page.content.decode()


@pytest.fixture
def console_log():
    handler = next(
        h for h in logging.getLogger().handlers if any(isinstance(f, OneLineClientErrors) for f in h.filters)
    )
    buffer = io.StringIO()
    old = handler.setStream(buffer)
    yield buffer
    handler.setStream(old)


def test_a_refused_host_logs_one_line_not_a_traceback(settings, console_log):
    settings.DEBUG = False
    Client().get("/", HTTP_HOST="evil.example")
    lines = console_log.getvalue().splitlines()
    assert len(lines) == 1 and "evil.example" in lines[0] and "Traceback" not in console_log.getvalue()


def test_403_records_lose_their_traceback():
    try:
        raise PermissionError("nope")
    except PermissionError:
        import sys

        record = logging.LogRecord("django.request", logging.WARNING, "", 0, "Forbidden: /x", (), sys.exc_info())
    record.status_code = 403
    assert OneLineClientErrors().filter(record) and record.exc_info is None


def test_error_pages_render_without_collectstatic(settings, tmp_path):
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path  # empty: no manifest
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}
    }
    client = Client(raise_request_exception=False)
    missing = client.get("/no/such/page/")
    assert missing.status_code == 404 and "couldn't find that page" in missing.content.decode()
    broken = client.get("/")  # base.html needs the manifest: a real 500
    assert broken.status_code == 500 and "Something went wrong" in broken.content.decode()


def test_pages_carry_a_strict_content_security_policy(client):
    csp = client.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
