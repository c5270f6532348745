"""Reads of seat state. Expired holds read as AVAILABLE everywhere (the
rule is booking.models.free_q / seat_is_free)."""

import hashlib
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from booking import sql
from booking.models import Booking, BookingSeat, SeatStatus, ShowSeat, hold_expired
from catalog.models import Show
from cinema.prepared import Prepared, statements_run

# Columns of one seat-map row, in the order seat_map_for_show reads them.
_SEAT_COLUMNS = (
    "pk",
    "status",
    "held_by_id",
    "held_until",
    "seat__row_label",
    "seat__number",
    "seat__seat_type",
    "seat__row_index",
    "seat__column",
)


def seat_map_version(*, show: Show, viewer=None, now: datetime | None = None) -> str:
    """An ETag for the seat map as ``viewer`` sees it, in one aggregate query.

    Every write bumps a seat's ``version``, so the sum moves on any change; the
    count of expired holds moves when a hold lapses with nobody writing (and
    for a fixed version sum it only grows, so no state repeats); the count and
    pk sum move when a layout change adds or drops seats. The show's time and
    prices are part of the map too.
    """
    now = now or timezone.now()
    # Hand-written (booking/sql.py) because it runs on every poll of every seat
    # map: compiling the same aggregate through the ORM cost more CPU than the
    # query itself (about a fifth of a 304 answer; see docs/performance.md).
    totals = sql.map_totals_sql(show_id=show.pk, now=now)
    return _version_tag(show, viewer, totals.version_sum, totals.count, totals.pk_sum, totals.expired)


def _version_tag(show: Show, viewer, version_sum: int, count: int, pk_sum: int, expired: int) -> str:
    viewer_id = getattr(viewer, "pk", None) or 0
    prices = ",".join(f"{kind}={price}" for kind, price in sorted(show.prices.items()))
    raw = f"{show.pk}:{viewer_id}:{version_sum}:{expired}:{count}:{pk_sum}:{show.start_time.timestamp()}:{prices}"
    return hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()


def seat_map_for_show(*, show: Show, viewer=None, now: datetime | None = None) -> list[dict]:
    """Every seat of the show, front row first, as plain dicts, in one query.

    Each: id, name, row, number, type, status (AVAILABLE / LOCKED / SOLD, with
    expired holds as AVAILABLE), price, mine, expires_at (own holds only),
    row_index, column.
    """
    return seat_map_with_version(show=show, viewer=viewer, now=now)[1]


def seat_map_with_version(*, show: Show, viewer=None, now: datetime | None = None) -> tuple[str, list[dict]]:
    """(seat_map_version, seat_map_for_show) from the one query that reads the
    map: a client without an ETag costs one round trip, not two."""
    now = now or timezone.now()
    viewer_id = getattr(viewer, "pk", None)
    prices = show.prices
    seats = []
    version_sum = pk_sum = expired = 0
    rows = (
        ShowSeat.objects.filter(show_id=show.pk)
        .order_by("seat__row_index", "seat__column")
        .values_list(*_SEAT_COLUMNS, "version")
    )
    for pk, status, held_by, held_until, row, number, kind, row_index, column, version in rows:
        version_sum += version
        pk_sum += pk
        if hold_expired(status, held_until, now):
            status = SeatStatus.AVAILABLE
            expired += 1
        mine = status == SeatStatus.LOCKED and viewer_id is not None and held_by == viewer_id
        seats.append(
            {
                "id": pk,
                "name": f"{row}{number}",
                "row": row,
                "number": number,
                "type": kind,
                "status": status,
                "price": prices[kind],
                "mine": mine,
                "expires_at": held_until if mine else None,
                "row_index": row_index,
                "column": column,
            }
        )
    return _version_tag(show, viewer, version_sum, len(seats), pk_sum, expired), seats


def seat_counts(*, show: Show, now: datetime | None = None) -> dict[str, int]:
    """{"free", "held", "sold", "total"} for one show, in one query."""
    return show_seat_counts(shows=[show], now=now).get(show.pk, {"free": 0, "held": 0, "sold": 0, "total": 0})


def show_seat_counts(*, shows, now: datetime | None = None) -> dict[int, dict[str, int]]:
    """Seat counts for many shows in one grouped query (admin lists, show pages)."""
    now = now or timezone.now()
    rows = ShowSeat.objects.filter(show_id__in=[getattr(s, "pk", s) for s in shows]).counts_by_show(now)
    return {
        r["show_id"]: {
            "total": r["total_count"],
            "sold": r["sold_count"],
            "held": r["held_count"],
            "free": r["free_count"],
        }
        for r in rows
    }


