"""Overload is answered, not queued: a fast 503 with Retry-After when a worker
is past capacity.

Under gunicorn's threaded worker, accepted requests wait in the worker's thread
pool queue for one of its few threads. Past capacity that queue only grows and
every client waits longer, until they all time out. gunicorn.conf.py's
``post_worker_init`` hands the worker to ``watch_gunicorn_worker``, which
stamps each connection when it is queued; ``ShedLoadMiddleware`` runs first in
the stack and, when the request it is given has already waited more than
``OVERLOAD_MAX_WAIT_SECONDS`` (default 3 s, as a row-lock wait) for a thread, answers ``503`` +
``Retry-After`` at once (no session, no database, well under a millisecond).
The queue then drains at that speed instead of at the speed of real work, so
the wait of the requests that are served stays about the bound, and a burst
that clears within it (a rush) is never shed. ``/health`` and ``/metrics`` are
never shed (a probe must see the truth). Under any other server nothing is shed.
"""

import json
import threading
import time

from django.conf import settings
from django.http import HttpResponse

_local = threading.local()

EXEMPT_PREFIXES = ("/health", "/metrics")


def watch_gunicorn_worker(worker) -> None:
    """Stamp a gthread worker's connections when queued, and tell the thread
    that handles one how long it waited."""
    enqueue, handle = getattr(worker, "enqueue_req", None), getattr(worker, "handle", None)
    if enqueue is None or handle is None:
        return

    def enqueue_req(conn):
        conn.cinema_queued_at = time.monotonic()
        return enqueue(conn)

    def handle_stamped(conn):
        _local.queued_at = getattr(conn, "cinema_queued_at", None)
        try:
            return handle(conn)
        finally:
            _local.queued_at = None

    worker.enqueue_req = enqueue_req
    worker.handle = handle_stamped


def waited() -> float:
    """Seconds the current request waited for a thread (0 outside gunicorn)."""
    queued_at = getattr(_local, "queued_at", None)
    return time.monotonic() - queued_at if queued_at is not None else 0.0


_BODY = json.dumps(
    {"error": {"code": "OVERLOADED", "message": "The server is busy right now. Please try again in a moment."}}
).encode()


class ShedLoadMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.OVERLOAD_MAX_WAIT_SECONDS
        if limit and waited() > limit and not request.path.startswith(EXEMPT_PREFIXES):
            response = HttpResponse(_BODY, status=503, content_type="application/json")
            response["Retry-After"] = str(settings.OVERLOAD_RETRY_AFTER)
            response["Cache-Control"] = "no-store"
            return response
        return self.get_response(request)
