"""Holding and releasing seats by id. A seat is holdable when free (see
booking.models.free_q: expired holds count as free) or already held by the
same user; each service here is one durable transaction (services/locking.py).
The checks every hold shares are in hold_rules.py; best available is
holds_best.py.
"""

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from booking import sql
from booking.exceptions import SeatNotHeld, SeatUnavailable
from booking.models import SeatStatus, ShowSeat
from booking.services.common import seat_ids_clean, seats_check_known, seats_set_free
from booking.services.hold_rules import (
    Hold,
    _apply_hold,
    _check_limit,
    _check_lone_seats,
    _counted,
    _emit_released,
    _ensure_on_sale,
    _hold_preflight,
    hold_id_for,
    hold_id_parse,
    seat_places_statement,
)
from booking.services.locking import locked, seats_lock, seats_lock_statement, user_lock
from catalog.models import Show
from catalog.selectors import show_is_on_sale
from cinema import readcache
from cinema.prepared import statements_run

# Hold and the hold ids are defined in hold_rules.py; booking/api imports them from here.
__all__ = ["Hold", "hold_id_for", "hold_id_parse", "hold_replace", "seats_hold", "seats_release", "seats_release_all"]


def _check_taken(user, seats: list[ShowSeat], now: datetime) -> None:
    taken = [s.pk for s in seats if not (s.is_free(now) or s.is_held_by(user, now))]
    if taken:
        raise SeatUnavailable(
            "Sorry, someone else just took " + ("that seat." if len(taken) == 1 else "some of those seats."),
            seats=taken,
        )


@_counted
def seats_hold(*, user, show: Show, seat_ids, now: datetime | None = None, seen: list[ShowSeat] = ()) -> Hold:
    """Hold every seat or none, for SEAT_HOLD_SECONDS, adding to the user's hold
    on the show (the per-seat and per-show endpoints).

    Before any lock: ShowStarted, EmailNotVerified, HoldThrottled (HOLD_RATE).
    Then locks the user row, then the show seats in pk order, and raises
    ShowNotOnSale, InvalidRequest (seats not in the show), SeatUnavailable
    (with the taken seat ids), HoldLimitExceeded, in that order (more than
    MAX_SEATS_PER_BOOKING seats: HoldLimitExceeded first). A seat is holdable when
    available, held with an expired hold, or already held by this user (which
    does not extend the hold). Emits seat.held for the newly held seats.

    ``seen``: the caller's reading of these seats, made without locks during
    this request, with ``show`` and its movie read alongside (the per-seat
    endpoint reads the seat to find its show). When it shows a seat taken on
    a show still on sale, the hold is refused as the locked path would refuse
    it then, without taking a lock or waiting for one (_refuse_if_seen_taken).
    """
    now = now or timezone.now()
    ids = seat_ids_clean(seat_ids)
    _hold_preflight(user, show, now)
    if seen:
        _refuse_if_seen_taken(user, show, ids, seen, now)
    return _seats_hold(user=user, show=show, ids=ids, now=now)


def _refuse_if_seen_taken(user, show: Show, ids: list[int], seen: list[ShowSeat], now: datetime) -> None:
    """SeatUnavailable when a lock-free reading of exactly the wanted seats,
    all of this show, shows one taken and the show (read with it) on sale:
    what the locked path would answer at the time of that reading, since its
    earlier checks (on sale, seats of the show) pass on the same rows. A
    reading that shows them free, or anything else, goes on to the locked
    path, which decides. Writes nothing."""
    if len(ids) > settings.MAX_SEATS_PER_BOOKING or {s.pk for s in seen} != set(ids):
        return
    if any(s.show_id != show.pk for s in seen):
        return
    if show_is_on_sale(show=show, now=now):
        _check_taken(user, seen, now)


