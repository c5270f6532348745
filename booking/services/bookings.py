"""Bookings: confirm the user's holds, cancel, idempotent retries, emails."""

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from booking.exceptions import (
    CancellationClosed,
    HoldExpired,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    InvalidRequest,
    NotAllowed,
    SeatNotHeld,
    SeatUnavailable,
)
from booking.models import Booking, BookingSeat, BookingStatus, IdempotencyRecord, SeatStatus, ShowSeat
from booking.services import emails
from booking.services.common import (
    seat_ids_clean,
    seats_check_known,
    seats_end_hold,
    seats_set_free,
    show_ensure_not_started,
)
from booking.services.locking import locked, seats_lock, user_lock
from catalog.models import Seat, Show

CODE_ATTEMPTS = 5
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
IDEMPOTENCY_KEY_MAX_LENGTH = 255


@dataclass
class BookingOutcome:
    booking: Booking
    replayed: bool = False
    record: IdempotencyRecord | None = None


# --------------------------------------------------------------------------
# idempotency
# --------------------------------------------------------------------------
def request_fingerprint(payload) -> str:
    """A stable hash of a request body, to tell a retry from a different request."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def idempotency_key_clean(key: str | None) -> str | None:
    """The Idempotency-Key as sent (surrounding blanks dropped), or None without
    one. The one length rule: 1 to IDEMPOTENCY_KEY_MAX_LENGTH characters, else
    InvalidRequest (on the ``Idempotency-Key`` field)."""
    if key is None:
        return None
    key = key.strip()
    if not 0 < len(key) <= IDEMPOTENCY_KEY_MAX_LENGTH:
        raise InvalidRequest(
            f"An Idempotency-Key has 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} characters.",
            fields={"Idempotency-Key": [f"Must be 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} characters."]},
        )
    return key


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


def _remember_key(user, key: str, fingerprint: str, booking: Booking, respond) -> IdempotencyRecord:
    status, body = respond(booking) if respond else (None, None)
    try:
        return IdempotencyRecord.objects.create(
            user=user,
            key=key,
            request_hash=fingerprint,
            booking=booking,
            response_status=status,
            response_body=body,
        )
    except IntegrityError as exc:  # not reachable under the user's lock; fail safe
        raise IdempotencyInProgress("A request with this Idempotency-Key is still being processed.") from exc


def idempotency_purge(*, now: datetime | None = None) -> int:
    """Delete idempotency records older than IDEMPOTENCY_TTL_HOURS; returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# --------------------------------------------------------------------------
# confirm
# --------------------------------------------------------------------------
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


def _check_held(user, seats: list[ShowSeat], now: datetime) -> None:
    """SeatNotHeld unless the user holds every seat, HoldExpired if a hold ran out."""
    mine = [s for s in seats if s.status == SeatStatus.LOCKED and s.held_by_id == user.pk]
    not_held = sorted({s.pk for s in seats} - {s.pk for s in mine})
    if not_held:
        raise SeatNotHeld("You need to hold a seat before booking it. Pick your seats again.", seats=not_held)
    expired = [s.pk for s in mine if s.is_free(now)]
    if expired:
        raise HoldExpired("Your hold on these seats has expired. Please pick your seats again.", seats=expired)


def _priced_lines(show: Show, seats: list[ShowSeat]) -> list[BookingSeat]:
    """One unsaved booking line per seat, named and priced from its seat."""
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
    return lines


def _sell(ids: list[int], lines: list[BookingSeat], now: datetime) -> None:
    """Insert the lines and mark their seats SOLD."""
    try:
        # No savepoint: a failure here fails the whole booking anyway.
        BookingSeat.objects.bulk_create(lines)
    except IntegrityError as exc:
        # Only reachable if a seat row said LOCKED while a sale stood: the
        # database's one-active-sale constraint is the last word.
        raise SeatUnavailable("Sorry, some of those seats are already sold.", seats=ids) from exc
    seats_end_hold(ids, status=SeatStatus.SOLD, now=now)


@locked
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

    The booking comes back with its lines (``booking.line_list()`` reads them
    without a query). ``respond(booking) -> (status, body)``, when given with a
    key, is the response to remember for retries: it is stored with the key in
    one INSERT, in the booking's transaction.
    """
    now = now or timezone.now()
    ids = seat_ids_clean(seat_ids)
    idempotency_key = idempotency_key_clean(idempotency_key)
    user_lock(user)
    if idempotency_key:
        replay = _find_key(user, idempotency_key, fingerprint, now)
        if replay is not None:
            return replay
    show_ensure_not_started(show, now)
    seats = seats_lock(show, ids)
    seats_check_known(seats, ids)
    _check_held(user, seats, now)
    lines = _priced_lines(show, seats)
    booking = _create_booking(
        user=user,
        show=show,
        total=sum((line.price for line in lines), Decimal("0.00")),
        currency=settings.CURRENCY,
    )
    for line in lines:
        line.booking = booking
    _sell(ids, lines, now)
    booking.created_lines = lines
    record = _remember_key(user, idempotency_key, fingerprint, booking, respond) if idempotency_key else None
    # Queued after commit (so the booking's transaction has no email row to
    # write) and sent then, outside any lock; a failed send is retried.
    transaction.on_commit(lambda: emails.email_order_confirmed(booking_id=booking.pk))
    return BookingOutcome(booking=booking, record=record)


# --------------------------------------------------------------------------
# cancel
# --------------------------------------------------------------------------
@locked
def booking_cancel(*, booking: Booking, by, now: datetime | None = None) -> Booking:
    """Cancel a booking before its show starts; its seats are free at once.

    Locks the canceller's user row, the booking row, then its show seats in pk
    order. Cancelling twice is harmless (returns the booking unchanged). Raises
    NotAllowed (not the owner nor staff) and CancellationClosed (show started).
    """
    now = now or timezone.now()
    user_lock(by)
    booking = Booking.objects.select_for_update().select_related("show").get(pk=booking.pk)
    if booking.user_id != by.pk and not by.is_staff:
        raise NotAllowed("You can only cancel your own bookings.")
    if booking.status == BookingStatus.CANCELLED:
        return booking
    if booking.show.start_time <= now:
        raise CancellationClosed("This show has started, so the booking can no longer be cancelled.")
    seat_ids = list(booking.lines.filter(active=True).values_list("show_seat_id", flat=True))
    seats_lock(booking.show, seat_ids)
    booking.lines.filter(active=True).update(active=None)
    seats_set_free(seat_ids)
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.cancelled_by = by
    booking.save(update_fields=["status", "cancelled_at", "cancelled_by"])
    transaction.on_commit(lambda: emails.email_order_cancelled(booking_id=booking.pk))
    return booking


# --------------------------------------------------------------------------
# email (booking/services/emails.py builds them; the mailer sends and retries)
# --------------------------------------------------------------------------
def booking_send_confirmation(*, booking_id: int) -> None:
    """Email the ticket again (booking_confirm queues it itself)."""
    emails.email_order_confirmed(booking_id=booking_id)
