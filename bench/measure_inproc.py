"""In-process cost of the rush's requests (not part of the test suite).

    DATABASE_URL=mysql://root@127.0.0.1:3306/cinema_perf \
        .venv/bin/pytest bench/measure_inproc.py -p no:randomly -s -q [--create-db]

Worker CPU (time.process_time) and queries per request through the Django test
client on a real database: a hold of the best 2 seats, a booking (an order, PAYMENT_PROVIDER=test) with an
Idempotency-Key, its payment with the test card, /api/v1/me, and the seat map (200 and 304). Medians over many
users of one 220-seat show. Cache: Redis db 1 when BENCH_CACHE_URL says so
(the bench's setting), else locmem.
"""

import os
import statistics
import time
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import MovieFactory, ScreenFactory, ShowFactory, UserFactory

LAYOUT = "\n".join(
    ["SSSS_SSSSSSSSSS_SSSS"] * 4
    + ["PPPP_PPPPPPPPPP_PPPP"] * 4
    + ["RRRR_RRRRRRRRRR_RRRR"] * 2
    + ["AASS_SSSSSSSSSS_SSAA"] * 1
)
USERS = int(os.environ.get("MEASURE_USERS", "60"))


class _Authed:
    """One shared test client (its handler loads the middleware once, as a
    worker does), with one user's bearer token on every request."""

    shared = None

    def __init__(self, user):
        if _Authed.shared is None:
            _Authed.shared = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {AccessToken.for_user(user)}"}

    def get(self, path, **extra):
        return _Authed.shared.get(path, **self.headers, **extra)

    def post(self, path, data, **extra):
        return _Authed.shared.post(path, data, **self.headers, **extra)

    def patch(self, path, data, **extra):
        return _Authed.shared.patch(path, data, **self.headers, **extra)


def _client(user):
    return _Authed(user)


def _timed(fn, *args, **kwargs):
    t = time.process_time()
    response = fn(*args, **kwargs)
    return response, (time.process_time() - t) * 1000


@pytest.fixture
def rush_show(settings):
    """The bench's settings (DEBUG off, no email, its cache) and a fresh
    220-seat show with USERS signed-in clients: (show, clients)."""
    settings.DEBUG = False
    # The bench's order+pay rush: a booking is an order, paid with the test card.
    settings.PAYMENT_PROVIDER = "test"
    settings.BOOKING_FEE_PER_SEAT = "30.00"
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    # As bench/harness.py runs the app: emails queued for the relay, no lone-seat rule.
    settings.EMAIL_SEND_AFTER_COMMIT = False
    settings.LONE_SEAT_RULE = False
    if os.environ.get("BENCH_CACHE_URL"):
        import environ

        settings.CACHES = {
            "default": {
                **environ.Env.cache_url_config(os.environ["BENCH_CACHE_URL"]),
                "BACKEND": "cinema.cache.RedisCache",
            }
        }
    screen = ScreenFactory(layout=LAYOUT)
    show = ShowFactory(screen=screen, movie=MovieFactory())
    clients = [_client(u) for u in UserFactory.create_batch(USERS)]
    clients[0].get("/api/v1/me")  # load the middleware
    return show, clients


