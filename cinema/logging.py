"""Logging helpers."""

import logging


class OneLineClientErrors(logging.Filter):
    """A client's mistake is one log line, not a traceback: refused hosts and
    other suspicious requests (``django.security.*``) and 4xx answers
    (``django.request``) lose their exception info. Anyone can send these by
    the thousand, so a traceback each would flood the logs."""

    def filter(self, record):
        status = getattr(record, "status_code", None)
        client_error = status is not None and 400 <= status < 500
        if record.name.startswith("django.security") or client_error:
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return True
