"""Read replicas: which requests may read one, which replica, and read-your-writes.

The rules (docs/scaling.md has the why and the staleness bound):

- Only safe requests (GET, HEAD) to the views in ``REPLICA_READ_VIEWS`` (the
  catalogue) and anonymous requests for a seat map (``REPLICA_ANONYMOUS_VIEWS``)
  run under :func:`use_replica`; everything else — every hold, order, payment,
  idempotency record, login, and any read inside a transaction — reads the
  primary. ``cinema.db_router.ReplicaRouter`` applies the flag per query, and
  only for the models in ``REPLICA_MODELS``.
- A seat-map request that carries ``If-None-Match`` has seen a version already:
  it reads the primary, so the versions one client sees never go backwards
  (the primary's only move forwards; a replica's answer may be older than the
  primary's last one). Only the first, unconditional read may come from a
  replica — and that is what a cache miss at the proxy sends.
- A replica that cannot be reached, or whose ``Seconds_Behind_Master`` is
  unknown (replication stopped) or above ``REPLICA_MAX_LAG_SECONDS``, is
  skipped. The check costs one ``SHOW REPLICA STATUS`` per replica per
  ``REPLICA_CHECK_SECONDS`` per process. A replica that fails in the middle of
  a request (or answers 404/5xx) is marked down and the request is answered
  again from the primary.
- Whoever just wrote (an unsafe request that succeeded) reads the primary for
  ``REPLICA_PIN_SECONDS``: a signed cookie for browsers and any client that
  keeps cookies, and a key in the shared cache (``CACHE_URL``) by user id for
  bearer-token clients that do not. Both work on every node.
"""

import contextlib
import contextvars
import logging
import random
import threading
import time

import jwt
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections
from django.http import Http404

log = logging.getLogger(__name__)

PIN_COOKIE = "replica_pin"
_PIN_SALT = "cinema.replicas.pin"
_SAFE_METHODS = {"GET", "HEAD"}

# Catalogue reads anyone may get from a replica (URL names, with namespace).
REPLICA_READ_VIEWS = frozenset(
    {
        "api-movies",
        "api-movie",
        "api-theatres",
        "api-theatre",
        "api-movie-shows",
        "api-shows",
        "api-show",
        "catalog:home",
        "catalog:movie_detail",
    }
)
# Views a replica may answer only for a viewer with no credentials at all.
REPLICA_ANONYMOUS_VIEWS = frozenset({"api-show-seats"})
# Models a replica may serve (app label, or app_label.model_name).
REPLICA_MODELS = frozenset({"catalog", "booking.showseat"})

_replica: contextvars.ContextVar[str | None] = contextvars.ContextVar("cinema_replica", default=None)


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica")]


def current_replica() -> str | None:
    """The replica alias reads may use right now, or None for the primary."""
    return _replica.get()


@contextlib.contextmanager
def use_replica(alias: str | None = None):
    """Let the reads in this block go to ``alias`` (default: a healthy replica).

    Writes, reads inside a transaction and models outside REPLICA_MODELS still
    go to the primary (cinema.db_router). Yields the alias, or None when no
    replica is healthy (then everything reads the primary).
    """
    alias = alias or healthy_replica()
    token = _replica.set(alias)
    try:
        yield alias
    finally:
        _replica.reset(token)


@contextlib.contextmanager
def use_primary():
    """Reads in this block go to the primary, even inside use_replica()."""
    token = _replica.set(None)
    try:
        yield
    finally:
        _replica.reset(token)


# --- health: one SHOW REPLICA STATUS per replica per REPLICA_CHECK_SECONDS -----
_health: dict[str, tuple[float, bool, float | None]] = {}  # alias -> (checked at, usable, lag)
_health_lock = threading.Lock()


def replica_lag(alias: str) -> float | None:
    """Seconds behind the primary as the replica reports it; None when
    replication is not running (or the server is not a replica)."""
    # SHOW REPLICA STATUS: MariaDB 10.5+ and MySQL 8.0.22+ (8.4 dropped SHOW
    # SLAVE STATUS); MariaDB keeps the old column names, MySQL renamed them.
    with connections[alias].cursor() as cursor:
        cursor.execute("SHOW REPLICA STATUS")
        row = cursor.fetchone()
        if row is None:
            return None
        status = {c[0].replace("Slave_", "Replica_"): v for c, v in zip(cursor.description, row, strict=True)}
    running = status.get("Replica_IO_Running") == "Yes" and status.get("Replica_SQL_Running") == "Yes"
    lag = status.get("Seconds_Behind_Master", status.get("Seconds_Behind_Source"))
    return float(lag) if running and lag is not None else None


