"""Holding and releasing seats. A seat is holdable when free (see
booking.models.free_q: expired holds count as free) or already held by the
same user; each service here is one durable transaction (services/locking.py).
"""

import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache, wraps

from django.conf import settings
from django.db.models import Count, F, Q
from django.utils import timezone

from accounts.services import user_may_hold_seats
from booking import seating, sql
from booking.exceptions import (
    EmailNotVerified,
    HoldLimitExceeded,
    HoldThrottled,
    InvalidRequest,
    LoneSeat,
    SeatNotHeld,
    SeatUnavailable,
    ShowNotOnSale,
    ShowStarted,
)
from booking.models import BookingSeat, SeatStatus, ShowSeat
from booking.services.common import seat_ids_clean, seats_check_known, seats_set_free, show_ensure_not_started
from booking.services.locking import locked, seats_lock, user_lock
from catalog.models import Seat, SeatType, Show
from catalog.selectors import shows_on_sale
from cinema import metrics, readcache
from cinema.errors import DomainError
from cinema.token_bucket import Rate, bucket_take, rate_parse
from events.services import event_emit

# Best available: lock attempts per call, and how many times the map is re-read
# when every candidate was taken or skipped.
BEST_AVAILABLE_ATTEMPTS = 24
BEST_AVAILABLE_ROUNDS = 4


def hold_id_for(*, show_id: int, user_id: int) -> str:
    """A user's seats on one show form one hold; its id is stable for the pair
    (so the per-seat and per-show endpoints change the same hold)."""
    return f"{show_id}-{user_id}"


def hold_id_parse(hold_id: str) -> tuple[int, int] | None:
    """(show_id, user_id) of a hold id, or None when it is not one."""
    show, sep, user = str(hold_id).partition("-")
    if not sep or not show.isdigit() or not user.isdigit() or len(show) > 18 or len(user) > 18:
        return None
    return int(show), int(user)


@dataclass
class Hold:
    seats: list[ShowSeat]
    expires_at: datetime
    show_id: int | None = None
    user_id: int | None = None

    @property
    def id(self) -> str:
        return hold_id_for(show_id=self.show_id, user_id=self.user_id)


def _hold_duration() -> timedelta:
    return timedelta(seconds=settings.SEAT_HOLD_SECONDS)


@lru_cache(maxsize=8)
def _rate(text: str) -> Rate | None:
    return rate_parse(text)


def _hold_preflight(user, show: Show, now: datetime) -> None:
    """Checks made before any lock: the show has not started, the user may
    hold seats at all, and their holding bucket has a token (HOLD_RATE; one
    Redis round trip, kept out of the locked transaction)."""
    show_ensure_not_started(show, now)
    if not user_may_hold_seats(user=user):
        raise EmailNotVerified("Please confirm your email address (we sent you a link) before holding seats.")
    rate = _rate(settings.HOLD_RATE)
    if rate is not None:
        wait = bucket_take(key=f"hold:{user.pk}", rate=rate)
        if wait:
            raise HoldThrottled(
                f"You are changing seats too quickly. Please wait {max(1, round(wait))} s and try again.",
                retry_after=wait,
            )


def _ensure_on_sale(show: Show, now: datetime) -> None:
    """Under the caller's locks: the show is still on sale (catalog.selectors)."""
    if not shows_on_sale(now=now).filter(pk=show.pk).exists():
        if show.start_time <= now:
            raise ShowStarted("This show has already started.", show_id=show.pk)
        raise ShowNotOnSale("This show is no longer on sale.", show_id=show.pk)


def _check_limit(user, show: Show, now: datetime, wanted: int, exclude=(), *, held: int | None = None) -> None:
    """HoldLimitExceeded if the user would hold more than a limit: seats of
    one show at a time (MAX_SEATS_PER_BOOKING), held and bought on one show
    (MAX_SEATS_PER_USER_PER_SHOW), held across every show
    (MAX_HELD_SEATS_PER_USER). ``held``: the user's unexpired holds on the show
    outside ``exclude``, when the caller already knows them under the user's
    row lock. Two queries (the user's holds by show, their bought seats)."""
    limit = settings.MAX_SEATS_PER_BOOKING
    counts = (
        ShowSeat.objects.held_by(user, now)
        .exclude(show_id=show.pk, pk__in=list(exclude))
        .aggregate(everywhere=Count("pk"), here=Count("pk", filter=Q(show_id=show.pk)))
    )
    if held is None:
        held = counts["here"]
    if held + wanted > limit:
        raise HoldLimitExceeded(
            f"You can hold at most {limit} seats of one show at a time"
            + (f" (you already hold {held})." if held else "."),
            limit=limit,
            held=held,
        )
    per_show = settings.MAX_SEATS_PER_USER_PER_SHOW
    bought = BookingSeat.objects.filter(booking__user_id=user.pk, booking__show_id=show.pk, active=True).count()
    if held + bought + wanted > per_show:
        raise HoldLimitExceeded(
            f"You can have at most {per_show} seats of one show, held and bought together"
            f" (you have {bought} bought and {held} held).",
            limit=per_show,
            held=held,
            bought=bought,
        )
    overall = settings.MAX_HELD_SEATS_PER_USER
    elsewhere = counts["everywhere"] - counts["here"]
    if elsewhere + held + wanted > overall:
        raise HoldLimitExceeded(
            f"You can hold at most {overall} seats across all shows at a time"
            f" (you hold {elsewhere + held}). Book or release some first.",
            limit=overall,
            held=elsewhere + held,
        )


