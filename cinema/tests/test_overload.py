"""The load shedder: past OVERLOAD_QUEUE_LIMIT requests waiting for a thread,
a fast 503 + Retry-After; below it, and for health probes, the request runs."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from django.test import RequestFactory

from cinema import overload


@pytest.fixture
def busy_worker(settings):
    """A thread pool like gunicorn's gthread worker's, one thread blocked and
    five requests queued behind it."""
    settings.OVERLOAD_QUEUE_LIMIT = 3
    settings.OVERLOAD_RETRY_AFTER = 2
    pool = ThreadPoolExecutor(max_workers=1)
    release = threading.Event()
    for _ in range(6):
        pool.submit(release.wait)
    overload.watch_gunicorn_worker(SimpleNamespace(tpool=pool))
    yield pool
    release.set()
    pool.shutdown(wait=True)
    overload._waiting = None


def _run(path):
    served = []
    middleware = overload.ShedLoadMiddleware(lambda request: served.append(request) or "served")
    return middleware(RequestFactory().get(path)), served


def test_past_the_limit_the_answer_is_a_fast_503(busy_worker):
    assert overload.waiting() == 5
    start = time.perf_counter()
    response, served = _run("/api/v1/movies")
    assert time.perf_counter() - start < 0.01
    assert response.status_code == 503 and response["Retry-After"] == "2" and not served
    assert b'"OVERLOADED"' in response.content


def test_health_is_never_shed(busy_worker):
    assert _run("/health")[0] == "served"


def test_below_the_limit_or_outside_gunicorn_requests_run(settings):
    overload._waiting = None
    assert _run("/api/v1/movies")[0] == "served"
    pool = ThreadPoolExecutor(max_workers=1)
    overload.watch_gunicorn_worker(SimpleNamespace(tpool=pool))
    try:
        assert overload.waiting() == 0 and _run("/api/v1/movies")[0] == "served"
    finally:
        pool.shutdown()
        overload._waiting = None