def replica_usable(alias: str, *, now: float | None = None) -> bool:
    """Whether ``alias`` is up and within REPLICA_MAX_LAG_SECONDS (cached per process)."""
    now = time.monotonic() if now is None else now
    cached = _health.get(alias)
    if cached is not None and now - cached[0] < settings.REPLICA_CHECK_SECONDS:
        return cached[1]
    try:
        lag = replica_lag(alias)
    except DatabaseError as exc:
        log.warning("replica %s unreachable: %s", alias, exc)
        connections[alias].close()
        lag = None
    usable = lag is not None and lag <= settings.REPLICA_MAX_LAG_SECONDS
    with _health_lock:
        _health[alias] = (now, usable, lag)
    return usable


def mark_down(alias: str) -> None:
    """Skip ``alias`` until the next check (it failed in the middle of a request)."""
    with _health_lock:
        _health[alias] = (time.monotonic(), False, None)
    with contextlib.suppress(DatabaseError):
        connections[alias].close()


def healthy_replica() -> str | None:
    """A usable replica, chosen at random among the usable ones; None if none is."""
    aliases = replica_aliases()
    random.shuffle(aliases)
    for alias in aliases:
        if replica_usable(alias):
            return alias
    return None


# --- read-your-writes pin --------------------------------------------------------
def _pin_key(user_id) -> str:
    return f"replica-pin:{user_id}"


def _bearer_user_id(request):
    """The user id claim of a bearer token, not verified: it only decides
    whether this request reads the primary, and authentication still checks
    the token. A forged one can only make its sender read the primary."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    try:
        claims = jwt.decode(header[7:].strip(), options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    return claims.get(settings.SIMPLE_JWT.get("USER_ID_CLAIM", "user_id"))


def is_pinned(request) -> bool:
    """Whether this client wrote in the last REPLICA_PIN_SECONDS."""
    max_age = settings.REPLICA_PIN_SECONDS
    if request.get_signed_cookie(PIN_COOKIE, default=None, salt=_PIN_SALT, max_age=max_age) is not None:
        return True
    user_id = _bearer_user_id(request)
    return user_id is not None and cache.get(_pin_key(user_id)) is not None


def pin(request, response) -> None:
    """Make this client read the primary for REPLICA_PIN_SECONDS."""
    seconds = settings.REPLICA_PIN_SECONDS
    if seconds <= 0:
        return
    response.set_signed_cookie(
        PIN_COOKIE,
        "1",
        salt=_PIN_SALT,
        max_age=seconds,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    # DRF puts the user it authenticated (a bearer token too) on the Django request.
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        cache.set(_pin_key(user.pk), 1, timeout=seconds)


# --- the middleware -----------------------------------------------------------------
def _anonymous(request) -> bool:
    return "Authorization" not in request.headers and settings.SESSION_COOKIE_NAME not in request.COOKIES


def _may_read_replica(request) -> bool:
    if request.method not in _SAFE_METHODS or request.resolver_match is None:
        return False
    name = request.resolver_match.view_name
    if name in REPLICA_ANONYMOUS_VIEWS:
        # A client that has seen a version reads the primary: never older than that.
        if not _anonymous(request) or "If-None-Match" in request.headers:
            return False
    elif name not in REPLICA_READ_VIEWS:
        return False
    return not is_pinned(request)


class ReplicaMiddleware:
    """Run replica-eligible views under use_replica(); pin writers to the primary.

    Put it last in MIDDLEWARE: its process_view calls the view itself, so it
    can answer again from the primary when a replica fails mid-request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in _SAFE_METHODS and response.status_code < 400:
            pin(request, response)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not replica_aliases() or not _may_read_replica(request):
            return None
        with use_replica() as alias:
            if alias is None:
                return None
            try:
                response = view_func(request, *view_args, **view_kwargs)
            except Http404:
                response = None
            except DatabaseError as exc:
                log.warning("replica %s failed mid-request, asking the primary: %s", alias, exc)
                mark_down(alias)
                response = None
        if response is not None and response.status_code < 500 and response.status_code != 404:
            response["X-Read-From"] = "replica"  # diagnostics; the tests read it
            return response
        if response is not None and response.status_code >= 500:
            mark_down(alias)
        # A replica that has not got a new row yet answers 404: ask the primary.
        return view_func(request, *view_args, **view_kwargs)
