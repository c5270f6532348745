"""Database-side helpers of `make bench`, run with the app's settings:

    python -m bench.dbtool prepare        # pick the shows to drive, JSON on stdout
    python -m bench.dbtool check SHOW_ID  # the rush's invariants, JSON on stdout
    python -m bench.dbtool explain SHOW_ID
    python -m bench.dbtool users COUNT TOKENS_FILE  # rush users without the API
    python -m bench.dbtool outbox         # outbox rows, and how many wait for the relay

Not part of the product; it only reads, except `prepare`, which schedules the
rush's two fresh shows through the same service the admin and the API use.
"""

import json
import sys
from datetime import datetime, time, timedelta

import django


def _prepare() -> dict:
    from django.utils import timezone

    from booking.exceptions import ScreenBusy
    from booking.services import show_schedule
    from catalog.models import Movie, Screen, Show

    imax = Screen.objects.annotate(n=django.db.models.Count("seats")).filter(n__gte=200).order_by("-n").first()
    if imax is None:
        raise SystemExit("no screen with 200+ seats: did seed_demo run?")
    now = timezone.now()
    seat_show = Show.objects.filter(screen=imax, start_time__gt=now + timedelta(hours=1)).order_by("start_time").first()
    movie = Movie.objects.order_by("pk").first()
    # The rush gets a show nobody has touched, past the demo week.
    day = timezone.localdate() + timedelta(days=30)
    rush_shows = []
    for offset in range(60):
        start = timezone.make_aware(datetime.combine(day + timedelta(days=offset), time(9, 0)))
        try:
            rush_shows.append(show_schedule(movie=movie, screen=imax, start_time=start, prices=seat_show.prices))
        except ScreenBusy:
            continue
        if len(rush_shows) == 2:
            break
    rush_show, quiet_show = rush_shows
    shows = list(
        Show.objects.filter(start_time__gt=now, start_time__lt=now + timedelta(days=3)).order_by("start_time")[:8]
    )
    return {
        "screen": str(imax),
        "seats": imax.seats.count(),
        "seatmap_show": seat_show.pk,
        "rush_show": rush_show.pk,
        "rush_show_relay_stopped": quiet_show.pk,
        "movies": list(Movie.objects.filter(is_active=True).values_list("pk", flat=True))
        if hasattr(Movie, "is_active")
        else list(Movie.objects.values_list("pk", flat=True)),
        "browse_shows": [s.pk for s in shows],
    }


def _check(show_id: int) -> dict:
    """No seat sold twice; every booked seat SOLD; every SOLD seat booked once."""
    from django.db.models import Count

    from booking.models import Booking, BookingSeat, BookingStatus, SeatStatus, ShowSeat

    active = BookingSeat.objects.filter(show_seat__show_id=show_id, active=True)
    doubles = list(
        active.values("show_seat_id").annotate(n=Count("pk")).filter(n__gt=1).values_list("show_seat_id", flat=True)
    )
    booked_ids = set(active.values_list("show_seat_id", flat=True))
    # SOLD for good (an unpaid order's claim has a held_until and is not a sale).
    sold_ids = set(
        ShowSeat.objects.filter(show_id=show_id, status=SeatStatus.SOLD, held_until__isnull=True).values_list(
            "pk", flat=True
        )
    )
    statuses = dict(
        ShowSeat.objects.filter(show_id=show_id)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    from payments.models import Payment, PaymentStatus, Refund

    order_ids = list(Booking.objects.filter(show_id=show_id).values_list("pk", flat=True))
    paid = Payment.objects.filter(order_id__in=order_ids, status=PaymentStatus.SUCCEEDED)
    confirmed = set(
        Booking.objects.filter(pk__in=order_ids, status=BookingStatus.CONFIRMED).values_list("pk", flat=True)
    )
    refunded = set(Refund.objects.filter(payment__order_id__in=order_ids).values_list("payment__order_id", flat=True))
    # Money taken for an order whose seats were not sold, and not given back.
    paid_not_sold = sorted(p.order_id for p in paid if p.order_id not in confirmed and p.order_id not in refunded)
    return {
        "paid_not_sold": paid_not_sold,
        "bookings": Booking.objects.filter(show_id=show_id, status=BookingStatus.CONFIRMED).count(),
        "booked_seats": len(booked_ids),
        "double_sold": doubles,
        "booked_not_sold": sorted(booked_ids - sold_ids),
        "sold_not_booked": sorted(sold_ids - booked_ids),
        "seat_statuses": statuses,
        "booking_seat_ids": {
            str(b): ids for b, ids in _group(active.values_list("booking_id", "show_seat_id")).items()
        },
    }


def _users(count: int, tokens_file: str) -> dict:
    """Users for the rush without the API: one Argon2 hash shared by all (the
    salt travels inside it), tokens minted the way the login view mints them."""
    import uuid

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from rest_framework_simplejwt.tokens import RefreshToken

    user_model = get_user_model()
    run = uuid.uuid4().hex[:8]
    password = make_password("Rush-hour-2026!")
    users = user_model.objects.bulk_create(
        [user_model(email=f"rush-{run}-{i}@example.com", name=f"Rush {i}", password=password) for i in range(count)]
    )
    if users and users[0].pk is None:  # backends that do not return ids
        users = list(user_model.objects.filter(email__startswith=f"rush-{run}-"))
    tokens = [str(RefreshToken.for_user(u).access_token) for u in users]
    with open(tokens_file, "w") as fh:
        json.dump(tokens, fh)
    return {"users": len(tokens)}


def _group(pairs) -> dict:
    out: dict = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


def _explain(show_id: int) -> dict:
    """EXPLAIN of the queries the seat map's selectors really send (captured)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from booking import selectors
    from catalog.models import Show

    show = Show.objects.get(pk=show_id)
    out = {}
    for name, call in (
        ("seat_map_version (304 path)", selectors.seat_map_version),
        ("seat_map_with_version (200 path)", selectors.seat_map_with_version),
    ):
        with CaptureQueriesContext(connection) as captured:
            call(show=show)
        sql = captured.captured_queries[-1]["sql"]
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql)
            cols = [c[0] for c in cursor.description]
            out[name] = {"sql": sql, "plan": [dict(zip(cols, row, strict=True)) for row in cursor.fetchall()]}
    return out


def _outbox() -> dict:
    from events.models import OutboxEvent

    return {
        "rows": OutboxEvent.objects.count(),
        "unpublished": OutboxEvent.objects.filter(published_at__isnull=True).count(),
    }


def main(argv: list[str]) -> None:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cinema.settings")
    django.setup()
    command = argv[0]
    if command == "prepare":
        result = _prepare()
    elif command == "check":
        result = _check(int(argv[1]))
    elif command == "users":
        result = _users(int(argv[1]), argv[2])
    elif command == "outbox":
        result = _outbox()
    elif command == "explain":
        result = _explain(int(argv[1]))
    else:
        raise SystemExit(__doc__)
    json.dump(result, sys.stdout, default=str)


if __name__ == "__main__":
    main(sys.argv[1:])
