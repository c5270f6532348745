"""Overload is answered, not queued: a fast 503 with Retry-After when a worker
is past capacity.

Under gunicorn's threaded worker, accepted requests wait in the worker's thread
pool queue for one of its few threads. Past capacity that queue only grows and
every client waits longer, until they all time out. ``ShedLoadMiddleware`` runs
first in the stack: when a thread picks a request up and more than
``OVERLOAD_QUEUE_LIMIT`` requests are still waiting behind it in this worker,
it answers ``503`` + ``Retry-After`` at once (no session, no database, well
under a millisecond), so the queue drains at that speed instead of at the
speed of real work, and the requests that are served are served in time.
``/health`` and ``/metrics`` are never shed (a probe must see the truth).

gunicorn.conf.py's ``post_worker_init`` hands the worker over
(``watch_gunicorn_worker``); under any other server nothing is shed.
"""

import json

from django.conf import settings
from django.http import HttpResponse

_waiting = None  # a callable: requests queued in this worker, not yet on a thread

EXEMPT_PREFIXES = ("/health", "/metrics")


def watch_gunicorn_worker(worker) -> None:
    """Read the waiting count from a gthread worker's thread pool queue."""
    global _waiting
    queue = getattr(getattr(worker, "tpool", None), "_work_queue", None)
    _waiting = queue.qsize if queue is not None and hasattr(queue, "qsize") else None


def waiting() -> int:
    return _waiting() if _waiting is not None else 0


_BODY = json.dumps(
    {"error": {"code": "OVERLOADED", "message": "The server is busy right now. Please try again in a moment."}}
).encode()


class ShedLoadMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.OVERLOAD_QUEUE_LIMIT
        if limit and waiting() > limit and not request.path.startswith(EXEMPT_PREFIXES):
            response = HttpResponse(_BODY, status=503, content_type="application/json")
            response["Retry-After"] = str(settings.OVERLOAD_RETRY_AFTER)
            response["Cache-Control"] = "no-store"
            return response
        return self.get_response(request)
