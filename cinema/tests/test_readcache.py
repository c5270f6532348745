"""Cached reads (cinema/readcache.py): zero queries on a hit, writes move the
versions after commit, a lost bump is stale at most READ_CACHE_SECONDS, and the
versions are shared across processes through real Redis (db 9)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.tokens import AccessToken

from booking.services import booking_confirm, seats_hold, seats_release_all
from booking.tests.helpers import make_show
from catalog import services as catalog_services
from cinema import readcache, readfront
from cinema.cache import RedisCache
from cinema.wsgi import application as django_application
from tests.api import client_for, seat_ids, wsgi_get
from tests.factories import MovieFactory, TheatreFactory, UserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/9"


@pytest.fixture
def clock(monkeypatch):
    """readcache's clock, moved by hand."""
    now = [1_000_000.0]
    monkeypatch.setattr(readcache, "_now", lambda: now[0])
    return now


def _map(client, show, **headers):
    return client.get(f"/api/v1/shows/{show.pk}/seats", headers=headers)


def _status(response, pk):
    return next(s["status"] for s in response.json() if s["id"] == pk)


def test_anonymous_map_hit_and_304_cost_no_query(django_assert_num_queries, clock):
    show = make_show("SSSS")
    anon = client_for()
    first = _map(anon, show)
    assert first.status_code == 200 and first["ETag"]
    with django_assert_num_queries(0):
        again = _map(anon, show)
    assert again.content == first.content and again["ETag"] == first["ETag"]
    with django_assert_num_queries(0):
        not_modified = _map(anon, show, if_none_match=first["ETag"])
    assert not_modified.status_code == 304 and not_modified["ETag"] == first["ETag"]


def test_a_hold_moves_the_map_after_commit(django_capture_on_commit_callbacks, clock):
    show = make_show("SSSS")
    ids = seat_ids(show)
    anon = client_for()
    etag = _map(anon, show)["ETag"]
    with django_capture_on_commit_callbacks(execute=True):
        seats_hold(user=UserFactory(), show=show, seat_ids=ids[:1])
    after = _map(anon, show, if_none_match=etag)
    assert after.status_code == 200 and _status(after, ids[0]) == "LOCKED"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        seats_release_all(user=show.show_seats.get(pk=ids[0]).held_by, show=show)
    assert callbacks, "releasing bumps after commit"
    assert _status(_map(anon, show), ids[0]) == "AVAILABLE"


def test_a_lost_bump_is_stale_at_most_the_ttl(settings, monkeypatch, clock):
    settings.READ_CACHE_SECONDS = 2
    show = make_show("SSSS")
    ids = seat_ids(show)
    anon = client_for()
    assert _status(_map(anon, show), ids[0]) == "AVAILABLE"
    monkeypatch.setattr(readcache, "_bump_now", lambda names: None)  # Redis blinked at commit
    user = UserFactory()
    seats_hold(user=user, show=show, seat_ids=ids[:1])
    booking_confirm(user=user, show=show, seat_ids=ids[:1])
    clock[0] += 1.9
    assert _status(_map(anon, show), ids[0]) == "AVAILABLE"  # stale, within the bound
    clock[0] += 0.2
    assert _status(_map(anon, show), ids[0]) == "SOLD"  # past the bound: rebuilt from the database


def test_logged_in_viewer_sees_own_hold_with_one_query(django_assert_max_num_queries, clock):
    show = make_show("SSSS")
    ids = seat_ids(show)
    me, other = UserFactory(), UserFactory()
    seats_hold(user=me, show=show, seat_ids=ids[:1])
    seats_hold(user=other, show=show, seat_ids=ids[1:2])
    _map(client_for(), show)  # the shared map is cached
    mine = client_for(me)
    with django_assert_max_num_queries(2):  # the JWT's user, the viewer's own holds
        body = _map(mine, show)
    seats = {s["id"]: s for s in body.json()}
    assert seats[ids[0]]["mine"] and seats[ids[0]]["expires_at"] and seats[ids[0]]["status"] == "LOCKED"
    assert not seats[ids[1]]["mine"] and seats[ids[1]]["expires_at"] is None and seats[ids[1]]["status"] == "LOCKED"
    assert _map(mine, show, if_none_match=body["ETag"]).status_code == 304
    anon_seat = next(s for s in _map(client_for(), show).json() if s["id"] == ids[0])
    assert not anon_seat["mine"] and anon_seat["expires_at"] is None
    assert body["Cache-Control"] == "private, no-cache"


