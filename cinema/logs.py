"""Logging: readable text lines by default, JSON lines with LOG_FORMAT=json.

structlog formats every record — Django's, the app's (stdlib `logging` or
`structlog.get_logger()`) — through one ProcessorFormatter, and each line
carries the request id of the request it was written in (cinema.request_id).
"""

from __future__ import annotations

import logging

import structlog

from cinema import request_id

# Attributes every LogRecord has; anything else came in through `extra=`.
_RECORD_ATTRS = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


def add_request_id(logger, method_name, event_dict):
    rid = request_id.current()
    if rid is not None:
        event_dict.setdefault("request_id", rid)
    return event_dict


def add_record_extra(logger, method_name, event_dict):
    """Copy `extra={...}` fields of a stdlib record into the line."""
    record = event_dict.get("_record")
    if record is not None:
        for key, value in record.__dict__.items():
            # Django's `request` extra is an object; the request id already names the request.
            if key not in _RECORD_ATTRS and key != "request" and not key.startswith("_"):
                event_dict.setdefault(key, value)
    return event_dict


SHARED = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    add_request_id,
]


def logging_config(*, fmt: str, level: str) -> dict:
    """The LOGGING dict for settings; also points structlog at the stdlib handlers."""
    if fmt not in {"json", "text"}:
        raise ValueError(f"LOG_FORMAT must be 'json' or 'text', not {fmt!r}")
    structlog.configure(
        processors=[*SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    if fmt == "json":
        renderer = [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    else:
        renderer = [structlog.dev.ConsoleRenderer(colors=False)]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "cinema": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": [*SHARED, add_record_extra],
                "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer],
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "cinema"}},
        "root": {"handlers": ["console"], "level": level},
        # Django's own console handler (DEBUG only) would print its lines a second time.
        "loggers": {"django": {"handlers": [], "propagate": True}},
    }
