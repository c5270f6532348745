"""X-Request-ID: one id per request, echoed on every response and on every log line.

The id is taken from the request's `X-Request-ID` header when it is sane (1-64
characters of letters, digits, `.`, `_`, `-`), so a proxy's or client's id
follows the request through; anything else is replaced by 32 fresh random hex digits.
`current()` gives the id anywhere in the request's thread (log lines, event and
email headers); outside a request it is None.
"""

from __future__ import annotations

import logging
import os
import re
import time
from contextvars import ContextVar

from django.core.signals import request_finished

HEADER = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")
_current: ContextVar[str | None] = ContextVar("request_id", default=None)

access_logger = logging.getLogger("cinema.request")


def current() -> str | None:
    """The id of the request being served in this thread, or None outside one."""
    return _current.get()


def sanitize(value: str | None) -> str:
    """The given id when it is sane, otherwise a new one."""
    if value and _SANE.fullmatch(value):
        return value
    return os.urandom(16).hex()  # as random as uuid4().hex, without building a UUID


class RequestIdMiddleware:
    """Outermost middleware: sets the id before anything can log, adds the header to
    every response (error pages included) and logs one line per request at INFO.

    The id stays set until the response is closed (`request_finished`), not just
    until the middleware returns: Django logs "Not Found: ..." and other 4xx/5xx
    lines after the whole middleware chain, and those lines need the id too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = sanitize(request.headers.get(HEADER))
        request.request_id = request_id
        _current.set(request_id)
        start = time.perf_counter()
        response = self.get_response(request)
        response[HEADER] = request_id
        access_log(request, response.status_code, start)
        return response


def access_log(request, status: int, start: float) -> None:
    """The one INFO line per request (``start``: its time.perf_counter())."""
    if access_logger.isEnabledFor(logging.INFO):
        access_logger.info(
            "%s %s %s",
            request.method,
            request.get_full_path(),
            status,
            extra={
                "method": request.method,
                "path": request.path,
                "status": status,
                "duration_ms": round((time.perf_counter() - start) * 1000, 1),
            },
        )


def _forget(**kwargs) -> None:
    _current.set(None)


request_finished.connect(_forget, dispatch_uid="cinema.request_id.forget")
