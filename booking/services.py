"""The seat rules. Every change to a show seat, a booking or a show's schedule
goes through this module; the HTML views, the API and the admin all call it.

Each public write runs in its own durable transaction (see ``_locked``), takes
``SELECT ... FOR UPDATE`` on the rows it changes, always in primary-key order,
and treats a hold whose ``held_until`` has passed as free (lazy expiry).
"""

import functools
import hashlib
import random
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, OperationalError, transaction
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
from catalog.models import Movie, Screen, Seat, Show, overlap_message
from catalog.services import screen_seats_apply, screen_seats_plan

DEADLOCK_RETRIES = 3
BEST_AVAILABLE_ATTEMPTS = 8
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
                    raise LockTimeout(
                        "Those seats are busy right now. Please try again in a moment."
                    ) from exc
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
    when the same person fires several requests at once."""
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))


def _lock_seats(show: Show, seat_ids, *, skip_locked: bool = False) -> list[ShowSeat]:
    return list(
        ShowSeat.objects.select_for_update(skip_locked=skip_locked)
        .filter(show_id=show.pk, pk__in=seat_ids)
        .order_by("pk")
    )


def _check_known(seats: list[ShowSeat], seat_ids: list[int]) -> None:
    unknown = sorted(set(seat_ids) - {s.pk for s in seats})
    if unknown:
        raise InvalidRequest("Some seats are not part of this show.", seats=unknown)


def _clean_ids(seat_ids) -> list[int]:
    ids = sorted({int(pk) for pk in seat_ids})
    if not ids:
        raise InvalidRequest("Choose at least one seat.")
    return ids


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
    if prices:
        show.set_prices(prices)
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
    if prices:
        show.set_prices(prices)
    show.end_time = show.compute_end_time()
    clash = show.overlapping_shows().select_related("movie").first()
    if clash:
        raise ScreenBusy(overlap_message(clash), show_id=clash.pk)
    show.save()
    return show


@_locked
def show_delete(*, show: Show) -> None:
    """Delete a show and its seats. Raises ShowHasBookings if anyone booked it."""
    show = Show.objects.select_for_update().get(pk=show.pk)
    if Booking.objects.filter(show=show).exists():
        raise ShowHasBookings("This show has bookings and cannot be deleted.")
    show.delete()


@_locked
def screen_layout_update(*, screen: Screen, layout) -> Screen:
    """Change a screen's layout and bring the seats of its shows in line.

    New seats are added to every show that has not started; seats the layout
    drops are removed from all shows, unless some show has ever sold it or
    someone holds it now (LayoutInUse). Locks the screen, then the affected
    show seats in pk order.
    """
    from catalog.layout import layout_text

    screen = Screen.objects.select_for_update().get(pk=screen.pk)
    screen.layout = layout if isinstance(layout, str) else layout_text(layout)
    screen.full_clean()
    new, changed, dropped = screen_seats_plan(screen=screen)
    now = timezone.now()
    if dropped:
        affected = list(
            ShowSeat.objects.select_for_update().filter(seat_id__in=dropped).order_by("pk")
        )
        in_use = {
            s.seat_id
            for s in affected
            if s.status == SeatStatus.SOLD or not s.is_free(now)
        }
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
    created = screen_seats_apply(new=new, changed=changed, dropped=dropped)
    if created:
        upcoming = Show.objects.filter(screen=screen, start_time__gt=now).values_list("pk", flat=True)
        ShowSeat.objects.bulk_create(
            [ShowSeat(show_id=show_id, seat_id=seat.pk) for show_id in upcoming for seat in created],
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


def _check_limit(user, show: Show, now: datetime, wanted: int, exclude=()) -> None:
    limit = settings.MAX_SEATS_PER_BOOKING
    held = _held_elsewhere_count(user, show, now, exclude)
    if held + wanted > limit:
        raise HoldLimitExceeded(
            f"You can hold at most {limit} seats of one show at a time"
            + (f" (you already hold {held})." if held else "."),
            limit=limit,
            held=held,
        )


def _apply_hold(user, seats: list[ShowSeat], now: datetime) -> Hold:
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


def _best_candidates(rows, quantity: int, now: datetime, seat_type: str | None) -> list[list[int]]:
    """Blocks of ``quantity`` adjacent free seats, best first.

    Better means: leaves no single seat stranded in its run of free seats, then
    a row nearer the sweet spot (about two thirds of the way back), then nearer
    the centre of the row. If no row has enough adjacent seats, one last
    candidate takes the best single seats wherever they are.
    """
    by_row: dict[int, list] = {}
    for pk, status, held_until, row_index, column, kind in rows:
        free = status == SeatStatus.AVAILABLE or (status == SeatStatus.LOCKED and held_until <= now)
        if seat_type and kind != seat_type:
            free = False
        by_row.setdefault(row_index, []).append((column, pk, free))
    if not by_row:
        return []
    sweet = round((max(by_row) + 1) * 2 / 3) - 1 if len(by_row) > 2 else max(by_row)
    candidates: list[tuple[tuple, list[int]]] = []
    singles: list[tuple[tuple, int]] = []
    for row_index, seats in by_row.items():
        seats.sort()
        centre = (seats[0][0] + seats[-1][0]) / 2
        row_cost = abs(row_index - sweet)
        run: list[tuple[int, int]] = []
        for i, (column, pk, free) in enumerate(seats + [(None, None, False)]):
            adjacent = run and column is not None and column == run[-1][0] + 1
            if free and (not run or adjacent):
                run.append((column, pk))
                continue
            for start in range(0, len(run) - quantity + 1):
                block = run[start : start + quantity]
                left, right = start, len(run) - start - quantity
                strands = (left == 1) + (right == 1)
                middle = (block[0][0] + block[-1][0]) / 2
                candidates.append(((strands > 0, row_cost, abs(middle - centre), row_index), [pk for _, pk in block]))
            singles.extend(((row_cost, abs(c - centre), row_index), p) for c, p in run)
            run = [(column, pk)] if free else []
    candidates.sort(key=lambda item: item[0])
    ordered = [pks for _, pks in candidates]
    if not ordered and len(singles) >= quantity:
        singles.sort(key=lambda item: item[0])
        ordered.append([pk for _, pk in singles[:quantity]])
    return ordered


@_locked
def seats_hold_best(
    *, user, show: Show, quantity: int, seat_type: str | None = None, now: datetime | None = None
) -> Hold:
    """Choose and hold the best ``quantity`` free seats (see _best_candidates).

    Reads the map without locks, then tries the candidates in order, locking
    each with SKIP LOCKED so rows another transaction is working on are passed
    over rather than waited for. Raises ShowStarted, InvalidRequest,
    HoldLimitExceeded, SeatUnavailable when not enough seats are free.
    """
    now = now or timezone.now()
    limit = settings.MAX_SEATS_PER_BOOKING
    if not 1 <= quantity <= limit:
        raise InvalidRequest(f"Ask for between 1 and {limit} seats.", fields={"quantity": ["out of range"]})
    _ensure_not_started(show, now)
    _lock_user(user)
    _check_limit(user, show, now, quantity)
    rows = ShowSeat.objects.filter(show_id=show.pk).values_list(
        "pk", "status", "held_until", "seat__row_index", "seat__column", "seat__seat_type"
    )
    passed_over: set[int] = set()
    attempts = 0
    for pks in _best_candidates(list(rows), quantity, now, seat_type):
        if passed_over.intersection(pks):
            continue
        attempts += 1
        if attempts > BEST_AVAILABLE_ATTEMPTS:
            break
        seats = [s for s in _lock_seats(show, pks, skip_locked=True) if s.is_free(now)]
        if len(seats) == quantity:
            return _apply_hold(user, seats, now)
        passed_over |= set(pks) - {s.pk for s in seats}
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
        raise SeatNotHeld("You are not holding " + ("that seat." if len(not_held) == 1 else "those seats."), seats=not_held)
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
    import json

    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _claim_key(user, key: str, fingerprint: str, now: datetime) -> IdempotencyRecord | BookingOutcome:
    """Insert the idempotency record, or find the one that is already there.

    A concurrent request with the same key blocks on the unique index until the
    first commits (then it replays) or rolls back (then it proceeds itself).
    """
    for _ in range(2):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(user=user, key=key, request_hash=fingerprint)
        except IntegrityError:
            pass
        except OperationalError as exc:
            if _lock_error(exc):
                raise IdempotencyInProgress("A request with this Idempotency-Key is still being processed.") from exc
            raise
        record = IdempotencyRecord.objects.filter(user=user, key=key).select_related("booking").first()
        if record is None:
            continue
        if record.created_at <= now - timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS):
            record.delete()
            continue
        if record.request_hash != fingerprint:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was already used with a different request body."
            )
        return BookingOutcome(booking=record.booking, replayed=True, record=record)
    raise IdempotencyInProgress("A request with this Idempotency-Key is still being processed.")


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


@_locked
def booking_confirm(
    *,
    user,
    show: Show,
    seat_ids,
    idempotency_key: str | None = None,
    fingerprint: str = "",
    now: datetime | None = None,
) -> BookingOutcome:
    """Turn the user's unexpired holds into a confirmed booking, all or nothing.

    With an idempotency key, a retry (same key, same fingerprint) replays the
    first booking; a different body raises IdempotencyKeyReused. Locks the
    show seats in pk order. Raises ShowStarted, InvalidRequest, SeatNotHeld,
    HoldExpired. The confirmation email is sent after commit.
    """
    now = now or timezone.now()
    ids = _clean_ids(seat_ids)
    record = None
    if idempotency_key:
        claimed = _claim_key(user, idempotency_key, fingerprint, now)
        if isinstance(claimed, BookingOutcome):
            return claimed
        record = claimed
    _ensure_not_started(show, now)
    seats = _lock_seats(show, ids)
    _check_known(seats, ids)
    mine = [s for s in seats if s.status == SeatStatus.LOCKED and s.held_by_id == user.pk]
    not_held = sorted({s.pk for s in seats} - {s.pk for s in mine})
    if not_held:
        raise SeatNotHeld(
            "You need to hold a seat before booking it. Pick your seats again.", seats=not_held
        )
    expired = [s.pk for s in mine if s.held_until <= now]
    if expired:
        raise HoldExpired("Your hold on these seats has expired. Please pick your seats again.", seats=expired)

    seat_info = {s.pk: (s.name, s.seat_type) for s in Seat.objects.filter(pk__in=[x.seat_id for x in seats])}
    lines = []
    for s in seats:
        name, kind = seat_info[s.seat_id]
        lines.append(BookingSeat(show_seat_id=s.pk, seat_name=name, seat_type=kind, price=show.price_for(kind)))
    booking = Booking.objects.create(
        code=_new_code(),
        user=user,
        show=show,
        total=sum((line.price for line in lines), Decimal("0.00")),
        currency=settings.CURRENCY,
    )
    for line in lines:
        line.booking = booking
    BookingSeat.objects.bulk_create(lines)
    ShowSeat.objects.filter(pk__in=ids).update(
        status=SeatStatus.SOLD, held_by=None, held_at=None, held_until=None,
        version=F("version") + 1, updated_at=now,
    )
    if record is not None:
        record.booking = booking
        record.save(update_fields=["booking"])
    booking_id = booking.pk
    transaction.on_commit(lambda: booking_send_confirmation(booking_id=booking_id))
    return BookingOutcome(booking=booking, record=record)


def idempotency_store_response(*, record: IdempotencyRecord, status: int, body) -> None:
    """Remember the response of the first request so retries replay it exactly."""
    IdempotencyRecord.objects.filter(pk=record.pk, response_status__isnull=True).update(
        response_status=status, response_body=body
    )


@_locked
def booking_cancel(*, booking: Booking, by, now: datetime | None = None) -> Booking:
    """Cancel a booking before its show starts; its seats are free at once.

    Locks the booking row, then its show seats in pk order. Cancelling twice is
    harmless (returns the booking unchanged). Raises NotAllowed (not the owner
    nor staff) and CancellationClosed (show started).
    """
    now = now or timezone.now()
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


def booking_send_confirmation(*, booking_id: int) -> None:
    """Email the ticket. Called after commit, never inside a locked block."""
    booking = (
        Booking.objects.select_related("user", "show__movie", "show__screen__theatre")
        .prefetch_related("lines")
        .get(pk=booking_id)
    )
    context = {"booking": booking, "show": booking.show, "lines": booking.lines.all()}
    send_mail(
        subject=f"Your tickets: {booking.show.movie.title} – booking {booking.code}",
        message=render_to_string("booking/email/confirmation.txt", context),
        from_email=None,
        recipient_list=[booking.user.email],
        fail_silently=True,
    )
