"""Holding and releasing seats. A seat is holdable when free (see
booking.models.free_q: expired holds count as free) or already held by the
same user; each service here is one durable transaction (services/locking.py).
"""

import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from booking import seating, sql
from booking.exceptions import HoldLimitExceeded, InvalidRequest, LoneSeat, SeatNotHeld, SeatUnavailable
from booking.models import SeatStatus, ShowSeat
from booking.services.common import seat_ids_clean, seats_check_known, seats_set_free, show_ensure_not_started
from booking.services.locking import locked, seats_lock, user_lock
from catalog.models import Seat, SeatType, Show
from cinema import readcache

# Best available: lock attempts per call, and how many times the map is re-read
# when every candidate was taken or skipped.
BEST_AVAILABLE_ATTEMPTS = 24
BEST_AVAILABLE_ROUNDS = 4


@dataclass
class Hold:
    seats: list[ShowSeat]
    expires_at: datetime


def _hold_duration() -> timedelta:
    return timedelta(seconds=settings.SEAT_HOLD_SECONDS)


def _check_limit(user, show: Show, now: datetime, wanted: int, exclude=(), *, held: int | None = None) -> None:
    """HoldLimitExceeded if the user would hold more than the limit. ``held``:
    the user's unexpired holds on the show elsewhere, when the caller already
    knows them under the user's row lock (else one COUNT query)."""
    limit = settings.MAX_SEATS_PER_BOOKING
    if held is None:
        held = ShowSeat.objects.held_by(user, now).filter(show_id=show.pk).exclude(pk__in=exclude).count()
    if held + wanted > limit:
        raise HoldLimitExceeded(
            f"You can hold at most {limit} seats of one show at a time"
            + (f" (you already hold {held})." if held else "."),
            limit=limit,
            held=held,
        )


def _check_taken(user, seats: list[ShowSeat], now: datetime) -> None:
    taken = [s.pk for s in seats if not (s.is_free(now) or s.is_held_by(user, now))]
    if taken:
        raise SeatUnavailable(
            "Sorry, someone else just took " + ("that seat." if len(taken) == 1 else "some of those seats."),
            seats=taken,
        )


def _apply_hold(user, seats: list[ShowSeat], now: datetime, seat_info: dict | None = None) -> Hold:
    """Hold the free ones of ``seats`` (locked by the caller) until now + the hold time.

    With ``seat_info`` ({show seat pk: Seat}) and every seat free, the rows
    are known exactly after the UPDATE (we hold their locks), so the answer is
    built in memory instead of read back.
    """
    until = now + _hold_duration()
    fresh = [s.pk for s in seats if s.is_free(now)]
    if fresh:
        ShowSeat.objects.filter(pk__in=fresh).update(
            status=SeatStatus.LOCKED,
            held_by=user.pk,
            held_at=now,
            held_until=until,
            version=F("version") + 1,
            updated_at=now,
        )
    if seat_info is not None and len(fresh) == len(seats):
        for seat in seats:
            seat.status, seat.held_by_id, seat.held_at, seat.held_until = SeatStatus.LOCKED, user.pk, now, until
            seat.version += 1
            seat.updated_at = now
            seat.seat = seat_info[seat.pk]
        return Hold(seats=sorted(seats, key=lambda x: x.pk), expires_at=until)
    result = list(ShowSeat.objects.filter(pk__in=[s.pk for s in seats]).select_related("seat").order_by("pk"))
    return Hold(seats=result, expires_at=min(s.held_until for s in result))


