"""Cached reads answered before Django: ``ReadFront`` wraps the WSGI application
(cinema/wsgi.py) and sends a fresh answer from the read cache
(cinema/readcache.py) to a viewer without credentials, or to a signed-in one
where the route says how (the seat map), with no middleware, URL resolving or
view. docs/performance.md has what it costs and saves."""

import functools
import io
import time

from corsheaders.middleware import CorsMiddleware
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import signals
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.core.signals import setting_changed
from django.http import HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware
from django.utils.cache import patch_vary_headers
from rest_framework.exceptions import APIException
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle
from rest_framework_simplejwt.authentication import JWTAuthentication

from cinema import metrics, readcache, request_id
from cinema.throttling import COUNTED, BucketThrottleMixin
from cinema.token_bucket import get_many_and_take


class ReadFront:
    """WSGI, around Django's handler (cinema/wsgi.py): a fresh cached answer to
    a GET from no other origin and with no session cookie is sent from here,
    before Django's middleware, URL resolving and view, to a viewer without
    credentials, and to a viewer with a bearer token where the route has a
    signed-in answer built from the shared one (``readcache.SIGNED_IN``: the
    seat map with the viewer's holds merged in). Django's own code still
    decides what it can: the request is a ``WSGIRequest``, its Host is
    checked against ALLOWED_HOSTS, the token is checked and its user read by
    the API's own authentication class, the headers are the ones Django's
    middleware would add (``_stack_headers``), and the API's throttle counts
    the hit in the same Redis command that reads the answer
    (``token_bucket.get_many_and_take``). Anything else (a miss, a bad token,
    a throttled client, a cross-origin request, a plain-HTTP request that
    SECURE_SSL_REDIRECT sends to HTTPS) goes on to Django, where the view
    builds and stores the answer (``cached_get``) or says what is wrong.

    A hit is logged and counted as any request is (``cinema.request``'s access
    line, ``cinema_request_cpu_seconds_total{view="… (cached)"}``); it is not
    in django-prometheus's request metrics, which only see what reaches Django."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET" and "HTTP_ORIGIN" not in environ:
            served = _front_serve(environ, start_response)
            if served is not None:
                return served
        return self.app(environ, start_response)


def _front_serve(environ, start_response):
    started, cpu = time.perf_counter(), time.thread_time()
    request = WSGIRequest(environ)
    if "HTTP_COOKIE" in environ and settings.SESSION_COOKIE_NAME in request.COOKIES:
        return None
    spec = readcache.route(request)
    if spec is None:
        return None
    signed_in = None
    if "HTTP_AUTHORIZATION" in environ:
        signed_in = readcache.SIGNED_IN.get(request.readcache_view)
        if signed_in is None:
            return None
    if not _host_allowed(request):
        return None
    secure = request.is_secure()
    if settings.SECURE_SSL_REDIRECT and not secure:
        return None
    key, versions, cache_control = spec
    if signed_in is None:
        request.user = AnonymousUser()  # what DRF's anonymous throttle asks of a request
        entry = _peek_counted(request, key, versions)
    else:
        entry = _signed_in_answer(request, key, versions, signed_in)
        cache_control = signed_in.cache_control
    if entry is None:
        return None
    not_modified = readcache.etag_matches(environ.get("HTTP_IF_NONE_MATCH", ""), entry.etag)
    headers = readcache.answer_headers(entry, cache_control, not_modified=not_modified)
    if not not_modified:
        headers += [("Content-Type", entry.content_type), ("Content-Length", str(len(entry.body)))]
    rid = request_id.sanitize(environ.get("HTTP_X_REQUEST_ID"))
    headers += [*_stack_headers(secure), (request_id.HEADER, rid)]
    start_response("304 Not Modified" if not_modified else "200 OK", headers)
    token = request_id._current.set(rid)  # for the access line
    try:
        request_id.access_log(request, 304 if not_modified else 200, started)
    finally:
        request_id._current.reset(token)
    metrics.request_cpu_count(f"{request.readcache_view} (cached)", time.thread_time() - cpu)
    return [b""] if not_modified else [entry.body]


def _signed_in_answer(request, key: str, versions: list[str], signed_in) -> readcache.Entry | None:
    """The signed-in viewer's answer, or None (the request goes on to Django):
    the bearer token checked and its user read by the API's first
    authentication class (simplejwt's), the user's throttle counted, then
    ``signed_in.answer`` on the fresh shared answer. The database is used, so
    its connections are looked after as Django's handler does (the
    request_started and request_finished signals)."""
    authenticators = api_settings.DEFAULT_AUTHENTICATION_CLASSES
    if not authenticators or not issubclass(authenticators[0], JWTAuthentication):
        return None
    signals.request_started.send(sender=WSGIHandler, environ=request.environ)
    try:
        try:
            authenticated = authenticators[0]().authenticate(request)
        except APIException:
            return None  # Django answers it (401)
        if authenticated is None:
            return None
        request.user, request.auth = authenticated
        entry = _peek_counted(request, key, versions, polling=True)  # signed in: never a replica's map
        return None if entry is None else signed_in.answer(request, entry, *request.readcache_args)
    finally:
        signals.request_finished.send(sender=WSGIHandler)


def _peek_counted(request, key: str, versions: list[str], *, polling: bool = False) -> readcache.Entry | None:
    """``entry_peek``, with the API's throttles counting the request: the
    first bucket throttle that counts it in the same Redis command (for a
    viewer without credentials the anonymous throttles only). None (the
    request goes on to Django) unless the answer is fresh and every throttle
    lets it through. The bucket counted here is named in the environ, so the
    view does not count the request again when it goes on (a stale answer).
    ``polling``: as entry_peek's, also when the client sent If-None-Match."""
    if readcache.ttl_seconds() <= 0:
        return None
    polling = polling or "HTTP_IF_NONE_MATCH" in request.META
    anonymous = not request.user.is_authenticated
    throttles = [
        cls() for cls in api_settings.DEFAULT_THROTTLE_CLASSES if not anonymous or issubclass(cls, AnonRateThrottle)
    ]
    bucket = None
    for throttle in throttles:
        bucket = throttle.bucket(request, None) if isinstance(throttle, BucketThrottleMixin) else None
        if bucket is not None:
            throttles.remove(throttle)
            break
    if bucket is None:
        entry = readcache.entry_peek(key=key, versions=versions, polling=polling)
    else:
        version_keys, entry_key = readcache.entry_keys(key, versions)
        try:
            got, wait = get_many_and_take([*version_keys, entry_key], key=bucket[0], rate=bucket[1])
        except Exception:
            return None
        if wait:
            return None
        request.META[COUNTED] = bucket[0]
        entry = readcache.entry_fresh(got, version_keys, entry_key, polling)
    if entry is None or not all(t.allow_request(request, None) for t in throttles):
        return None
    return entry


