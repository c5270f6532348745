"""The load shedder: a request that already waited past OVERLOAD_MAX_WAIT_SECONDS
for a thread gets a fast 503 + Retry-After; a fresh one, a health probe, or a
request outside gunicorn runs."""

import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from django.test import RequestFactory

from cinema import overload


class Worker:
    """The two methods of gunicorn's gthread worker that overload wraps, over a
    real one-thread pool: the queue a busy worker's requests wait in."""

    def __init__(self, path):
        self.pool = ThreadPoolExecutor(max_workers=1)
        self.path = path
        self.answers = []

    def enqueue_req(self, conn):
        return self.pool.submit(self.handle, conn)

    def handle(self, conn):
        middleware = overload.ShedLoadMiddleware(lambda request: "served")
        self.answers.append(middleware(RequestFactory().get(self.path)))


@pytest.fixture
def settings_(settings):
    settings.OVERLOAD_MAX_WAIT_SECONDS = 0.2
    settings.OVERLOAD_RETRY_AFTER = 2
    return settings


def _crowd(path, slow_first=0.4):
    worker = Worker(path)
    overload.watch_gunicorn_worker(worker)
    worker.pool.submit(time.sleep, slow_first)  # the one thread is busy
    futures = [worker.enqueue_req(SimpleNamespace()) for _ in range(3)]
    for f in futures:
        f.result(timeout=5)
    worker.pool.shutdown()
    return worker.answers


def test_requests_that_waited_past_the_bound_get_a_fast_503(settings_):
    answers = _crowd("/api/v1/movies")
    assert len(answers) == 3
    for response in answers:
        assert response.status_code == 503 and response["Retry-After"] == "2"
        assert b'"OVERLOADED"' in response.content


def test_a_short_wait_is_served(settings_):
    assert _crowd("/api/v1/movies", slow_first=0.01) == ["served"] * 3


def test_health_is_never_shed(settings_):
    assert _crowd("/health") == ["served"] * 3


def test_outside_gunicorn_nothing_is_shed(settings_):
    assert overload.waited() == 0
    middleware = overload.ShedLoadMiddleware(lambda request: "served")
    assert middleware(RequestFactory().get("/api/v1/movies")) == "served"