def _check_lone_seats(user, show: Show, now: datetime, ids, *, replacing: bool) -> None:
    """LoneSeat if holding ``ids`` would strand a single empty seat in its row
    (booking.seating.lone_seats), when LONE_SEAT_RULE is on. ``replacing``: the
    user's other holds on the show are let go, so they count as free. One read
    of the map, without locks (the neighbours are others' seats)."""
    if not settings.LONE_SEAT_RULE:
        return
    wanted = set(ids)
    rows = [
        r._replace(free=1) if replacing and r.mine and r.pk not in wanted else r
        for r in sql.best_rows_sql(show_id=show.pk, user=user, now=now)
    ]
    lone = seating.lone_seats(rows, wanted)
    if not lone:
        return
    names = {r.pk: f"{r.row_label}{r.number}" for r in rows}
    free_rows = [r._replace(free=1) if r.pk in wanted else r for r in rows]
    alternative = seating.suggest_seats(free_rows, len(wanted), near=sorted(wanted))
    lone_names = [names[pk] for pk in lone]
    raise LoneSeat(
        f"That choice would leave {', '.join(lone_names)} on its own. "
        + (
            f"Try {', '.join(names[pk] for pk in alternative)} instead, or move your seats next to it."
            if alternative
            else "Please move your seats so no single seat is left empty."
        ),
        seats=lone,
        names=lone_names,
        alternative=alternative,
        alternative_names=[names[pk] for pk in alternative],
    )


@locked
def seats_hold(*, user, show: Show, seat_ids, now: datetime | None = None) -> Hold:
    """Hold every seat or none, for SEAT_HOLD_SECONDS.

    Locks the user row, then the show seats in pk order. A seat is holdable when
    available, held with an expired hold, or already held by this user (which
    does not extend the hold). Raises ShowStarted, InvalidRequest (seats not in
    the show), HoldLimitExceeded, SeatUnavailable (with the taken seat ids).
    """
    now = now or timezone.now()
    ids = seat_ids_clean(seat_ids)
    show_ensure_not_started(show, now)
    if len(ids) > settings.MAX_SEATS_PER_BOOKING:
        _check_limit(user, show, now, len(ids), exclude=ids)  # raises, without locking a crowd of rows
    user_lock(user)
    seats = seats_lock(show, ids)
    seats_check_known(seats, ids)
    _check_taken(user, seats, now)
    _check_limit(user, show, now, len(ids), exclude=ids)
    _check_lone_seats(user, show, now, ids, replacing=False)
    return _apply_hold(user, seats, now)


@locked
def hold_replace(*, user, show: Show, seat_ids, now: datetime | None = None) -> Hold:
    """Make the user's holds on the show exactly ``seat_ids`` (the seat picker).

    All or nothing, in one transaction: the new seats are held (as seats_hold
    does) and the user's other holds on the show are released; if any wanted
    seat is taken, nothing changes and the old holds stay. The limit counts the
    new seats only, since the others are let go. Locks the user row, then the
    wanted and the dropped show seats together in pk order. Raises what
    seats_hold raises.
    """
    now = now or timezone.now()
    ids = seat_ids_clean(seat_ids)
    show_ensure_not_started(show, now)
    if len(ids) > settings.MAX_SEATS_PER_BOOKING:
        _check_limit(user, show, now, len(ids), held=0)  # raises, without locking a crowd of rows
    user_lock(user)
    # The user's holds only change under the user's row lock, which we hold.
    current = set(ShowSeat.objects.held_by(user, now).filter(show_id=show.pk).values_list("pk", flat=True))
    dropped = current - set(ids)
    rows = seats_lock(show, sorted(set(ids) | dropped))
    seats = [s for s in rows if s.pk not in dropped]
    seats_check_known(seats, ids)
    _check_taken(user, seats, now)
    _check_lone_seats(user, show, now, ids, replacing=True)
    if dropped:
        seats_set_free(sorted(dropped))
    return _apply_hold(user, seats, now)


def _quantity_clean(quantity, seat_type: str | None) -> int:
    limit = settings.MAX_SEATS_PER_BOOKING
    try:
        quantity = int(quantity)
    except (TypeError, ValueError) as exc:
        raise InvalidRequest("Quantity must be a whole number.", fields={"quantity": ["not a number"]}) from exc
    if quantity < 1:
        raise InvalidRequest("Ask for at least one seat.", fields={"quantity": ["must be 1 or more"]})
    if quantity > limit:
        # The same answer as holding that many seats by id: 409 HOLD_LIMIT.
        raise HoldLimitExceeded(f"You can hold at most {limit} seats of one show at a time.", limit=limit, held=0)
    if seat_type and seat_type not in SeatType.values:
        raise InvalidRequest("Unknown seat type.", fields={"seat_type": [f"one of {', '.join(SeatType.values)}"]})
    return quantity