@pytest.mark.django_db(transaction=True)
def test_measure(rush_show, settings):
    show, clients = rush_show
    seats = show.show_seats.count()
    results = {"hold": [], "book": [], "pay": [], "me": [], "map200": [], "map304": []}
    queries = {}
    for i, client in enumerate(clients):
        capture = i == 3
        ctx = CaptureQueriesContext(connection) if capture else None
        if ctx is not None:
            ctx.__enter__()
        r, ms = _timed(client.post, f"/api/v1/shows/{show.pk}/holds", {"quantity": 2}, content_type="application/json")
        if ctx is not None:
            ctx.__exit__(None, None, None)
            queries["hold"] = [q["sql"] for q in ctx.captured_queries]
        if r.status_code != 201:
            continue
        results["hold"].append(ms)
        ids = [s["id"] for s in r.json()["seats"]]
        if capture:
            ctx = CaptureQueriesContext(connection)
            ctx.__enter__()
        r, ms = _timed(
            client.post,
            "/api/v1/bookings",
            {"show_id": show.pk, "seat_ids": ids},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )
        if capture:
            ctx.__exit__(None, None, None)
            queries["book"] = [q["sql"] for q in ctx.captured_queries]
        assert r.status_code == 201, r.content
        results["book"].append(ms)
        if capture:
            ctx = CaptureQueriesContext(connection)
            ctx.__enter__()
        r, ms = _timed(
            client.post,
            f"/api/v1/orders/{r.json()['id']}/confirm-payment",
            {"card_number": "4242 4242 4242 4242"},
            content_type="application/json",
        )
        if capture:
            ctx.__exit__(None, None, None)
            queries["pay"] = [q["sql"] for q in ctx.captured_queries]
        assert r.status_code == 200 and r.json()["status"] == "CONFIRMED", r.content
        results["pay"].append(ms)
        r, ms = _timed(client.get, "/api/v1/me")
        results["me"].append(ms)
        r, ms = _timed(client.get, f"/api/v1/shows/{show.pk}/seats")
        assert r.status_code == 200
        results["map200"].append(ms)
        etag = r["ETag"]
        r, ms = _timed(client.get, f"/api/v1/shows/{show.pk}/seats", HTTP_IF_NONE_MATCH=etag)
        assert r.status_code == 304
        results["map304"].append(ms)
    results["front304"] = _front_polls(show)
    # A seat someone else bought, held by id: the peer workload's losers (409).
    results["lock409"] = []
    held = list(show.show_seats.filter(status="SOLD").values_list("pk", flat=True))
    for i, client in enumerate(clients[USERS // 2 :]):
        r, ms = _timed(_lock_taken, client, held, i)
        assert r.status_code == 409, r.content
        results["lock409"].append(ms)
    # Sold out: every seat still free is sold, and the rest ask for two (409).
    from booking.models import SeatStatus, ShowSeat

    ShowSeat.objects.filter(show=show, status=SeatStatus.AVAILABLE).update(status=SeatStatus.SOLD)
    results["hold409"] = []
    for client in clients[: USERS // 2]:
        r, ms = _timed(client.post, f"/api/v1/shows/{show.pk}/holds", {"quantity": 2}, content_type="application/json")
        assert r.status_code == 409, r.content
        results["hold409"].append(ms)
    print(f"\n{seats} seats, {USERS} users, db={connection.vendor}, cache={settings.CACHES['default']['BACKEND']}")
    for name, values in results.items():
        if values:
            print(
                f"{name:7s} median {statistics.median(values):6.2f} ms  mean {statistics.fmean(values):6.3f}  p90 {sorted(values)[int(len(values) * 0.9)]:6.2f}  n={len(values)}  queries={len(queries.get(name, [])) or '-'}"
            )
    if os.environ.get("MEASURE_SQL"):
        for name, sqls in queries.items():
            print(f"--- {name}")
            for s in sqls:
                print("   ", s[:220])


def _front_polls(show, prof=None, n=2000) -> list[float]:
    """n anonymous If-None-Match polls of the show's seat map, straight into
    cinema.wsgi.application (the ReadFront, as gunicorn calls it): the CPU ms
    of each, profiled by prof when given."""
    from django.test import RequestFactory

    from cinema.wsgi import application
    from tests.api import wsgi_get

    path = f"/api/v1/shows/{show.pk}/seats"
    status, headers, _ = wsgi_get(application, path)
    status, headers, _ = wsgi_get(application, path)  # stored by the first
    assert status == 200, status
    environ = RequestFactory().get(path, headers={"If-None-Match": headers["ETag"]}).environ

    def start_response(status, headers, exc_info=None):
        assert status.startswith("304"), status

    times = []
    for _ in range(n):
        e = dict(environ)
        t = time.process_time()
        if prof is not None:
            prof.enable()
        application(e, start_response)
        if prof is not None:
            prof.disable()
        times.append((time.process_time() - t) * 1000)
    return times


def _sell_out(show) -> None:
    """Every seat of the show sold: each hold from here on is a 409."""
    from booking.models import SeatStatus, ShowSeat

    ShowSeat.objects.filter(show=show).update(status=SeatStatus.SOLD)


def _lock_taken(client, seat_ids: list[int], i: int):
    """The i-th client's PATCH /seats/{id}/lock of a seat someone else has
    (the peer workload's losers: a 409)."""
    seat = seat_ids[i % len(seat_ids)]
    return client.patch(f"/api/v1/seats/{seat}/lock", {"status": "LOCKED"}, content_type="application/json")


@pytest.mark.django_db(transaction=True)
def test_profile_hold(request):
    """cProfile of the rush's requests (MEASURE_PROFILE=hold|book|pay|me|hold409|lock409|front304)."""
    import cProfile
    import pstats

    which = os.environ.get("MEASURE_PROFILE")
    if not which:
        pytest.skip("set MEASURE_PROFILE")
    show, clients = request.getfixturevalue("rush_show")
    prof = cProfile.Profile(time.process_time)  # CPU, not the waits on the database
    if which == "front304":  # an anonymous poll answered by the ReadFront (cinema/readfront.py)
        _front_polls(show, prof)
        clients = []
    if which == "hold409":  # a sold-out show: the on-sale check, no seats, the 409 envelope
        _sell_out(show)
        prof.enable()
        for client in clients:
            client.post(f"/api/v1/shows/{show.pk}/holds", {"quantity": 2}, content_type="application/json")
        prof.disable()
        clients = []
    if which == "lock409":  # a sold seat held by id (the peer workload's losers)
        _sell_out(show)
        seats = list(show.show_seats.values_list("pk", flat=True))
        prof.enable()
        for i, client in enumerate(clients):
            _lock_taken(client, seats, i)
        prof.disable()
        clients = []
    for client in clients:
        if which == "me":
            prof.enable()
            for _ in range(10):
                client.get("/api/v1/me")
            prof.disable()
        if which == "hold":
            prof.enable()
        r = client.post(f"/api/v1/shows/{show.pk}/holds", {"quantity": 2}, content_type="application/json")
        prof.disable()
        if r.status_code != 201:
            continue
        ids = [s["id"] for s in r.json()["seats"]]
        if which == "book":
            prof.enable()
        r = client.post(
            "/api/v1/bookings",
            {"show_id": show.pk, "seat_ids": ids},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )
        prof.disable()
        if which == "pay":
            prof.enable()
        client.post(
            f"/api/v1/orders/{r.json()['id']}/confirm-payment",
            {"card_number": "4242 4242 4242 4242"},
            content_type="application/json",
        )
        prof.disable()
    stats = pstats.Stats(prof).sort_stats(os.environ.get("MEASURE_SORT", "cumulative"))
    if os.environ.get("MEASURE_CALLERS"):  # who calls the functions matching it
        stats.print_callers(os.environ["MEASURE_CALLERS"])
    else:
        stats.print_stats(int(os.environ.get("MEASURE_LINES", "45")))


@pytest.mark.django_db(transaction=True)
def test_split(request, monkeypatch):
    """Where a request's CPU goes, without a profiler's distortion:
    MEASURE_SPLIT="booking.services:seats_hold_best,rest_framework.views:APIView.initial"
    wraps each (module:attribute, a class's method too) with a thread-CPU
    timer and prints its mean per call beside the whole requests'
    (MEASURE_PROFILE picks hold, book, pay, hold409 or lock409; default hold)."""
    import importlib

    names = [n for n in os.environ.get("MEASURE_SPLIT", "").split(",") if n]
    if not names:
        pytest.skip("set MEASURE_SPLIT")
    spent: dict[str, list[float]] = {}
    active = []  # non-empty while the chosen request runs

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            if not active:
                return fn(*args, **kwargs)
            t = time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent.setdefault(name, []).append(time.thread_time() - t)

        return wrapper

    for name in names:
        module, _, attr = name.partition(":")
        owner = importlib.import_module(module)
        *path, last = attr.split(".")
        for part in path:
            owner = getattr(owner, part)
        monkeypatch.setattr(owner, last, timed(name, getattr(owner, last)))
    which = os.environ.get("MEASURE_PROFILE", "hold")
    show, clients = request.getfixturevalue("rush_show")
    whole = []
    if which == "hold409":  # a sold-out show
        _sell_out(show)
        for client in clients:
            active[:] = [1]
            t = time.thread_time()
            client.post(f"/api/v1/shows/{show.pk}/holds", {"quantity": 2}, content_type="application/json")
            whole.append(time.thread_time() - t)
        active.clear()
        clients = []
    if which == "lock409":  # a sold seat held by id
        _sell_out(show)
        seats = list(show.show_seats.values_list("pk", flat=True))
        for i, client in enumerate(clients):
            active[:] = [1]
            t = time.thread_time()
            _lock_taken(client, seats, i)
            whole.append(time.thread_time() - t)
        active.clear()
        clients = []
    for client in clients:
        active[:] = [1] if which == "hold" else []
        t = time.thread_time()
        r = client.post(f"/api/v1/shows/{show.pk}/holds", {"quantity": 2}, content_type="application/json")
        if which == "hold":
            whole.append(time.thread_time() - t)
            active.clear()
        if r.status_code != 201:
            continue
        active[:] = [1] if which == "book" else []
        t = time.thread_time()
        r = client.post(
            "/api/v1/bookings",
            {"show_id": show.pk, "seat_ids": [s["id"] for s in r.json()["seats"]]},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )
        if which == "book":
            whole.append(time.thread_time() - t)
        active[:] = [1] if which == "pay" else []
        t = time.thread_time()
        client.post(
            f"/api/v1/orders/{r.json()['id']}/confirm-payment",
            {"card_number": "4242 4242 4242 4242"},
            content_type="application/json",
        )
        if which == "pay":
            whole.append(time.thread_time() - t)
        active.clear()
    print(f"\n{which}: {statistics.median(whole) * 1000:.2f} ms median per request, n={len(whole)}")
    for name in names:
        values = spent.get(name, [])
        if values:
            print(
                f"  {name:70s} {statistics.median(values) * 1000:6.3f} ms median  x{len(values) / len(whole):.1f} per request"
            )