def _emit_held(user, show: Show, seat_ids, until: datetime, now: datetime) -> None:
    event_emit(
        type="seat.held",
        aggregate="show",
        aggregate_id=show.pk,
        now=now,
        data={
            "show_id": show.pk,
            "user_id": user.pk,
            "hold_id": hold_id_for(show_id=show.pk, user_id=user.pk),
            "seat_ids": sorted(seat_ids),
            "expires_at": until,
        },
    )


def _emit_released(user, show: Show, seat_ids, reason: str) -> None:
    event_emit(
        type="seat.released",
        aggregate="show",
        aggregate_id=show.pk,
        data={
            "show_id": show.pk,
            "user_id": user.pk,
            "hold_id": hold_id_for(show_id=show.pk, user_id=user.pk),
            "seat_ids": sorted(seat_ids),
            "reason": reason,
        },
    )


def _check_taken(user, seats: list[ShowSeat], now: datetime) -> None:
    taken = [s.pk for s in seats if not (s.is_free(now) or s.is_held_by(user, now))]
    if taken:
        raise SeatUnavailable(
            "Sorry, someone else just took " + ("that seat." if len(taken) == 1 else "some of those seats."),
            seats=taken,
        )


def _apply_hold(user, show: Show, seats: list[ShowSeat], now: datetime, seat_info: dict | None = None) -> Hold:
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
        _emit_held(user, show, fresh, until, now)
    if seat_info is not None and len(fresh) == len(seats):
        for seat in seats:
            seat.status, seat.held_by_id, seat.held_at, seat.held_until = SeatStatus.LOCKED, user.pk, now, until
            seat.version += 1
            seat.updated_at = now
            seat.seat = seat_info[seat.pk]
        return Hold(seats=sorted(seats, key=lambda x: x.pk), expires_at=until, show_id=show.pk, user_id=user.pk)
    result = list(ShowSeat.objects.filter(pk__in=[s.pk for s in seats]).select_related("seat").order_by("pk"))
    return Hold(seats=result, expires_at=min(s.held_until for s in result), show_id=show.pk, user_id=user.pk)


def _check_lone_seats(user, show: Show, now: datetime, ids, *, replacing: bool) -> None:
    """LoneSeat if holding ``ids`` would strand a single empty seat in its row
    (booking.seating.lone_seats), when LONE_SEAT_RULE is on. ``replacing``: the
    user's other holds on the show are let go, so they count as free. One read
    of the map, without locks (the neighbours are others' seats)."""
    if not settings.LONE_SEAT_RULE:
        return
    # A choice is refused only when another one of as many seats strands none.
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
    if not alternative or seating.lone_seats(free_rows, alternative):
        return  # every choice of that many seats strands one: the rule yields
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


def _counted(service):
    """Count the hold request in /metrics: placed (with its seats) or refused (by code)."""

    @wraps(service)
    def wrapper(*args, **kwargs):
        try:
            hold = service(*args, **kwargs)
        except DomainError as exc:
            metrics.hold_refused(reason=exc.code)
            raise
        metrics.hold_placed(seats=len(hold.seats))
        return hold

    return wrapper


@_counted
def seats_hold(*, user, show: Show, seat_ids, now: datetime | None = None) -> Hold:
    """Hold every seat or none, for SEAT_HOLD_SECONDS, adding to the user's hold
    on the show (the per-seat and per-show endpoints).

    Before any lock: ShowStarted, EmailNotVerified, HoldThrottled (HOLD_RATE).
    Then locks the user row, then the show seats in pk order, and raises
    ShowNotOnSale, InvalidRequest (seats not in the show), HoldLimitExceeded,
    SeatUnavailable (with the taken seat ids). A seat is holdable when
    available, held with an expired hold, or already held by this user (which
    does not extend the hold). Emits seat.held for the newly held seats.
    """
    now = now or timezone.now()
    ids = seat_ids_clean(seat_ids)
    _hold_preflight(user, show, now)
    return _seats_hold(user=user, show=show, ids=ids, now=now)


