"""The seat rules. Every change to a show seat, a booking or a show's schedule
goes through this module; the HTML views, the API and the admin all call it.

Each public write runs in its own durable transaction (see ``_locked``), takes
``SELECT ... FOR UPDATE`` on the rows it changes, always in primary-key order,
and treats a hold whose ``held_until`` has passed as free (lazy expiry).
"""

import functools
import hashlib
import json
import random
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from booking.exceptions import (
    CancellationClosed,
    HoldExpired,
    HoldLimitExceeded,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    InvalidRequest,
    LayoutInUse,
    LockTimeout,
    NotAllowed,
    ScreenBusy,
    SeatNotHeld,
    SeatUnavailable,
    ShowHasBookings,
    ShowStarted,
)
from booking.models import Booking, BookingSeat, BookingStatus, IdempotencyRecord, SeatStatus, ShowSeat
from catalog.models import Movie, Screen, Seat, SeatType, Show, overlap_message
from catalog.services import screen_seats_apply, screen_seats_plan

DEADLOCK_RETRIES = 3
# Best available: lock attempts per call, and how many times the map is re-read
# when every candidate was taken or skipped.
BEST_AVAILABLE_ATTEMPTS = 24
BEST_AVAILABLE_ROUNDS = 4
CODE_ATTEMPTS = 5
IDEMPOTENCY_KEY_MAX_LENGTH = 255
MYSQL_LOCK_WAIT_TIMEOUT = 1205
MYSQL_DEADLOCK = 1213
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


# --------------------------------------------------------------------------
# transactions
# --------------------------------------------------------------------------
def _lock_error(exc: OperationalError) -> str | None:
    code = exc.args[0] if exc.args else None
    if code == MYSQL_DEADLOCK:
        return "deadlock"
    if code == MYSQL_LOCK_WAIT_TIMEOUT or "database is locked" in str(exc):
        return "timeout"
    return None