def test_catalogue_lists_and_movie_shows_are_cached_and_moved_by_writes(
    django_assert_num_queries, django_capture_on_commit_callbacks, clock
):
    show = make_show("SSSS")
    anon = client_for()
    paths = ["/api/v1/movies", "/api/v1/theatres", f"/api/v1/movies/{show.movie_id}/shows"]
    first = {p: anon.get(p) for p in paths}
    assert all(r.status_code == 200 for r in first.values())
    for path in paths:
        with django_assert_num_queries(0):
            assert anon.get(path).content == first[path].content
        with django_assert_num_queries(0):
            assert anon.get(path, headers={"if-none-match": first[path]["ETag"]}).status_code == 304
    with django_capture_on_commit_callbacks(execute=True):
        catalog_services.movie_create(
            title="Brand new", duration_mins=100, description="x", rating="UA", language="English", genres=["Drama"]
        )
        TheatreFactory(name="Zeta", city="Pune")
    assert b"Brand new" in anon.get("/api/v1/movies").content
    assert b"Zeta" in anon.get("/api/v1/theatres").content
    with django_capture_on_commit_callbacks(execute=True):
        seats_hold(user=UserFactory(), show=show, seat_ids=seat_ids(show, 1))
    shows = anon.get(f"/api/v1/movies/{show.movie_id}/shows")
    assert shows["ETag"] != first[paths[2]]["ETag"]


def test_staff_and_errors_are_not_cached(staff, clock):
    movie = MovieFactory(is_active=False)
    assert client_for().get(f"/api/v1/movies/{movie.pk}/shows").status_code == 404
    assert client_for(staff).get(f"/api/v1/movies/{movie.pk}/shows").status_code == 200
    assert client_for().get("/api/v1/shows/999999/seats").status_code == 404


@pytest.fixture
def redis_cache(settings):
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()  # no Redis: the test fails, it does not skip
    client.flushdb()
    settings.CACHES = {"default": {"BACKEND": "cinema.cache.RedisCache", "LOCATION": REDIS_URL}}
    yield cache
    client.flushdb()


def test_versions_are_shared_across_processes_through_redis(redis_cache, clock):
    built = []

    def build():
        built.append(1)
        return readcache.entry_from_bytes(b"[%d]" % len(built))

    assert readcache.entry_get(key="k", versions=["show:77"], build=build).body == b"[1]"
    assert readcache.entry_get(key="k", versions=["show:77"], build=build).body == b"[1]"
    code = "import django; django.setup(); from cinema import readcache; readcache._bump_now(['show:77'])"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cinema.settings", "CACHE_URL": REDIS_URL}
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=60)
    assert readcache.entry_get(key="k", versions=["show:77"], build=build).body == b"[2]"
    assert len(built) == 2


def test_an_unreachable_cache_builds_every_time(monkeypatch, clock):
    monkeypatch.setattr(readcache, "cache", RedisCache("redis://127.0.0.1:1/0", {}))
    built = []

    def build():
        built.append(1)
        return readcache.entry_from_bytes(b"[]")

    for _ in range(2):
        assert readcache.entry_get(key="k", versions=["show:1"], build=build).body == b"[]"
    assert len(built) == 2
    readcache._bump_now(["show:1"])  # logged, not raised


class _Django:
    """The WSGI app behind a ReadFront, counting the requests that reach it."""

    def __init__(self):
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return django_application.app(environ, start_response)


@pytest.fixture
def front():
    django = _Django()
    wrapped = readfront.ReadFront(django)
    wrapped.django = django
    return wrapped


def test_the_front_answers_a_fresh_anonymous_read_as_django_does(front, django_assert_num_queries, clock):
    show = make_show("SSSS")
    path = f"/api/v1/shows/{show.pk}/seats"
    status, built_headers, built = wsgi_get(front, path)  # a miss: Django builds and stores it
    assert status == 200 and front.django.calls == 1
    with django_assert_num_queries(0):
        status, headers, body = wsgi_get(front, path)
    assert front.django.calls == 1, "answered before Django"
    assert status == 200 and body == built and headers["ETag"] == built_headers["ETag"]
    assert headers["Content-Length"] == str(len(body)) and headers["X-Request-ID"]
    # The same headers as Django's whole stack gives the same answer, but the
    # page-only ones: CSP (a JSON answer renders nothing) and the request's id.
    page_only = {"Content-Security-Policy", "X-Request-ID"}
    assert {k: v for k, v in headers.items() if k not in page_only} == {
        k: v for k, v in built_headers.items() if k not in page_only
    }
    with django_assert_num_queries(0):
        status, not_modified_headers, body = wsgi_get(front, path, if_none_match=headers["ETag"])
    assert (status, body, front.django.calls) == (304, b"", 1)
    assert not_modified_headers["ETag"] == headers["ETag"] and "Content-Type" not in not_modified_headers
    for other in ("/api/v1/movies", "/api/v1/theatres", f"/api/v1/movies/{show.movie_id}/shows?page=1"):
        first = wsgi_get(front, other)
        calls = front.django.calls
        assert wsgi_get(front, other)[2] == first[2] and front.django.calls == calls, other