# The Host headers Django has let through (an environ's HTTP_X_FORWARDED_HOST,
# HTTP_HOST, SERVER_NAME and SERVER_PORT), bounded; emptied when settings change.
_hosts_allowed: set[tuple] = set()
_HOSTS_KEPT = 64


def _host_allowed(request) -> bool:
    """ALLOWED_HOSTS, as Django checks it (``get_host``), once per Host header
    seen: splitting and matching the host against every pattern was about a
    tenth of a hit's CPU (under cProfile)."""
    environ = request.environ
    seen = (
        environ.get("HTTP_X_FORWARDED_HOST"),
        environ.get("HTTP_HOST"),
        environ.get("SERVER_NAME"),
        environ.get("SERVER_PORT"),
    )
    if seen in _hosts_allowed:
        return True
    try:
        request.get_host()
    except DisallowedHost:
        return False  # never kept: a refused Host is checked each time, and costs nothing to remember
    if len(_hosts_allowed) < _HOSTS_KEPT:
        _hosts_allowed.add(seen)
    return True


@functools.lru_cache(maxsize=2)
def _stack_headers(secure: bool) -> tuple[tuple[str, str], ...]:
    """What Django's middleware adds to an API answer to a request without an
    Origin (security headers, HSTS only over HTTPS, X-Frame-Options, the Vary
    of CORS), from the middleware's own code: once per process and scheme."""

    class Request(WSGIRequest):
        def is_secure(self):
            return secure

    request = Request({"REQUEST_METHOD": "GET", "PATH_INFO": "/api/v1/", "wsgi.input": io.BytesIO()})
    response = HttpResponse()
    patch_vary_headers(response, readcache.VARY)
    for add_headers in (
        SecurityMiddleware(lambda request: None).process_response,
        XFrameOptionsMiddleware(lambda request: None).process_response,
        CorsMiddleware(lambda request: None).add_response_headers,
    ):
        response = add_headers(request, response)
    return tuple((h, v) for h, v in response.items() if h != "Content-Type")


def _clear_stack_headers(**kwargs) -> None:
    _stack_headers.cache_clear()
    _hosts_allowed.clear()


setting_changed.connect(_clear_stack_headers, dispatch_uid="cinema.readfront.stack_headers")