def _locked(fn):
    """Run ``fn`` in ``transaction.atomic(durable=True)``.

    A deadlock rolls everything back and is retried a few times; a lock wait
    past ``innodb_lock_wait_timeout`` (or SQLite's busy timeout) becomes
    LockTimeout (503 + Retry-After). Either way a failed call changed nothing.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        for attempt in range(1, DEADLOCK_RETRIES + 1):
            try:
                with transaction.atomic(durable=True):
                    return fn(*args, **kwargs)
            except OperationalError as exc:
                kind = _lock_error(exc)
                if kind == "deadlock" and attempt < DEADLOCK_RETRIES:
                    time.sleep(random.uniform(0.005, 0.03) * attempt)
                    continue
                if kind:
                    raise LockTimeout("Those seats are busy right now. Please try again in a moment.") from exc
                raise
        raise AssertionError("unreachable")

    return wrapper


def _hold_duration() -> timedelta:
    return timedelta(seconds=settings.SEAT_HOLD_SECONDS)


def _ensure_not_started(show: Show, now: datetime) -> None:
    if show.start_time <= now:
        raise ShowStarted("This show has already started.", show_id=show.pk)


def _lock_user(user) -> None:
    """Serialize one user's own seat changes, so the per-user limit holds even
    when the same person fires several requests at once.

    Lock order everywhere: this user row first, then a booking row, then show
    seats in pk order. Taking it first also keeps InnoDB's foreign-key checks
    (a shared lock on the user row when a hold, booking or cancellation names
    the user) from closing a cycle with another transaction of the same user.
    """
    if not connection.features.has_select_for_update:  # SQLite: the write transaction is the lock
        list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))
        return
    # Hand-written: every hold, booking and cancel starts here, and the ORM
    # spent more CPU compiling this one-row lock than the database running it.
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_USER_SQL.format(table=get_user_model()._meta.db_table), [user.pk])
        cursor.fetchall()


_LOCK_USER_SQL = "SELECT id FROM {table} WHERE id = %s FOR UPDATE"


def _lock_seats(show: Show, seat_ids, *, skip_locked: bool = False) -> list[ShowSeat]:
    return list(
        ShowSeat.objects.select_for_update(skip_locked=skip_locked)
        .filter(show_id=show.pk, pk__in=seat_ids)
        .order_by("pk")
    )


def _check_known(seats: list[ShowSeat], seat_ids: list[int]) -> None:
    unknown = sorted(set(seat_ids) - {s.pk for s in seats})
    if unknown:
        raise InvalidRequest(
            "Some seats are not part of this show.",
            seats=unknown,
            fields={"seat_ids": [f"Not seats of this show: {', '.join(map(str, unknown))}."]},
        )


def _clean_ids(seat_ids) -> list[int]:
    try:
        ids = sorted({int(pk) for pk in seat_ids})
    except (TypeError, ValueError) as exc:
        raise InvalidRequest("Seat ids must be whole numbers.", fields={"seat_ids": ["not a list of ids"]}) from exc
    if not ids:
        raise InvalidRequest("Choose at least one seat.", fields={"seat_ids": ["empty"]})
    return ids


def _apply_prices(show: Show, prices: dict | None) -> None:
    if not prices:
        return
    try:
        cleaned = {SeatType(str(kind)): Decimal(str(value)) for kind, value in dict(prices).items()}
    except (TypeError, ValueError, InvalidOperation) as exc:
        raise InvalidRequest(
            "Prices must map seat types to amounts.", fields={"prices": ["invalid seat type or amount"]}
        ) from exc
    if any(not value.is_finite() or value < 0 for value in cleaned.values()):
        raise InvalidRequest("Prices cannot be negative.", fields={"prices": ["must be 0 or more"]})
    show.set_prices(cleaned)


def _set_free(pks) -> None:
    ShowSeat.objects.filter(pk__in=pks).update(
        status=SeatStatus.AVAILABLE,
        held_by=None,
        held_at=None,
        held_until=None,
        version=F("version") + 1,
        updated_at=timezone.now(),
    )


# --------------------------------------------------------------------------
# scheduling
# --------------------------------------------------------------------------
@_locked
def show_schedule(*, movie: Movie, screen: Screen, start_time: datetime, prices: dict | None = None) -> Show:
    """Create a show and one show seat per seat of the screen.

    Locks the screen row, so two schedulers cannot both slip a show into the
    same free slot. Raises ScreenBusy when the show would overlap another.
    """
    Screen.objects.select_for_update().filter(pk=screen.pk).first()
    show = Show(movie=movie, screen=screen, start_time=start_time)
    _apply_prices(show, prices)
    show.end_time = show.compute_end_time()
    clash = show.overlapping_shows().select_related("movie").first()
    if clash:
        raise ScreenBusy(overlap_message(clash), show_id=clash.pk)
    show.save()
    seat_ids = Seat.objects.filter(screen_id=screen.pk).order_by("pk").values_list("pk", flat=True)
    ShowSeat.objects.bulk_create([ShowSeat(show=show, seat_id=pk) for pk in seat_ids], batch_size=500)
    return show


@_locked
def show_update(
    *,
    show: Show,
    movie: Movie | None = None,
    start_time: datetime | None = None,
    prices: dict | None = None,
) -> Show:
    """Change a show's movie, time or prices (not its screen), re-checking overlap.

    A show with bookings keeps its time and movie (SHOW_HAS_BOOKINGS).
    """
    Screen.objects.select_for_update().filter(pk=show.screen_id).first()
    show = Show.objects.select_for_update().get(pk=show.pk)
    moves = (movie is not None and movie.pk != show.movie_id) or (
        start_time is not None and start_time != show.start_time
    )
    if moves and Booking.objects.filter(show=show).exists():
        raise ShowHasBookings("This show has bookings: its movie and time can no longer change.")
    if movie is not None:
        show.movie = movie
    if start_time is not None:
        show.start_time = start_time
    _apply_prices(show, prices)
    show.end_time = show.compute_end_time()
    clash = show.overlapping_shows().select_related("movie").first()
    if clash:
        raise ScreenBusy(overlap_message(clash), show_id=clash.pk)
    show.save()
    return show


@_locked
def show_delete(*, show: Show) -> None:
    """Delete a show and its seats (holds go with them).

    Locks the screen, the show's seats in pk order, then the show row: the
    same order a booking takes (seats, then the show through its foreign key),
    so the two cannot deadlock. Raises ShowHasBookings if anyone booked it,
    even if the booking was cancelled since.
    """
    Screen.objects.select_for_update().filter(pk=show.screen_id).first()
    list(ShowSeat.objects.select_for_update().filter(show_id=show.pk).order_by("pk").values_list("pk"))
    show = Show.objects.select_for_update().get(pk=show.pk)
    if Booking.objects.filter(show=show).exists():
        raise ShowHasBookings("This show has bookings and cannot be deleted.")
    show.delete()


@_locked
def screen_layout_update(*, screen: Screen, layout, name: str | None = None, now: datetime | None = None) -> Screen:
    """Change a screen's layout (and optionally its name, in the same
    transaction) and bring the seats of its shows in line.

    New seats are added to every show that has not started; seats the layout
    drops are removed from all shows, unless some show has ever sold it or
    someone holds it now (LayoutInUse). Seats whose type or place changed get
    their show seats' version bumped, so seat-map ETags move. Locks the screen,
    then the affected show seats in pk order. Raises ValidationError for a bad
    layout.
    """
    from catalog.layout import layout_text

    screen = Screen.objects.select_for_update().get(pk=screen.pk)
    screen.layout = layout if isinstance(layout, str) else layout_text(layout)
    if name is not None:
        screen.name = name
    screen.full_clean()
    new, changed, dropped = screen_seats_plan(screen=screen)
    now = now or timezone.now()
    touched = list(dropped) + [seat.pk for seat in changed]
    affected = list(ShowSeat.objects.select_for_update().filter(seat_id__in=touched).order_by("pk")) if touched else []
    if changed:
        ShowSeat.objects.filter(pk__in=[s.pk for s in affected if s.seat_id not in set(dropped)]).update(
            version=F("version") + 1, updated_at=now
        )
    if dropped:
        in_use = {s.seat_id for s in affected if s.seat_id in set(dropped) and not s.is_free(now)}
        in_use |= set(
            BookingSeat.objects.filter(show_seat__seat_id__in=dropped).values_list("show_seat__seat_id", flat=True)
        )
        if in_use:
            names = ", ".join(sorted(s.name for s in Seat.objects.filter(pk__in=in_use)))
            raise LayoutInUse(
                f"Seats {names} are sold or held in a show, so the layout cannot drop them.",
                seats=sorted(in_use),
            )
        ShowSeat.objects.filter(seat_id__in=dropped).delete()
    screen.save()
    screen_seats_apply(new=new, changed=changed, dropped=dropped)
    if new:
        # Read the new ids back: MySQL 8's bulk insert does not return them.
        keys = {(seat.row_label, seat.number) for seat in new}
        created = [
            pk
            for pk, label, number in Seat.objects.filter(screen=screen).values_list("pk", "row_label", "number")
            if (label, number) in keys
        ]
        upcoming = Show.objects.filter(screen=screen, start_time__gt=now).values_list("pk", flat=True)
        ShowSeat.objects.bulk_create(
            [ShowSeat(show_id=show_id, seat_id=seat_id) for show_id in upcoming for seat_id in created],
            batch_size=500,
        )
    return screen


# --------------------------------------------------------------------------
# holds
# --------------------------------------------------------------------------
@dataclass
class Hold:
    seats: list[ShowSeat]
    expires_at: datetime


def _held_elsewhere_count(user, show: Show, now: datetime, exclude) -> int:
    return (
        ShowSeat.objects.filter(show_id=show.pk, held_by_id=user.pk, status=SeatStatus.LOCKED, held_until__gt=now)
        .exclude(pk__in=exclude)
        .count()
    )


def _check_limit(user, show: Show, now: datetime, wanted: int, exclude=(), *, held: int | None = None) -> None:
    """HoldLimitExceeded if the user would hold more than the limit. ``held``:
    the user's unexpired holds on the show elsewhere, when the caller already
    read them under the user's row lock (else one COUNT query)."""
    limit = settings.MAX_SEATS_PER_BOOKING
    if held is None:
        held = _held_elsewhere_count(user, show, now, exclude)
    if held + wanted > limit:
        raise HoldLimitExceeded(
            f"You can hold at most {limit} seats of one show at a time"
            + (f" (you already hold {held})." if held else "."),
            limit=limit,
            held=held,
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


@_locked
def seats_hold(*, user, show: Show, seat_ids, now: datetime | None = None) -> Hold:
    """Hold every seat or none, for SEAT_HOLD_SECONDS.

    Locks the user row, then the show seats in pk order. A seat is holdable when
    available, held with an expired hold, or already held by this user (which
    does not extend the hold). Raises ShowStarted, InvalidRequest (seats not in
    the show), HoldLimitExceeded, SeatUnavailable (with the taken seat ids).
    """
    now = now or timezone.now()
    ids = _clean_ids(seat_ids)
    _ensure_not_started(show, now)
    if len(ids) > settings.MAX_SEATS_PER_BOOKING:
        _check_limit(user, show, now, len(ids), exclude=ids)  # raises, without locking a crowd of rows
    _lock_user(user)
    seats = _lock_seats(show, ids)
    _check_known(seats, ids)
    taken = [s.pk for s in seats if not (s.is_free(now) or s.is_held_by(user, now))]
    if taken:
        raise SeatUnavailable(
            "Sorry, someone else just took " + ("that seat." if len(taken) == 1 else "some of those seats."),
            seats=taken,
        )
    _check_limit(user, show, now, len(ids), exclude=ids)
    return _apply_hold(user, seats, now)


@dataclass
class _Run:
    """Adjacent free seats of one row: [(column, pk, accessible), ...]."""

    row_index: int
    row_cost: int
    centre: float
    seats: list


def _free_runs(rows, now: datetime, seat_type: str | None, exclude) -> list[_Run]:
    by_row: dict[int, list] = {}
    for pk, status, held_until, row_index, column, kind in rows:
        free = (status == SeatStatus.AVAILABLE or (status == SeatStatus.LOCKED and held_until <= now)) and (
            pk not in exclude and (not seat_type or kind == seat_type)
        )
        by_row.setdefault(row_index, []).append((column, pk, free, kind == SeatType.ACCESSIBLE))
    if not by_row:
        return []
    # The sweet spot is about two thirds of the way back; small rooms: the back row.
    last = max(by_row)
    sweet = round((last + 1) * 2 / 3) - 1 if len(by_row) > 2 else last
    runs = []
    for row_index, seats in sorted(by_row.items()):
        seats.sort()
        centre = (seats[0][0] + seats[-1][0]) / 2
        run: list = []
        for column, pk, free, accessible in seats + [(None, None, False, False)]:
            if free and run and column == run[-1][0] + 1:
                run.append((column, pk, accessible))
                continue
            if run:
                runs.append(_Run(row_index, abs(row_index - sweet), centre, run))
            run = [(column, pk, accessible)] if free else []
    return runs


def _windows(run: _Run, size: int):
    """(score, pks) for every window of ``size`` seats in a run; lower is better.

    A window that takes an accessible seat comes last (keep them for people who
    need them), then one that leaves a single seat stranded at either side,
    then a worse row, then further from the centre of the row.
    """
    for start in range(len(run.seats) - size + 1):
        block = run.seats[start : start + size]
        strands = start == 1 or len(run.seats) - start - size == 1
        middle = (block[0][0] + block[-1][0]) / 2
        score = (
            any(accessible for _, _, accessible in block),
            strands,
            run.row_cost,
            abs(middle - run.centre),
            run.row_index,
            block[0][0],
        )
        yield score, [pk for _, pk, _ in block]


def _scattered(runs: list[_Run], quantity: int) -> list[int] | None:
    """When no row has ``quantity`` seats together: as few pieces as possible.

    Takes a run that fits the remainder exactly (so nothing is stranded) or
    else the longest run, best rows first, until enough seats are picked.
    """
    pool = list(runs)
    if sum(len(r.seats) for r in pool) < quantity:
        return None
    picked: list[int] = []
    while len(picked) < quantity:
        remaining = quantity - len(picked)
        exact = [r for r in pool if len(r.seats) == remaining]
        run = min(exact or pool, key=lambda r: (-len(r.seats), r.row_cost, r.row_index))
        pool.remove(run)
        size = min(len(run.seats), remaining)
        picked += min(_windows(run, size))[1]
    return sorted(picked)


def _best_candidates(rows, quantity: int, now: datetime, seat_type: str | None, exclude=frozenset()) -> list[list[int]]:
    """Blocks of ``quantity`` adjacent free seats of one row, best first (see
    _windows). If no row has that many together, a single scattered choice."""
    runs = _free_runs(rows, now, seat_type, exclude)
    candidates = sorted(window for run in runs for window in _windows(run, quantity))
    if candidates:
        return [pks for _, pks in candidates]
    fallback = _scattered(runs, quantity)
    return [fallback] if fallback else []


def _map_for_best(show: Show, user, now: datetime) -> list[tuple]:
    """Every seat of the show, unlocked: (pk, status, held_until, row_index,
    column, seat_type, held by ``user`` and unexpired (0/1), seat_id,
    row_label, number), in the shape _best_candidates reads.

    Free-ness is decided in SQL, so a seat that is not free reads as SOLD with
    no held_until (the search only asks "free or not") and no datetime is
    converted per row. Hand-written: through the ORM this read cost about five
    times the CPU (0.76 ms against 0.14 ms for 220 seats; docs/performance.md).
    """
    ops = connection.ops
    sql = (
        "SELECT ss.id,"
        " CASE WHEN ss.status = %s OR (ss.status = %s AND ss.held_until <= %s) THEN 1 ELSE 0 END,"
        " s.row_index, s.{column}, s.seat_type,"
        " CASE WHEN ss.status = %s AND ss.held_by_id = %s AND ss.held_until > %s THEN 1 ELSE 0 END,"
        " s.id, s.row_label, s.number"
        " FROM {show_seat} ss INNER JOIN {seat} s ON s.id = ss.seat_id WHERE ss.show_id = %s"
    ).format(column=ops.quote_name("column"), show_seat=ShowSeat._meta.db_table, seat=Seat._meta.db_table)
    at = ops.adapt_datetimefield_value(now)
    available, locked, sold = SeatStatus.AVAILABLE.value, SeatStatus.LOCKED.value, SeatStatus.SOLD.value
    with connection.cursor() as cursor:
        cursor.execute(sql, [available, locked, at, locked, user.pk, at, show.pk])
        return [
            (pk, available if free else sold, None, row_index, column, kind, mine, seat_id, label, number)
            for pk, free, row_index, column, kind, mine, seat_id, label, number in cursor.fetchall()
        ]


@_locked
def seats_hold_best(
    *, user, show: Show, quantity: int, seat_type: str | None = None, now: datetime | None = None
) -> Hold:
    """Choose and hold the best ``quantity`` free seats (see _best_candidates).

    Locks the user row; reads the map without locks, then tries the candidates
    in order, locking each with SKIP LOCKED (in pk order) so rows another
    transaction is working on are passed over rather than waited for. When all
    candidates were taken or skipped, it re-reads the map a few times. Raises
    ShowStarted, InvalidRequest (quantity, seat type), HoldLimitExceeded, and
    SeatUnavailable when not enough seats are free.
    """
    now = now or timezone.now()
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
    _ensure_not_started(show, now)
    _lock_user(user)
    taken: set[int] = set()  # seen not free under our lock: gone for this call
    attempts, busy = 0, False
    for round_ in range(BEST_AVAILABLE_ROUNDS):
        if busy:
            # Others were mid-change on seats we wanted; give them a moment.
            time.sleep(random.uniform(0.005, 0.02))
        rows = _map_for_best(show, user, now)
        if round_ == 0:
            # The user's own holds only change under the user's row lock, which
            # we hold: this read counts them as exactly as a COUNT query would.
            _check_limit(user, show, now, quantity, held=sum(r[6] for r in rows))
        candidates = _best_candidates([r[:6] for r in rows], quantity, now, seat_type, exclude=taken)
        skipped: set[int] = set()  # locked by another transaction right now
        for pks in candidates:
            if skipped.intersection(pks) or taken.intersection(pks):
                continue
            attempts += 1
            if attempts > BEST_AVAILABLE_ATTEMPTS:
                break
            locked = _lock_seats(show, pks, skip_locked=True)
            got = [s for s in locked if s.is_free(now)]
            if len(got) == quantity:
                info = {
                    r[0]: Seat(
                        pk=r[7],
                        screen_id=show.screen_id,
                        row_index=r[3],
                        column=r[4],
                        seat_type=r[5],
                        row_label=r[8],
                        number=r[9],
                    )
                    for r in rows
                    if r[0] in pks
                }
                return _apply_hold(user, got, now, seat_info=info)
            taken |= {s.pk for s in locked} - {s.pk for s in got}
            skipped |= set(pks) - {s.pk for s in locked}
        if not candidates or attempts > BEST_AVAILABLE_ATTEMPTS:
            break
        busy = bool(skipped)
    raise SeatUnavailable(
        f"Sorry, there are not {quantity} free seats left together for this show.", requested=quantity
    )


@_locked
def seats_release(*, user, show: Show, seat_ids) -> list[int]:
    """Release seats the user holds. Locks them in pk order.

    Raises InvalidRequest for seats not in the show and SeatNotHeld for seats
    the user does not hold (an own expired hold counts as held: releasing it is
    harmless). Returns the released ids.
    """
    ids = _clean_ids(seat_ids)
    seats = _lock_seats(show, ids)
    _check_known(seats, ids)
    not_held = [s.pk for s in seats if not (s.status == SeatStatus.LOCKED and s.held_by_id == user.pk)]
    if not_held:
        raise SeatNotHeld(
            "You are not holding " + ("that seat." if len(not_held) == 1 else "those seats."), seats=not_held
        )
    _set_free(ids)
    return ids


@_locked
def seats_release_all(*, user, show: Show) -> list[int]:
    """Release every seat the user holds on the show (expired holds too)."""
    ids = [
        s.pk
        for s in ShowSeat.objects.select_for_update()
        .filter(show_id=show.pk, held_by_id=user.pk, status=SeatStatus.LOCKED)
        .order_by("pk")
    ]
    if ids:
        _set_free(ids)
    return ids


# --------------------------------------------------------------------------
# bookings
# --------------------------------------------------------------------------
@dataclass
class BookingOutcome:
    booking: Booking
    replayed: bool = False
    record: IdempotencyRecord | None = None


def request_fingerprint(payload) -> str:
    """A stable hash of a request body, to tell a retry from a different request."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _find_key(user, key: str, fingerprint: str, now: datetime) -> BookingOutcome | None:
    """The replay of an earlier request with this key, or None to go ahead.

    The caller holds the user's row lock, and a record is only ever written by
    a successful booking under that lock, in the booking's own transaction: so
    a concurrent request with the same key waits for the first to commit (then
    it finds the record and replays) or roll back (then there is no record and
    it proceeds itself). A record older than IDEMPOTENCY_TTL_HOURS is forgotten.
    """
    record = IdempotencyRecord.objects.filter(user=user, key=key).first()  # the booking loads on a replay only
    if record is None:
        return None
    if record.created_at <= now - timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS):
        record.delete()
        return None
    if record.request_hash != fingerprint:
        raise IdempotencyKeyReused("This Idempotency-Key was already used with a different request body.")
    return BookingOutcome(booking=record.booking, replayed=True, record=record)


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def _create_booking(**fields) -> Booking:
    """Insert a booking under a fresh random code; the unique index decides."""
    for _ in range(CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                return Booking.objects.create(code=_new_code(), **fields)
        except IntegrityError:
            continue
    raise AssertionError("could not find a free booking code")


@_locked
def booking_confirm(
    *,
    user,
    show: Show,
    seat_ids,
    idempotency_key: str | None = None,
    fingerprint: str = "",
    respond=None,
    now: datetime | None = None,
) -> BookingOutcome:
    """Turn the user's unexpired holds into a confirmed booking, all or nothing.

    With an idempotency key, a retry (same key, same fingerprint) replays the
    first booking (even after the show started); a different body raises
    IdempotencyKeyReused. A failed call stores no record. Locks the user row,
    then the show seats in pk order. Raises ShowStarted, InvalidRequest,
    SeatNotHeld, HoldExpired, IdempotencyKeyReused, IdempotencyInProgress. The
    confirmation email is sent after commit.

    The booking comes back with its lines prefetched (no query to read them).
    ``respond(booking) -> (status, body)``, when given with a key, is the
    response to remember for retries: it is stored with the key in one INSERT,
    in the booking's transaction.
    """
    now = now or timezone.now()
    ids = _clean_ids(seat_ids)
    if idempotency_key and len(idempotency_key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise InvalidRequest(
            f"An Idempotency-Key has at most {IDEMPOTENCY_KEY_MAX_LENGTH} characters.",
            fields={"idempotency_key": ["too long"]},
        )
    _lock_user(user)
    if idempotency_key:
        replay = _find_key(user, idempotency_key, fingerprint, now)
        if replay is not None:
            return replay
    _ensure_not_started(show, now)
    seats = _lock_seats(show, ids)
    _check_known(seats, ids)
    mine = [s for s in seats if s.status == SeatStatus.LOCKED and s.held_by_id == user.pk]
    not_held = sorted({s.pk for s in seats} - {s.pk for s in mine})
    if not_held:
        raise SeatNotHeld("You need to hold a seat before booking it. Pick your seats again.", seats=not_held)
    expired = [s.pk for s in mine if s.held_until <= now]
    if expired:
        raise HoldExpired("Your hold on these seats has expired. Please pick your seats again.", seats=expired)

    seat_info = {
        pk: (f"{label}{number}", kind)
        for pk, label, number, kind in Seat.objects.filter(pk__in=[x.seat_id for x in seats]).values_list(
            "pk", "row_label", "number", "seat_type"
        )
    }
    lines = []
    for s in seats:
        name, kind = seat_info[s.seat_id]
        lines.append(BookingSeat(show_seat_id=s.pk, seat_name=name, seat_type=kind, price=show.price_for(kind)))
    booking = _create_booking(
        user=user,
        show=show,
        total=sum((line.price for line in lines), Decimal("0.00")),
        currency=settings.CURRENCY,
    )
    for line in lines:
        line.booking = booking
    try:
        # No savepoint: a failure here fails the whole booking anyway.
        BookingSeat.objects.bulk_create(lines)
    except IntegrityError as exc:
        # Only reachable if a seat row said LOCKED while a sale stood: the
        # database's one-active-sale constraint is the last word.
        raise SeatUnavailable("Sorry, some of those seats are already sold.", seats=ids) from exc
    ShowSeat.objects.filter(pk__in=ids).update(
        status=SeatStatus.SOLD,
        held_by=None,
        held_at=None,
        held_until=None,
        version=F("version") + 1,
        updated_at=now,
    )
    # The lines as if prefetched, the way prefetch_related stores them.
    cached = booking.lines.all()
    cached._result_cache, cached._prefetch_done = lines, True
    booking._prefetched_objects_cache = {"lines": cached}
    record = None
    if idempotency_key:
        status, body = respond(booking) if respond else (None, None)
        try:
            record = IdempotencyRecord.objects.create(
                user=user,
                key=idempotency_key,
                request_hash=fingerprint,
                booking=booking,
                response_status=status,
                response_body=body,
            )
        except IntegrityError as exc:  # not reachable under the user's lock; fail safe
            raise IdempotencyInProgress("A request with this Idempotency-Key is still being processed.") from exc
    # After commit, from the objects in hand: no query, no lock held.
    transaction.on_commit(lambda: _send_confirmation(*_confirmation_email(booking, user, show, lines)))
    return BookingOutcome(booking=booking, record=record)


def idempotency_purge(*, now: datetime | None = None) -> int:
    """Delete idempotency records older than IDEMPOTENCY_TTL_HOURS; returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@_locked
def booking_cancel(*, booking: Booking, by, now: datetime | None = None) -> Booking:
    """Cancel a booking before its show starts; its seats are free at once.

    Locks the canceller's user row, the booking row, then its show seats in pk
    order. Cancelling twice is harmless (returns the booking unchanged). Raises
    NotAllowed (not the owner nor staff) and CancellationClosed (show started).
    """
    now = now or timezone.now()
    _lock_user(by)
    booking = Booking.objects.select_for_update().select_related("show").get(pk=booking.pk)
    if booking.user_id != by.pk and not by.is_staff:
        raise NotAllowed("You can only cancel your own bookings.")
    if booking.status == BookingStatus.CANCELLED:
        return booking
    if booking.show.start_time <= now:
        raise CancellationClosed("This show has started, so the booking can no longer be cancelled.")
    seat_ids = list(booking.lines.filter(active=True).values_list("show_seat_id", flat=True))
    _lock_seats(booking.show, seat_ids)
    booking.lines.filter(active=True).update(active=None)
    _set_free(seat_ids)
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.cancelled_by = by
    booking.save(update_fields=["status", "cancelled_at", "cancelled_by"])
    return booking


def _confirmation_email(booking: Booking, user, show: Show, lines) -> tuple[str, str, str]:
    """(subject, text, recipient) of the ticket email, from what the caller has."""
    context = {"booking": booking, "show": show, "lines": lines, "user": user}
    return (
        f"Your tickets: {show.movie.title} – booking {booking.code}",
        render_to_string("booking/email/confirmation.txt", context),
        user.email,
    )


def _send_confirmation(subject: str, text: str, recipient: str) -> None:
    send_mail(subject=subject, message=text, from_email=None, recipient_list=[recipient], fail_silently=True)


def booking_send_confirmation(*, booking_id: int) -> None:
    """Email the ticket again (booking_confirm sends it after commit itself)."""
    booking = (
        Booking.objects.select_related("user", "show__movie", "show__screen__theatre")
        .prefetch_related("lines")
        .get(pk=booking_id)
    )
    _send_confirmation(*_confirmation_email(booking, booking.user, booking.show, list(booking.lines.all())))