def test_the_front_leaves_everything_else_to_django(front, settings, clock):
    show = make_show("SSSS")
    path = f"/api/v1/shows/{show.pk}/seats"
    wsgi_get(front, path)
    passed_on = {
        "a bearer token": {"authorization": "Bearer not-a-token"},
        "a session cookie": {"cookie": f"{settings.SESSION_COOKIE_NAME}=abc"},
        "another origin": {"origin": "https://partner.example.com"},
        "a host not allowed": {"host": "evil.example.com"},
    }
    for why, headers in passed_on.items():
        calls = front.django.calls
        status = wsgi_get(front, path, **headers)[0]
        assert front.django.calls == calls + 1, why
        assert status != 500, why
    assert wsgi_get(front, path, host="evil.example.com")[0] == 400  # Django's own DisallowedHost answer
    calls = front.django.calls
    readcache._bump_now([f"show:{show.pk}"])  # a write moved the map: Django builds it again
    assert wsgi_get(front, path)[0] == 200 and front.django.calls == calls + 1
    wsgi_get(front, path)
    calls = front.django.calls
    settings.SECURE_SSL_REDIRECT = True  # plain HTTP goes on to SecurityMiddleware's redirect
    wsgi_get(front, path)
    assert front.django.calls == calls + 1
    settings.SECURE_SSL_REDIRECT = False
    calls = front.django.calls
    assert wsgi_get(front, "/api/v1/shows/999999/seats")[0] == 404 and front.django.calls == calls + 1


def test_the_front_asks_django_again_about_a_host_when_allowed_hosts_change(front, settings, clock):
    show = make_show("SSSS")
    path = f"/api/v1/shows/{show.pk}/seats"
    settings.ALLOWED_HOSTS = ["cinema.example.com", "testserver"]
    wsgi_get(front, path, host="cinema.example.com")
    calls = front.django.calls
    assert wsgi_get(front, path, host="cinema.example.com")[0] == 200 and front.django.calls == calls
    assert wsgi_get(front, path, host="evil.example.com")[0] == 400  # never remembered
    assert wsgi_get(front, path, host="evil.example.com")[0] == 400
    settings.ALLOWED_HOSTS = ["testserver"]  # the host remembered as allowed is no longer
    calls = front.django.calls
    assert wsgi_get(front, path, host="cinema.example.com")[0] == 400 and front.django.calls == calls + 1


def _bearer(user) -> dict:
    return {"authorization": f"Bearer {AccessToken.for_user(user)}"}


def test_the_front_answers_a_signed_in_seat_map_as_django_does(front, django_assert_num_queries, clock):
    show = make_show("SSSS")
    ids = seat_ids(show)
    me, other = UserFactory(), UserFactory()
    seats_hold(user=me, show=show, seat_ids=ids[:1])
    seats_hold(user=other, show=show, seat_ids=ids[1:2])
    path = f"/api/v1/shows/{show.pk}/seats"
    wsgi_get(front, path)  # a miss: Django builds and stores the shared map
    assert front.django.calls == 1
    page_only = {"Content-Security-Policy", "X-Request-ID"}
    for viewer in (me, other, UserFactory()):
        whole_stack = wsgi_get(django_application.app, path, **_bearer(viewer))
        with django_assert_num_queries(2):  # the token's user, the viewer's own holds
            status, headers, body = wsgi_get(front, path, **_bearer(viewer))
        assert front.django.calls == 1, "answered before Django"
        assert (status, body) == (whole_stack[0], whole_stack[2]) == (200, body)
        assert {k: v for k, v in headers.items() if k not in page_only} == {
            k: v for k, v in whole_stack[1].items() if k not in page_only
        }
        assert headers["Cache-Control"] == "private, no-cache"
        status, not_modified, empty = wsgi_get(front, path, if_none_match=headers["ETag"], **_bearer(viewer))
        assert (status, empty, front.django.calls) == (304, b"", 1)
    seats = {s["id"]: s for s in json.loads(wsgi_get(front, path, **_bearer(me))[2])}
    assert seats[ids[0]]["mine"] and seats[ids[0]]["status"] == "LOCKED" and seats[ids[0]]["expires_at"]
    assert not seats[ids[1]]["mine"] and seats[ids[1]]["status"] == "LOCKED" and seats[ids[1]]["expires_at"] is None