def _seat_info(show: Show, rows: list[sql.BestRow], pks) -> dict[int, Seat]:
    """{show seat pk: Seat} for ``pks``, built from the map already read."""
    return {
        r.pk: Seat(
            pk=r.seat_id,
            screen_id=show.screen_id,
            row_index=r.row_index,
            column=r.column,
            seat_type=r.seat_type,
            row_label=r.row_label,
            number=r.number,
        )
        for r in rows
        if r.pk in pks
    }


@locked
def seats_hold_best(
    *, user, show: Show, quantity: int, seat_type: str | None = None, now: datetime | None = None
) -> Hold:
    """Choose and hold the best ``quantity`` free seats (see booking.seating).

    Locks the user row; reads the map without locks, then tries the candidates
    in order, locking each with SKIP LOCKED (in pk order) so rows another
    transaction is working on are passed over rather than waited for. When all
    candidates were taken or skipped, it re-reads the map a few times. Raises
    ShowStarted, InvalidRequest (quantity, seat type), HoldLimitExceeded, and
    SeatUnavailable when not enough seats are free.
    """
    now = now or timezone.now()
    quantity = _quantity_clean(quantity, seat_type)
    show_ensure_not_started(show, now)
    user_lock(user)
    taken: set[int] = set()  # seen not free under our lock: gone for this call
    attempts, busy = 0, False
    for round_ in range(BEST_AVAILABLE_ROUNDS):
        if busy:
            # Others were mid-change on seats we wanted; give them a moment.
            time.sleep(random.uniform(0.005, 0.02))
        # Hand-written read (booking/sql.py): about a fifth of the ORM's CPU.
        rows = sql.best_rows_sql(show_id=show.pk, user=user, now=now)
        if round_ == 0:
            # The user's own holds only change under the user's row lock, which
            # we hold: this read counts them as exactly as a COUNT query would.
            _check_limit(user, show, now, quantity, held=sum(r.mine for r in rows))
        candidates = seating.best_blocks(rows, quantity, seat_type=seat_type, exclude=taken)
        if settings.LONE_SEAT_RULE:  # best available never strands a seat
            candidates = seating.blocks_without_lone(rows, candidates)
        skipped: set[int] = set()  # locked by another transaction right now
        for pks in candidates:
            if skipped.intersection(pks) or taken.intersection(pks):
                continue
            attempts += 1
            if attempts > BEST_AVAILABLE_ATTEMPTS:
                break
            rows_locked = seats_lock(show, pks, skip_locked=True)
            got = [s for s in rows_locked if s.is_free(now)]
            if len(got) == quantity:
                return _apply_hold(user, got, now, seat_info=_seat_info(show, rows, pks))
            taken |= {s.pk for s in rows_locked} - {s.pk for s in got}
            skipped |= set(pks) - {s.pk for s in rows_locked}
        if not candidates or attempts > BEST_AVAILABLE_ATTEMPTS:
            break
        busy = bool(skipped)
    raise SeatUnavailable(
        f"Sorry, there are not {quantity} free seats left together for this show.", requested=quantity
    )


@locked
def seats_release(*, user, show: Show, seat_ids) -> list[int]:
    """Release seats the user holds. Locks them in pk order.

    Raises InvalidRequest for seats not in the show and SeatNotHeld for seats
    the user does not hold (an own expired hold counts as held: releasing it is
    harmless). Returns the released ids.
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
    return ids


@locked
def seats_release_all(*, user, show: Show) -> list[int]:
    """Release every seat the user holds on the show (expired holds too)."""
    ids = [
        s.pk
        for s in ShowSeat.objects.select_for_update()
        .filter(show_id=show.pk, held_by_id=user.pk, status=SeatStatus.LOCKED)
        .order_by("pk")
    ]
    if ids:
        seats_set_free(ids)
        readcache.version_bump(*readcache.show_versions(show))
    return ids
