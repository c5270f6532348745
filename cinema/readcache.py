"""Reads that cost nothing when nothing changed: versioned answers in the shared cache.

A cached read names the *versions* it depends on (``"catalog"``,
``"show:12"``, ``"movie-seats:3"``). Writes bump those versions after their
transaction commits (``version_bump``, through ``transaction.on_commit``). An
answer is stored once, rendered (status 200, body bytes, an ETag that is a
hash of the body), together with the versions it was built at and the time it
was built. A request reads the versions and the stored answer in ONE cache
round trip (``get_many``) and, when the versions still match and the answer is
younger than ``READ_CACHE_SECONDS``, answers from it: a ``304`` when the
client's ``If-None-Match`` matches, else the stored bytes. No database query,
no serialiser.

The staleness bound. A bump is best effort: if the cache is unreachable at
commit time the bump is lost. A stored answer is never served once it is
``READ_CACHE_SECONDS`` old (default 2 s), whatever the versions say, so a lost
bump (or a hold lapsing with nobody writing) leaves an answer stale for at most
``READ_CACHE_SECONDS`` (plus a read replica's lag, when the build read one:
such answers are marked, and a poller who sends ``If-None-Match`` never gets
one, so the versions a client sees never step back; docs/scaling.md).
With the cache down, reads are built from the database every time.
Holding and booking never read this cache: they decide on locked rows.

Fresh answers to viewers without credentials, and the signed-in seat map
(the shared map with the viewer's own holds merged in: ``SIGNED_IN``), are
sent before Django's handler by ``cinema.readfront.ReadFront``; everything
else through the views (``cached_get``).

The versions and answers live in ``CACHES["default"]`` (Redis in production;
see docs/performance.md), so every worker and node shares them.
"""

import functools
import hashlib
import logging
import re
import time
from dataclasses import dataclass, replace

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers

from cinema.replicas import current_replica

log = logging.getLogger(__name__)

VERSION_PREFIX = "rc:v:"
ENTRY_PREFIX = "rc:e:"
VERSION_TIMEOUT = 24 * 3600  # an idle version may go: a missing one never matches a stored answer

_now = time.time  # the clock answers are aged by (a test replaces it)


def ttl_seconds() -> float:
    return float(getattr(settings, "READ_CACHE_SECONDS", 2))


@dataclass(frozen=True)
class Entry:
    etag: str  # quoted, as sent in the ETag header
    body: bytes
    content_type: str
    from_replica: bool = False  # built from a read replica: not for pollers
    headers: tuple[tuple[str, str], ...] = ()  # the view's own: Link (cinema/pagination.py), DRF's Allow


# --------------------------------------------------------------------------
# versions
# --------------------------------------------------------------------------
def _bump_now(names) -> None:
    names = list(dict.fromkeys(names))
    incr_versions = getattr(cache, "incr_versions", None)  # cinema.cache.RedisCache: one round trip
    if incr_versions is not None:
        try:
            incr_versions([VERSION_PREFIX + n for n in names], fresh=time.time_ns(), timeout=VERSION_TIMEOUT)
        except Exception:  # the cache blinked: bounded by READ_CACHE_SECONDS
            log.warning("readcache: version bump of %s lost", ", ".join(names), exc_info=True)
        return
    for name in names:
        key = VERSION_PREFIX + name
        try:
            try:
                cache.incr(key)
            except ValueError:  # not there yet (or evicted): any fresh value differs
                cache.set(key, time.time_ns(), timeout=VERSION_TIMEOUT)
        except Exception:  # the cache blinked: bounded by READ_CACHE_SECONDS
            log.warning("readcache: version bump of %s lost", name, exc_info=True)


def version_bump(*names: str) -> None:
    """Move these versions once the current transaction commits (at once outside one)."""
    names = [n for n in names if n]
    if names:
        transaction.on_commit(lambda: _bump_now(names))


def show_versions(show) -> list[str]:
    """The versions a change to a show's seats moves: its seat map, its movie's show list."""
    return [f"show:{show.pk}", f"movie-seats:{show.movie_id}"]


# The cached reads: path -> (key, versions, Cache-Control) for a viewer who sent
# no credentials. The views and ReadFront both read this table.
def _view_key(request) -> str:
    meta = request.META
    return f"view:{request.path_info}?{meta.get('QUERY_STRING', '')}|{meta.get('HTTP_ACCEPT', '')}"


