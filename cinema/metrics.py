"""The business figures Prometheus scrapes from `/metrics`: every one is defined here.

Code that does the work calls the small helpers below (never the metric objects
directly), so names and labels stay in one place. Under gunicorn the values live
in PROMETHEUS_MULTIPROC_DIR (set by gunicorn.conf.py) and `/metrics` sums them
over the workers; in a single process (runserver, tests) they live in memory.

Gauges that would be per-worker nonsense in multiprocess mode (the outbox lag)
are not stored at all: they are computed when `/metrics` is scraped, from a
callable that the owning app registers (`register_outbox_lag`), so this module
imports no app.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

HOLDS_PLACED = Counter("cinema_holds_placed_total", "Successful hold requests (all seats held).")
SEATS_HELD = Counter("cinema_seats_held_total", "Seats held by successful hold requests.")
HOLDS_REFUSED = Counter("cinema_holds_refused_total", "Hold requests refused, by the domain error code.", ["reason"])
ORDERS = Counter(
    "cinema_orders_total",
    "Orders by outcome: created, confirmed, expired, cancelled, refused.",
    ["outcome"],
)
LOCK_TIMEOUTS = Counter("cinema_lock_timeouts_total", "Row-lock waits that timed out (503 LOCK_TIMEOUT).")
DEADLOCK_RETRIES = Counter("cinema_deadlock_retries_total", "Transactions retried after a deadlock.")
PAYMENTS = Counter(
    "cinema_payments_total",
    "Payment attempts by provider and outcome: succeeded, declined, failed, refunded, late.",
    ["provider", "outcome"],
)
CHECKINS = Counter(
    "cinema_checkins_total",
    "Door check-ins by outcome: admitted, already_checked_in, not_admissible, unknown.",
    ["outcome"],
)
REQUEST_CPU = Counter(
    "cinema_request_cpu_seconds_total",
    'CPU time of the worker thread serving requests, by view (URL name; "(cached)": a read-cache hit).',
    ["view"],
)
REQUESTS_TIMED = Counter("cinema_request_cpu_requests_total", "Requests in cinema_request_cpu_seconds_total.", ["view"])
SERVICE_SECONDS = Histogram(
    "cinema_service_duration_seconds",
    "Time spent in a service function (including lock waits).",
    ["service"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def hold_placed(*, seats: int) -> None:
    """A hold request succeeded with `seats` seats."""
    HOLDS_PLACED.inc()
    SEATS_HELD.inc(seats)


def hold_refused(*, reason: str) -> None:
    """A hold request was refused; `reason` is the error code, e.g. "SEAT_UNAVAILABLE"."""
    HOLDS_REFUSED.labels(reason=reason).inc()


def order_outcome(*, outcome: str) -> None:
    """An order was created / confirmed / expired / cancelled / refused."""
    ORDERS.labels(outcome=outcome).inc()


def lock_timeout() -> None:
    """A row-lock wait timed out."""
    LOCK_TIMEOUTS.inc()


def deadlock_retry() -> None:
    """A transaction is about to be retried after a deadlock."""
    DEADLOCK_RETRIES.inc()


def payment_outcome(*, provider: str, outcome: str) -> None:
    """A payment attempt ended: succeeded, declined, failed, refunded or late."""
    PAYMENTS.labels(provider=provider, outcome=outcome).inc()


def checkin_outcome(*, outcome: str) -> None:
    """A check-in attempt: admitted, already_checked_in, not_admissible or unknown."""
    CHECKINS.labels(outcome=outcome).inc()


@contextmanager
def service_timer(service: str) -> Iterator[None]:
    """Time the block into cinema_service_duration_seconds{service=...}, exceptions included."""
    start = time.perf_counter()
    try:
        yield
    finally:
        SERVICE_SECONDS.labels(service=service).observe(time.perf_counter() - start)


class RequestCpuMiddleware:
    """Counts each request's CPU (its thread's, so threads do not blur it)
    under its view: the mean CPU per request by endpoint is the ratio of the
    two counters (bench/run.py reports it for the crowd). Read-cache hits
    never reach Django: cinema.readfront counts them, as "… (cached)"."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        start = time.thread_time()
        response = self.get_response(request)
        match = request.resolver_match
        request_cpu_count(match.view_name if match is not None else "unrouted", time.thread_time() - start)
        return response


def request_cpu_count(view: str, seconds: float) -> None:
    counters = _request_cpu_counters.get(view)
    if counters is None:  # labels() takes a lock and builds a key: once per view
        counters = _request_cpu_counters.setdefault(
            view, (REQUEST_CPU.labels(view=view), REQUESTS_TIMED.labels(view=view))
        )
    counters[0].inc(seconds)
    counters[1].inc()


_request_cpu_counters: dict[str, tuple] = {}


# --- computed at scrape time ------------------------------------------------------------
_outbox_lag: Callable[[], float] | None = None
_outbox_pending: Callable[[], int] | None = None


def register_outbox_lag(lag: Callable[[], float], pending: Callable[[], int] | None = None) -> None:
    """Register how to read the outbox: `lag()` is the age in seconds of the oldest
    unpublished event (0 when none), `pending()` how many wait. Called once by the
    events app (e.g. in its AppConfig.ready); each scrape calls them (one query each)."""
    global _outbox_lag, _outbox_pending
    _outbox_lag, _outbox_pending = lag, pending


class ScrapeTimeCollector(Collector):
    """Gauges read when scraped, in the scraping process (correct under many workers)."""

    def collect(self):
        for name, doc, fn in (
            ("cinema_outbox_lag_seconds", "Age of the oldest event not yet published.", _outbox_lag),
            ("cinema_outbox_pending", "Events in the outbox not yet published.", _outbox_pending),
        ):
            if fn is None:
                continue
            try:
                value = float(fn())
            except Exception:  # a scrape must not fail because the database hiccupped
                logger.warning("metrics: %s could not be read", name, exc_info=True)
                continue
            yield GaugeMetricFamily(name, doc, value=value)


SCRAPE_TIME = ScrapeTimeCollector()
REGISTRY.register(SCRAPE_TIME)