def holds_for_user(*, user, show: Show, now: datetime | None = None) -> list[ShowSeat]:
    """The user's unexpired holds on a show, with their seats."""
    now = now or timezone.now()
    return list(
        ShowSeat.objects.held_by(user, now)
        .filter(show_id=show.pk)
        .select_related("seat")
        .order_by("seat__row_index", "seat__column")
    )


def bookings_for_user(*, user):
    """A user's bookings, newest first, ready to list without more queries."""
    return (
        Booking.objects.filter(user=user)
        .select_related("show__movie", "show__screen__theatre")
        .prefetch_related("lines")
        .order_by("-created_at", "-pk")
    )


# An order as the API shows it (its show, movie, screen, theatre; its lines),
# compiled once per process (cinema.prepared): read before every payment.
_ORDER_OF_USER = Prepared(
    Booking,
    lambda user_id, order_id: Booking.objects.select_related("show__movie", "show__screen__theatre").filter(
        user_id=user_id, pk=order_id
    ),
)
_ORDER_LINES = Prepared(BookingSeat, lambda order_id: BookingSeat.objects.filter(booking_id=order_id))


_SEAT_WITH_SHOW = Prepared(ShowSeat, lambda pk: ShowSeat.objects.select_related("show__movie").filter(pk=pk))


def show_seat_with_show(*, seat_id: int) -> ShowSeat | None:
    """A show seat with its show and the show's movie (PATCH /seats/{id}/lock:
    enough to tell a taken seat of a show on sale), or None: compiled once
    (cinema.prepared)."""
    return _SEAT_WITH_SHOW.first(seat_id)


def order_of_user(*, user, order_id: int) -> Booking | None:
    """The user's order ``order_id`` with its show and lines (``line_list``),
    as bookings_for_user reads each, or None: two queries in one round trip
    (cinema.prepared.statements_run; the lines of an order that is not the
    user's are read and dropped)."""
    order, lines = statements_run(
        [_ORDER_OF_USER.statement(user.pk, order_id, first=True), _ORDER_LINES.statement(order_id)]
    )
    if order is not None:
        order.created_lines = lines
        for line in lines:
            line.booking = order
    return order


def seat_grid(seats: list[dict]) -> list[dict]:
    """Group seat_map_for_show's seats into rows for drawing, gaps included.

    Returns [{"label": "A", "cells": [seat dict, or None for a gap, ...]}, ...]
    front row first; every row is as wide as the widest, so the grid lines up.
    """
    width = max((s["column"] for s in seats), default=-1) + 1
    rows: dict[int, dict] = {}
    for seat in seats:
        row = rows.setdefault(seat["row_index"], {"label": seat["row"], "cells": [None] * width})
        row["cells"][seat["column"]] = seat
    return [rows[i] for i in sorted(rows)]


def show_default_prices(*, screen_id: int | None = None) -> dict[str, Decimal]:
    """The prices a new show on this screen starts from: those of the screen's
    latest show, else of the latest show anywhere, else DEFAULT_SEAT_PRICES."""
    shows = Show.objects.order_by("-start_time", "-pk")
    last = (shows.filter(screen_id=screen_id).first() if screen_id else None) or shows.first()
    if last is not None:
        return last.prices
    return {kind: Decimal(str(value)) for kind, value in settings.DEFAULT_SEAT_PRICES.items()}


def payments_for_orders(*, orders) -> dict:
    """{order id: its latest Payment} for a page of orders, in one query."""
    from payments.models import Payment

    ids = [o.pk for o in orders]
    latest: dict = {}
    for payment in Payment.objects.filter(order_id__in=ids).order_by("pk"):
        latest[payment.order_id] = payment
    return latest


def holds_by_show_for_user(*, user, now: datetime | None = None) -> list[dict]:
    """The user's unexpired holds, one entry per show, soonest show first, for
    My bookings: [{"show", "seats": [names], "expires_at", "seconds_left"}]
    (one query)."""
    now = now or timezone.now()
    by_show: dict[int, dict] = {}
    held = (
        ShowSeat.objects.held_by(user, now)
        .select_related("seat", "show__movie", "show__screen__theatre")
        .order_by("show__start_time", "seat__row_index", "seat__column")
    )
    for s in held:
        entry = by_show.setdefault(s.show_id, {"show": s.show, "seats": [], "expires_at": s.held_until})
        entry["seats"].append(s.seat.name)
        entry["expires_at"] = min(entry["expires_at"], s.held_until)
    for entry in by_show.values():
        entry["seconds_left"] = max(0, int((entry["expires_at"] - now).total_seconds()))
    return list(by_show.values())