def test_the_front_leaves_other_signed_in_reads_to_django(front, clock):
    show = make_show("SSSS")
    me = UserFactory()
    path = f"/api/v1/shows/{show.pk}/seats"
    wsgi_get(front, path)
    wsgi_get(front, "/api/v1/movies")
    passed_on = {
        "a token that is not one": (path, {"authorization": "Bearer not-a-token"}, 401),
        "another kind of credentials": (path, {"authorization": "Basic bWU6cHc="}, 200),
        "a list with no signed-in answer": ("/api/v1/movies", _bearer(me), 200),
        "no such show": ("/api/v1/shows/999999/seats", _bearer(me), 404),
    }
    for why, (where, headers, expected) in passed_on.items():
        calls = front.django.calls
        assert wsgi_get(front, where, **headers)[0] == expected, why
        assert front.django.calls == calls + 1, why
    UserFactory._meta.model.objects.filter(pk=me.pk).update(is_active=False)
    calls = front.django.calls
    assert wsgi_get(front, path, **_bearer(me))[0] == 401 and front.django.calls == calls + 1


def test_the_front_counts_a_signed_in_hit_once_in_the_user_throttle(front, monkeypatch, clock):
    cache.clear()
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "3/min")
    show = make_show("SSSS")
    me = UserFactory()
    path = f"/api/v1/shows/{show.pk}/seats"
    assert wsgi_get(front, path, **_bearer(me))[0] == 200  # a miss: the view counts it
    assert wsgi_get(front, path, **_bearer(me))[0] == 200 and front.django.calls == 1
    assert wsgi_get(front, path, **_bearer(me))[0] == 200 and front.django.calls == 1
    status, headers, body = wsgi_get(front, path, **_bearer(me))  # the fourth in a minute
    assert status == 429 and front.django.calls == 2 and b"THROTTLED" in body and headers["Retry-After"]
    assert (
        wsgi_get(front, path, **_bearer(UserFactory()))[0] == 200 and front.django.calls == 2
    )  # another user's bucket


@pytest.mark.parametrize("backend", ["locmem", "redis"])
def test_the_front_counts_each_hit_once_in_the_anonymous_throttle(backend, request, front, monkeypatch, clock):
    if backend == "redis":
        request.getfixturevalue("redis_cache")
        redis.Redis.from_url(REDIS_URL).script_flush()  # the first command finds no script and loads it
    cache.clear()
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "3/min")
    show = make_show("SSSS")
    path = f"/api/v1/shows/{show.pk}/seats"
    assert wsgi_get(front, path)[0] == 200  # a miss, counted once (front or view, not both)
    assert wsgi_get(front, path)[0] == 200 and front.django.calls == 1  # a hit, counted in the front
    assert wsgi_get(front, path)[0] == 200 and front.django.calls == 1
    status, headers, body = wsgi_get(front, path)  # the fourth in a minute: Django answers 429
    assert status == 429 and front.django.calls == 2 and b"THROTTLED" in body and headers["Retry-After"]


def test_an_answer_built_from_a_replica_is_never_given_to_a_poller(clock):
    from cinema.replicas import use_replica

    with use_replica("replica1"):
        built = readcache.entry_get(key="k", versions=["show:5"], build=lambda: readcache.entry_from_bytes(b"[1]"))
    assert built.from_replica
    assert readcache.entry_peek(key="k", versions=["show:5"]) == built
    assert readcache.entry_peek(key="k", versions=["show:5"], polling=True) is None
    fresh = readcache.entry_get(
        key="k", versions=["show:5"], build=lambda: readcache.entry_from_bytes(b"[2]"), polling=True
    )
    assert fresh.body == b"[2]" and not fresh.from_replica
    assert readcache.entry_peek(key="k", versions=["show:5"], polling=True) == fresh


def test_one_round_trip_moves_every_version_and_a_missing_one_never_repeats(redis_cache):
    client = redis.Redis.from_url(REDIS_URL)
    readcache._bump_now(["show:5", "movie-seats:2"])
    first = {name: cache.get(readcache.VERSION_PREFIX + name) for name in ("show:5", "movie-seats:2")}
    assert all(isinstance(v, int) and v > 10**18 for v in first.values()), first  # from the clock, not 1
    readcache._bump_now(["show:5", "movie-seats:2", "show:5"])
    assert {n: cache.get(readcache.VERSION_PREFIX + n) for n in first} == {n: v + 1 for n, v in first.items()}
    key = cache.make_and_validate_key(readcache.VERSION_PREFIX + "show:5")
    assert 0 < client.ttl(key) <= readcache.VERSION_TIMEOUT
    client.delete(key)  # evicted: it comes back past every value it had
    readcache._bump_now(["show:5"])
    assert cache.get(readcache.VERSION_PREFIX + "show:5") > first["show:5"] + 1
