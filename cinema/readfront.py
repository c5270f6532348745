"""Cached reads answered before Django: ``ReadFront`` wraps the WSGI application
(cinema/wsgi.py) and sends a fresh answer from the read cache
(cinema/readcache.py) to a viewer without credentials, with no middleware,
URL resolving or view. docs/performance.md has what it costs and saves."""

import functools
import io
import time

from corsheaders.middleware import CorsMiddleware
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.core.signals import setting_changed
from django.http import HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware
from django.utils.cache import patch_vary_headers
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle

from cinema import metrics, readcache, request_id
from cinema.throttling import COUNTED, BucketThrottleMixin
from cinema.token_bucket import get_many_and_take


class ReadFront:
    """WSGI, around Django's handler (cinema/wsgi.py): a fresh cached answer to
    a GET without credentials (no Authorization header, no session cookie) and
    from no other origin is sent from here, before Django's middleware, URL
    resolving and view. Django's own code still decides what it can: the
    request is a ``WSGIRequest``, its Host is checked against ALLOWED_HOSTS,
    the headers are the ones Django's middleware would add (``_stack_headers``),
    and the API's anonymous throttle counts the hit in the same Redis command
    that reads the answer (``token_bucket.get_many_and_take``). Anything else (a
    miss, a signed-in viewer, a throttled client, a cross-origin request, a
    plain-HTTP request that SECURE_SSL_REDIRECT sends to HTTPS) goes on to
    Django, where the view builds and stores the answer (``cached_get``).

    A hit is logged and counted as any request is (``cinema.request``'s access
    line, ``cinema_request_cpu_seconds_total{view="… (cached)"}``); it is not
    in django-prometheus's request metrics, which only see what reaches Django."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if (
            environ.get("REQUEST_METHOD") == "GET"
            and "HTTP_AUTHORIZATION" not in environ
            and "HTTP_ORIGIN" not in environ
        ):
            served = _front_serve(environ, start_response)
            if served is not None:
                return served
        return self.app(environ, start_response)


def _front_serve(environ, start_response):
    started, cpu = time.perf_counter(), time.thread_time()
    request = WSGIRequest(environ)
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return None
    spec = readcache.route(request)
    if spec is None:
        return None
    try:
        request.get_host()  # ALLOWED_HOSTS, as Django checks it
    except DisallowedHost:
        return None
    secure = request.is_secure()
    if settings.SECURE_SSL_REDIRECT and not secure:
        return None
    key, versions, cache_control = spec
    entry = _peek_counted(request, key, versions)
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


def _peek_counted(request, key: str, versions: list[str]) -> readcache.Entry | None:
    """``entry_peek``, with the API's anonymous throttles counting the request
    (the first bucket throttle in the same Redis command). None (the request
    goes on to Django) unless the answer is fresh and every throttle lets it
    through. The bucket counted here is named in the environ, so the view
    does not count the request again when it goes on (a stale answer)."""
    if readcache.ttl_seconds() <= 0:
        return None
    polling = "HTTP_IF_NONE_MATCH" in request.META
    request.user = AnonymousUser()  # what DRF's anonymous throttle asks of a request
    throttles = [cls() for cls in api_settings.DEFAULT_THROTTLE_CLASSES if issubclass(cls, AnonRateThrottle)]
    first = throttles.pop(0) if throttles and isinstance(throttles[0], BucketThrottleMixin) else None
    bucket = first.bucket(request, None) if first is not None else None
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


setting_changed.connect(_clear_stack_headers, dispatch_uid="cinema.readfront.stack_headers")