@locked
def _seats_hold(*, user, show: Show, ids: list[int], now: datetime) -> Hold:
    if len(ids) > settings.MAX_SEATS_PER_BOOKING:
        _check_limit(user, show, now, len(ids), exclude=ids)  # raises, without locking a crowd of rows
    user_lock(user)
    _ensure_on_sale(show, now)
    seats = seats_lock(show, ids)
    seats_check_known(seats, ids)
    _check_taken(user, seats, now)
    _check_limit(user, show, now, len(ids), exclude=ids)
    _check_lone_seats(user, show, now, ids, replacing=False)
    return _apply_hold(user, show, seats, now)


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


@_counted
def seats_hold_best(
    *,
    user,
    show: Show,
    quantity: int,
    seat_type: str | None = None,
    replace: bool = False,
    now: datetime | None = None,
) -> Hold:
    """Choose and hold the best ``quantity`` free seats that sit together (see
    booking.seating: one row, across an aisle, or two adjacent rows; never a
    scatter). ``replace``: the user's earlier seats on the show are let go in
    the same transaction (POST /holds); if nothing fits they stay.

    Before any lock: InvalidRequest (quantity, seat type), ShowStarted,
    EmailNotVerified, HoldThrottled. Locks the user row; reads the map without
    locks, then tries the candidates in order, locking each with SKIP LOCKED
    (in pk order) so rows another transaction is working on are passed over
    rather than waited for. When all candidates were taken or skipped, it
    re-reads the map a few times. Raises ShowNotOnSale, InvalidRequest (a seat
    type the screen does not have), HoldLimitExceeded, and SeatUnavailable
    (the message says why: too few free, or none together).
    """
    now = now or timezone.now()
    quantity = _quantity_clean(quantity, seat_type)
    _hold_preflight(user, show, now)
    return _seats_hold_best(user=user, show=show, quantity=quantity, seat_type=seat_type, replace=replace, now=now)


@locked
def _seats_hold_best(*, user, show: Show, quantity: int, seat_type: str | None, replace: bool, now: datetime) -> Hold:
    user_lock(user)
    _ensure_on_sale(show, now)
    dropped: list[int] = []
    if replace:
        dropped = [
            s.pk
            for s in ShowSeat.objects.select_for_update()
            .filter(show_id=show.pk, held_by_id=user.pk, status=SeatStatus.LOCKED)
            .order_by("pk")
        ]
        if dropped:
            seats_set_free(dropped)  # our own rows, locked until commit: the search sees them free
    taken: set[int] = set()  # seen not free under our lock: gone for this call
    attempts, busy = 0, False
    rows: list = []
    for round_ in range(BEST_AVAILABLE_ROUNDS):
        if busy:
            # Others were mid-change on seats we wanted; give them a moment.
            time.sleep(random.uniform(0.005, 0.02))
        # Hand-written read (booking/sql.py): about a fifth of the ORM's CPU.
        rows = sql.best_rows_sql(show_id=show.pk, user=user, now=now)
        if round_ == 0:
            if seat_type and seat_type not in seating.screen_seat_types(rows):
                label = SeatType(seat_type).label.lower()
                raise InvalidRequest(
                    f"This screen has no {label} seats.",
                    fields={"seat_type": [f"No {label} seats on this screen."]},
                )
            # The user's own holds only change under the user's row lock, which
            # we hold: this read counts them as exactly as a COUNT query would.
            _check_limit(user, show, now, quantity, exclude=dropped, held=sum(r.mine for r in rows))
        candidates = seating.best_blocks(rows, quantity, seat_type=seat_type, exclude=taken)
        if settings.LONE_SEAT_RULE:  # best available never strands a seat
            candidates = seating.blocks_sparing_lone(rows, candidates)
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
                hold = _apply_hold(user, show, got, now, seat_info=_seat_info(show, rows, pks))
                gone = sorted(set(dropped) - set(pks))
                if gone:
                    _emit_released(user, show, gone, "replaced")
                return hold
            taken |= {s.pk for s in rows_locked} - {s.pk for s in got}
            skipped |= set(pks) - {s.pk for s in rows_locked}
        if not candidates or attempts > BEST_AVAILABLE_ATTEMPTS:
            break
        busy = bool(skipped)
    # Nothing is kept: the transaction rolls back (the earlier seats stay held).
    raise SeatUnavailable(seating.shortfall_message(rows, quantity, seat_type=seat_type), requested=quantity)


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
