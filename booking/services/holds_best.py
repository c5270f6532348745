"""Best available: choose and hold the best free seats that sit together
(booking.seating finds them; hold_rules.py checks and takes them). One
durable transaction per call (services/locking.py).
"""

import random
import time
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from booking import seating, sql
from booking.exceptions import HoldLimitExceeded, InvalidRequest, SeatUnavailable
from booking.models import SeatStatus, ShowSeat
from booking.services.common import seats_set_free
from booking.services.hold_rules import (
    Hold,
    _apply_hold,
    _check_limit,
    _counted,
    _emit_released,
    _ensure_on_sale,
    _hold_preflight,
)
from booking.services.locking import locked, seats_lock, user_lock
from catalog.models import Seat, SeatType, Show

# Best available: lock attempts per call, and how many times the map is re-read
# when every candidate was taken or skipped.
BEST_AVAILABLE_ATTEMPTS = 24
BEST_AVAILABLE_ROUNDS = 4

# Shows on which a best-available hold of this process lately found too few
# free seats: show pk -> time.monotonic() then. While that is fresh, a hold on
# the show first asks the database, without a transaction or a lock, whether
# enough seats are free at all (_refuse_if_too_few): past a sell-out, the
# latecomers' refusals cost one round trip instead of the locked search. Only
# a hint for which way to ask; the answer is always the database's.
_SHORT: dict[int, float] = {}
SHORT_SECONDS = 10.0
SHORT_KEPT = 10_000


def _short_lately(show_id: int) -> bool:
    at = _SHORT.get(show_id)
    return at is not None and time.monotonic() - at < SHORT_SECONDS


def _short_seen(show_id: int) -> None:
    if len(_SHORT) >= SHORT_KEPT:
        _SHORT.clear()
    _SHORT[show_id] = time.monotonic()


def _refuse_if_too_few(user, show: Show, quantity: int, now: datetime) -> None:
    """Raise what the locked search would if the show has fewer than
    ``quantity`` free seats (ShowNotOnSale / ShowStarted, HoldLimitExceeded,
    then SeatUnavailable, in its order), read in one round trip without
    locks, as the search reads the map; return when enough are free (the
    locked search decides). Writes nothing, so a race with the user's own
    requests can at most change which refusal they get."""
    check = sql.free_check_sql(user=user, show_id=show.pk, now=now)
    if check.free >= quantity:
        _SHORT.pop(show.pk, None)
        return
    _ensure_on_sale(show, now, on_sale=check.on_sale)
    _check_limit(user, show, now, quantity, counts=check.counts)
    raise SeatUnavailable(seating.too_few_message(check.free, quantity), requested=quantity)


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
    if not replace and not seat_type and _short_lately(show.pk):
        _refuse_if_too_few(user, show, quantity, now)
    return _seats_hold_best(user=user, show=show, quantity=quantity, seat_type=seat_type, replace=replace, now=now)


@locked
def _seats_hold_best(*, user, show: Show, quantity: int, seat_type: str | None, replace: bool, now: datetime) -> Hold:
    start = None
    if replace:
        user_lock(user)
        _ensure_on_sale(show, now)
    else:  # the lock and the first reads in one round trip (booking/sql.py)
        start = sql.hold_start_sql(user=user, show_id=show.pk, now=now)
        _ensure_on_sale(show, now, on_sale=start.on_sale)
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
        rows = start.rows if start and round_ == 0 else sql.best_rows_sql(show_id=show.pk, user=user, now=now)
        if round_ == 0:
            if seat_type and seat_type not in seating.screen_seat_types(rows):
                label = SeatType(seat_type).label.lower()
                raise InvalidRequest(
                    f"This screen has no {label} seats.",
                    fields={"seat_type": [f"No {label} seats on this screen."]},
                )
            # The user's own holds only change under the user's row lock, which
            # we hold: this read counts them as exactly as a COUNT query would.
            held = sum(r.mine for r in rows)
            _check_limit(user, show, now, quantity, exclude=dropped, held=held, counts=start and start.counts)
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
    if sum(r.free for r in rows) < quantity:
        _short_seen(show.pk)
    raise SeatUnavailable(seating.shortfall_message(rows, quantity, seat_type=seat_type), requested=quantity)