VARY = ("Authorization", "Cookie")  # the shared answer differs for a signed-in viewer

# (path, the view's URL name, its spec)
ROUTES = [
    (
        re.compile(r"^/api/v1/shows/(\d+)/seats$"),
        "api-show-seats",
        lambda m, request: (f"seat-map:{m[1]}", ["catalog", f"show:{m[1]}"], "public, max-age=1"),
    ),
    (
        re.compile(r"^/api/v1/movies$"),
        "api-movies",
        lambda m, request: (_view_key(request), ["catalog"], "public, no-cache"),
    ),
    (
        re.compile(r"^/api/v1/theatres$"),
        "api-theatres",
        lambda m, request: (_view_key(request), ["catalog"], "public, no-cache"),
    ),
    (
        re.compile(r"^/api/v1/movies/(\d+)/shows$"),
        "api-movie-shows",
        lambda m, request: (_view_key(request), ["catalog", f"movie-seats:{m[1]}"], "public, no-cache"),
    ),
]


def route(request) -> tuple[str, list[str], str] | None:
    for pattern, name, spec in ROUTES:
        match = pattern.match(request.path_info)
        if match:
            request.readcache_view = name  # what cinema.metrics counts a cache hit under
            request.readcache_args = match.groups()
            return spec(match, request)
    return None


@dataclass(frozen=True)
class SignedIn:
    """How a route's shared answer becomes a signed-in viewer's:
    ``answer(request, shared entry, *the path's groups) -> Entry`` (the view
    calls it too), sent with ``cache_control``."""

    answer: object
    cache_control: str


# view name -> SignedIn, for the routes whose signed-in answer is built from
# the shared one (registered by the app that owns the view, in its ready()).
SIGNED_IN: dict[str, SignedIn] = {}


def signed_in_register(view_name: str, answer, *, cache_control: str) -> None:
    SIGNED_IN[view_name] = SignedIn(answer, cache_control)


# --------------------------------------------------------------------------
# answers
# --------------------------------------------------------------------------
def entry_keys(key: str, versions: list[str]) -> tuple[list[str], str]:
    return [VERSION_PREFIX + v for v in versions], ENTRY_PREFIX + hashlib.blake2b(
        key.encode(), digest_size=16
    ).hexdigest()


def _servable(entry: Entry, polling: bool) -> bool:
    return not (polling and entry.from_replica)


def entry_peek(*, key: str, versions: list[str], polling: bool = False) -> Entry | None:
    """The stored answer if fresh, else None (no build). ``polling``: the
    client sent If-None-Match, so an answer built from a replica will not do."""
    version_keys, entry_key = entry_keys(key, versions)
    if ttl_seconds() <= 0:
        return None
    try:
        got = cache.get_many([*version_keys, entry_key])
    except Exception:
        return None
    return entry_fresh(got, version_keys, entry_key, polling)


def entry_fresh(got: dict, version_keys: list[str], entry_key: str, polling: bool) -> Entry | None:
    """The answer in ``got`` (what get_many read) if it is still fresh."""
    stored = got.get(entry_key)
    if stored is not None:
        stored_versions, built_at, entry = stored
        fresh = stored_versions == tuple(got.get(k) for k in version_keys) and 0 <= _now() - built_at < ttl_seconds()
        if fresh and _servable(entry, polling):
            return entry
    return None


def entry_get(*, key: str, versions: list[str], build, polling: bool = False) -> Entry | None:
    """The stored answer for ``key`` if fresh, else ``build()`` (an Entry, or
    None for an answer not to store) stored under the versions read *before*
    building: a write that commits meanwhile moves them, so a build that saw
    the old rows is never served past it."""
    version_keys, entry_key = entry_keys(key, versions)
    ttl = ttl_seconds()
    try:
        got = cache.get_many([*version_keys, entry_key]) if ttl > 0 else None
    except Exception:
        log.warning("readcache: cache unreachable, building %s", key, exc_info=True)
        got = None
    if got is None:
        return build()
    current = tuple(got.get(k) for k in version_keys)
    entry = entry_fresh(got, version_keys, entry_key, polling)
    if entry is not None:
        return entry
    entry = build()
    if entry is not None and current_replica() is not None:
        entry = replace(entry, from_replica=True)
    if entry is not None:
        try:
            cache.set(entry_key, (current, _now(), entry), timeout=ttl + 1)
        except Exception:
            log.warning("readcache: could not store %s", key, exc_info=True)
    return entry


