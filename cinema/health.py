"""The checks behind `/health`: each answers "ok" or "unreachable", quickly."""

from __future__ import annotations

import logging
import secrets
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import connection

logger = logging.getLogger(__name__)

# The AMQP 0-9-1 protocol header; a broker answers it with Connection.Start (a method frame).
_AMQP_HEADER = b"AMQP\x00\x00\x09\x01"
_FRAME_METHOD = 1


def database_check() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any driver error means the database is unreachable
        logger.warning("health: database unreachable", exc_info=True)
        return "unreachable"
    return "ok"


def cache_check() -> str:
    """A set and a get of a short-lived key: proves the shared cache answers."""
    token = secrets.token_hex(8)
    try:
        cache.set("health:probe", token, timeout=10)
        ok = cache.get("health:probe") == token
    except Exception:
        logger.warning("health: cache unreachable", exc_info=True)
        return "unreachable"
    return "ok" if ok else "unreachable"


def broker_check(url: str, *, timeout: float) -> str:
    """Open a TCP connection and greet the broker: a cheap proof it speaks AMQP."""
    parts = urlsplit(url)
    default_port = 5671 if parts.scheme == "amqps" else 5672
    try:
        with socket.create_connection(
            (parts.hostname or "localhost", parts.port or default_port), timeout=timeout
        ) as s:
            if parts.scheme == "amqps":  # TLS: a connect is as far as a cheap probe goes
                return "ok"
            s.sendall(_AMQP_HEADER)
            first = s.recv(1)
    except OSError:
        logger.warning("health: broker unreachable at %s:%s", parts.hostname, parts.port or default_port)
        return "unreachable"
    return "ok" if first and first[0] == _FRAME_METHOD else "unreachable"


def health_report() -> tuple[bool, dict]:
    """(can serve, body). Only the database decides whether the app can serve; a
    broken cache or broker makes the status "degraded" but still 200."""
    body = {"status": "ok", "database": database_check(), "cache": cache_check()}
    amqp_url = getattr(settings, "AMQP_URL", "")
    if amqp_url:
        body["broker"] = broker_check(amqp_url, timeout=settings.HEALTH_BROKER_TIMEOUT)
    serving = body["database"] == "ok"
    if not serving:
        body["status"] = "error"
    elif any(value != "ok" for key, value in body.items() if key != "status"):
        body["status"] = "degraded"
    return serving, body