@locked
def _seats_hold(*, user, show: Show, ids: list[int], now: datetime) -> Hold:
    if len(ids) > settings.MAX_SEATS_PER_BOOKING:
        _check_limit(user, show, now, len(ids), exclude=ids)  # raises, without locking a crowd of rows
    # The user lock, the on-sale check, the seat locks, the limits' counts and
    # the seats' places in one round trip, in that order (cinema.prepared.statements_run).
    *_, on_sale, seats, counts, places = statements_run(
        [
            *sql.user_lock_statements(user),
            sql.show_on_sale_statement(show_id=show.pk, now=now),
            seats_lock_statement(show, ids),
            sql.hold_counts_statement(user=user, show_id=show.pk, now=now, exclude=ids),
            seat_places_statement(ids),
        ]
    )
    _ensure_on_sale(show, now, on_sale=on_sale)
    seats_check_known(seats, ids)
    _check_taken(user, seats, now)
    _check_limit(user, show, now, len(ids), exclude=ids, counts=counts)
    _check_lone_seats(user, show, now, ids, replacing=False)
    return _apply_hold(user, show, seats, now, seat_info=places)


@_counted
def hold_replace(*, user, show: Show, seat_ids, now: datetime | None = None) -> Hold:
    """Make the user's hold on the show exactly ``seat_ids`` (the seat picker's
    "change my seats", POST/PATCH /holds).

    All or nothing, in one transaction: the new seats are held (as seats_hold
    does) and the user's other holds on the show are released; if any wanted
    seat is taken, nothing changes and the old holds stay. The per-show limit
    counts the new seats only, since the others are let go. Locks the user
    row, then the wanted and the dropped show seats together in pk order.
    Raises what seats_hold raises. Emits seat.held and seat.released
    (reason "replaced").
    """
    now = now or timezone.now()
    ids = seat_ids_clean(seat_ids)
    _hold_preflight(user, show, now)
    return _hold_replace(user=user, show=show, ids=ids, now=now)


@locked
def _hold_replace(*, user, show: Show, ids: list[int], now: datetime) -> Hold:
    if len(ids) > settings.MAX_SEATS_PER_BOOKING:
        _check_limit(user, show, now, len(ids), held=0)  # raises, without locking a crowd of rows
    user_lock(user)
    _ensure_on_sale(show, now)
    # The user's holds only change under the user's row lock, which we hold.
    current = set(ShowSeat.objects.held_by(user, now).filter(show_id=show.pk).values_list("pk", flat=True))
    dropped = current - set(ids)
    rows = seats_lock(show, sorted(set(ids) | dropped))
    seats = [s for s in rows if s.pk not in dropped]
    seats_check_known(seats, ids)
    _check_taken(user, seats, now)
    _check_lone_seats(user, show, now, ids, replacing=True)
    _check_limit(user, show, now, len(ids), exclude=current, held=0)
    hold = _apply_hold(user, show, seats, now)
    if dropped:
        seats_set_free(sorted(dropped))
        _emit_released(user, show, dropped, "replaced")
    return hold


@locked
def seats_release(*, user, show: Show, seat_ids) -> list[int]:
    """Release seats the user holds. Locks them in pk order.

    Raises InvalidRequest for seats not in the show and SeatNotHeld for seats
    the user does not hold (an own expired hold counts as held: releasing it is
    harmless). Returns the released ids. Emits seat.released.
    """
    ids = seat_ids_clean(seat_ids)
    seats = seats_lock(show, ids)
    seats_check_known(seats, ids)
    not_held = [s.pk for s in seats if not (s.status == SeatStatus.LOCKED and s.held_by_id == user.pk)]
    if not_held:
        raise SeatNotHeld(
            "You are not holding " + ("that seat." if len(not_held) == 1 else "those seats."), seats=not_held
        )
    seats_set_free(ids)
    _emit_released(user, show, ids, "released")
    return ids


@locked
def seats_release_all(*, user, show: Show) -> list[int]:
    """Release every seat the user holds on the show (expired holds too).
    Locks them in pk order; emits seat.released when there were any."""
    ids = [
        s.pk
        for s in ShowSeat.objects.select_for_update()
        .filter(show_id=show.pk, held_by_id=user.pk, status=SeatStatus.LOCKED)
        .order_by("pk")
    ]
    if ids:
        seats_set_free(ids)
        _emit_released(user, show, ids, "released")
        readcache.version_bump(*readcache.show_versions(show))
    return ids