def entry_from_bytes(body: bytes, content_type: str = "application/json") -> Entry:
    return Entry(etag=f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"', body=body, content_type=content_type)


def etag_matches(header: str, etag: str) -> bool:
    if not header:
        return False
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or any(t.removeprefix("W/") == etag for t in tags)


def respond(request, entry: Entry, *, cache_control: str = "public, no-cache", vary=()) -> HttpResponse:
    """304 when the client has this answer, else the stored bytes."""
    not_modified = etag_matches(request.headers.get("If-None-Match", ""), entry.etag)
    response = HttpResponseNotModified() if not_modified else HttpResponse(entry.body, content_type=entry.content_type)
    for header, value in answer_headers(entry, cache_control, not_modified=not_modified):
        response[header] = value
    if vary:
        patch_vary_headers(response, list(vary))
    return response


def answer_headers(entry: Entry, cache_control: str, *, not_modified: bool) -> list[tuple[str, str]]:
    """The headers of a stored answer, besides Vary (and Content-Type on a 200)."""
    headers = [("ETag", entry.etag), ("Cache-Control", cache_control)]
    return [*headers, *entry.headers]


def render_drf(view, request, response) -> Entry | None:
    """A DRF Response rendered to an Entry (None unless it is a 200)."""
    if getattr(response, "status_code", None) != 200:
        return None
    response.accepted_renderer = request.accepted_renderer
    response.accepted_media_type = request.accepted_media_type
    response.renderer_context = view.get_renderer_context()
    response.render()
    entry = entry_from_bytes(response.content, response["Content-Type"])
    # What the view adds that the answer keeps: the page's Link, DRF's Allow
    # (set after the view's method returns, so read from the view).
    headers = [("Link", response["Link"])] if "Link" in response else []
    allow = view.default_response_headers.get("Allow")
    return replace(entry, headers=(*headers, ("Allow", allow)) if allow else tuple(headers))


class _Uncached(Exception):
    def __init__(self, response):
        self.response = response


def cached_get(*, when=None, vary=VARY):
    """Decorate an APIView's ``get`` whose path is in ROUTES: its 200 answers are
    served from the shared cache while the route's versions stay put, for
    requests where ``when(request)`` is true (default: not staff). The key is
    the full path with the query and the Accept header."""

    def decorator(method):
        @functools.wraps(method)
        def wrapper(self, request, *args, **kwargs):
            allowed = when(request) if when is not None else not getattr(request.user, "is_staff", False)
            spec = route(request) if allowed else None
            if spec is None:
                return method(self, request, *args, **kwargs)
            key, versions, cache_control = spec

            def build():
                response = method(self, request, *args, **kwargs)
                entry = render_drf(self, request, response)
                if entry is None:
                    raise _Uncached(response)
                return entry

            try:
                entry = entry_get(key=key, versions=versions, build=build, polling="HTTP_IF_NONE_MATCH" in request.META)
            except _Uncached as uncached:
                return uncached.response
            return respond(request, entry, cache_control=cache_control, vary=vary)

        return wrapper

    return decorator


# --------------------------------------------------------------------------
# what bumps what
# --------------------------------------------------------------------------
CATALOG_MODELS = ("catalog.Movie", "catalog.Theatre", "catalog.Screen", "catalog.Seat", "catalog.Show")


def _catalog_changed(sender, **kwargs) -> None:
    version_bump("catalog")


def connect_catalog_signals() -> None:
    """Any saved or deleted movie, theatre, screen, seat or show (a service, the
    admin, a fixture) moves "catalog": the lists, every movie's shows and every
    seat map (a layout or price change reaches them) are rebuilt once."""
    from django.db.models.signals import post_delete, post_save

    for model in CATALOG_MODELS:
        post_save.connect(_catalog_changed, sender=model, dispatch_uid=f"readcache-save-{model}")
        post_delete.connect(_catalog_changed, sender=model, dispatch_uid=f"readcache-delete-{model}")
