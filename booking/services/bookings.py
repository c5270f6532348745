"""Orders (bookings): create one from the user's holds, idempotent retries, emails.
Paying, webhooks and expiry are in orders.py; cancelling (an order or a show)
and refunds in cancellations.py."""

import functools
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError
from django.urls import get_script_prefix, reverse
from django.utils import timezone

from booking import sql
from booking.exceptions import (
    HoldExpired,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    InvalidRequest,
    SeatNotHeld,
    SeatUnavailable,
    ShowCancelled,
)
from booking.models import Booking, BookingSeat, BookingStatus, IdempotencyRecord, SeatStatus, ShowSeat
from booking.services import emails
from booking.services.common import (
    seat_ids_clean,
    seats_check_known,
    seats_claim_for_order,
    seats_end_hold,
    show_ensure_not_started,
)
from booking.services.events import count_order, order_event
from booking.services.locking import locked, one_statement, seats_lock_statement, user_lock
from catalog.models import Seat, Show
from cinema import metrics
from cinema.errors import DomainError
from cinema.prepared import Prepared, insert_rows, statements_run, writes_send
from events.models import EventType
from payments.providers import get_provider
from payments.services import order_price, payment_create, payment_record_checkout

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


# The reads of every order, compiled once per process (cinema.prepared).
_KEY_RECORD = Prepared(
    IdempotencyRecord,
    lambda user_id, key: IdempotencyRecord.objects.filter(user_id=user_id, key=key).order_by("pk")[:1],
    kinds=(int, str),
)
_SHOW_CANCELLED = Prepared(Show, lambda pk: Show.objects.filter(pk=pk, cancelled_at__isnull=False).only("pk")[:1])
# The seats behind these show seats (a show seat's seat never changes), so the
# names are read in the seat locks' round trip, without locking the seats.
_SEAT_NAMES = Prepared(
    Seat,
    lambda show_id, *ids: Seat.objects.filter(show_seats__show_id=show_id, show_seats__pk__in=ids).only(
        "row_label", "number", "seat_type"
    ),
)


def _lock_user_finding_key(user, key: str | None, fingerprint: str, now: datetime) -> BookingOutcome | None:
    """user_lock, then (with ``key``) the replay of an earlier request with
    this key, or None to go ahead: the lock and the key's record read in one
    round trip (cinema.prepared.statements_run).

    The caller holds the user's row lock, and a record is only ever written by
    a successful booking under that lock, in the booking's own transaction: so
    a concurrent request with the same key waits for the first to commit (then
    it finds the record and replays) or roll back (then there is no record and
    it proceeds itself). A record older than IDEMPOTENCY_TTL_HOURS is forgotten.
    """
    if not key:
        user_lock(user)
        return None
    # The booking loads on a replay only.
    record = statements_run([*sql.user_lock_statements(user), _KEY_RECORD.statement(user.pk, key, first=True)])[-1]
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
        record = IdempotencyRecord(
            user=user,
            key=key,
            request_hash=fingerprint,
            booking=booking,
            response_status=status,
            response_body=body,
        )
        # With the writes waiting in writes_batched (the order's events), in one round trip.
        insert_rows([record], later=True)
        writes_send()
        return record
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
            booking = Booking(code=_new_code(), **fields)
            with one_statement():
                insert_rows([booking])  # the ORM's INSERT without its compiler (cinema.prepared)
            return booking
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


def _priced_lines(show: Show, seats: list[ShowSeat], names: list[Seat]) -> list[BookingSeat]:
    """One unsaved booking line per seat, named and priced from its seat
    (``names``: those seats, as _SEAT_NAMES reads them)."""
    seat_info = {seat.pk: (f"{seat.row_label}{seat.number}", seat.seat_type) for seat in names}
    lines = []
    for s in seats:
        name, kind = seat_info[s.seat_id]
        lines.append(BookingSeat(show_seat_id=s.pk, seat_name=name, seat_type=kind, price=show.price_for(kind)))
    return lines


def _sell(ids: list[int], lines: list[BookingSeat], now: datetime) -> None:
    """Insert the lines and mark their seats SOLD, in one round trip: the
    lines' INSERT first, and nothing after it runs if the database refuses
    it (cinema.prepared.statements_run)."""
    try:
        # No savepoint: a failure here fails the whole booking anyway.
        insert_rows(lines, later=True)
        seats_end_hold(ids, status=SeatStatus.SOLD, now=now)
    except IntegrityError as exc:
        # Only reachable if a seat row said LOCKED while a sale stood: the
        # database's one-active-sale constraint is the last word.
        raise SeatUnavailable("Sorry, some of those seats are already sold.", seats=ids) from exc


@locked
def _order_place(
    *,
    user,
    show: Show,
    seat_ids,
    customer: dict | None,
    idempotency_key: str | None,
    fingerprint: str,
    respond,
    base_url: str,
    now: datetime,
) -> BookingOutcome:
    idempotency_key = idempotency_key_clean(idempotency_key)
    replay = _lock_user_finding_key(user, idempotency_key, fingerprint, now)
    if replay is not None:
        return replay
    ids = seat_ids_clean(seat_ids)
    show_ensure_not_started(show, now)
    # A staff show cancel locks every seat of the show: its mark is read after
    # our seat locks (the next statement of the same round trip).
    seats, cancelled, names = statements_run(
        [
            seats_lock_statement(show, ids),
            _SHOW_CANCELLED.statement(show.pk, first=True),
            _SEAT_NAMES.statement(show.pk, *ids),
        ]
    )
    seats_check_known(seats, ids)
    if cancelled is not None:
        raise ShowCancelled("This show has been cancelled.", show_id=show.pk)
    _check_held(user, seats, now)
    lines = _priced_lines(show, seats, names)
    breakdown = order_price(line_prices=[line.price for line in lines], currency=settings.CURRENCY)
    pay = get_provider().takes_payment and breakdown.total > 0
    expires_at = now + timedelta(seconds=settings.PAYMENT_WINDOW_SECONDS) if pay else None
    customer = customer or {}
    booking = _create_booking(
        user=user,
        show=show,
        status=BookingStatus.PAYMENT_PENDING if pay else BookingStatus.CONFIRMED,
        subtotal=breakdown.subtotal,
        fees=breakdown.fees,
        tax=breakdown.tax,
        total=breakdown.total,
        currency=breakdown.currency,
        expires_at=expires_at,
        confirmed_at=None if pay else now,
        customer_name=customer.get("name") or "",
        customer_email=customer.get("email") or "",
        customer_phone=customer.get("phone") or "",
    )
    for line in lines:
        line.booking = booking
    payment = None
    if pay:
        # The seats are the buyer's until expires_at: SOLD with that deadline
        # (booking.models.free_q), lines inactive until the money arrives.
        for line in lines:
            line.active = None
        insert_rows(lines, later=True)  # with the seats' UPDATE: inactive, no constraint refuses them
        seats_claim_for_order(ids, user=user, until=expires_at, now=now)
        payment = payment_create(
            order_id=booking.pk,
            amount=breakdown.total,
            currency=breakdown.currency,
            urls=lambda p: _checkout_urls(booking, p, base_url),
        )
    else:
        _sell(ids, lines, now)
    booking.created_lines = lines
    booking.created_payment = payment
    order_event(
        EventType.ORDER_CREATED,
        booking,
        now=now,
        seat_ids=ids,
        status=booking.status,
        subtotal=booking.subtotal,
        fees=booking.fees,
        tax=booking.tax,
        total=booking.total,
        currency=booking.currency,
        expires_at=expires_at,
    )
    if not pay:
        order_event(
            EventType.BOOKING_CONFIRMED,
            booking,
            now=now,
            seat_ids=ids,
            total=booking.total,
            currency=booking.currency,
            confirmed_at=now,
        )
    if not pay:
        # Queued in this transaction, so the ticket email commits with the
        # booking; sent after commit, outside any lock; a failed send is retried.
        emails.email_order_confirmed(booking_id=booking.pk)
    answer = respond if not pay else None  # a pending order's answer changes (checkout_url): re-read on replay
    record = _remember_key(user, idempotency_key, fingerprint, booking, answer) if idempotency_key else None
    count_order("created")
    if not pay:
        count_order("confirmed")
    return BookingOutcome(booking=booking, record=record)


def booking_confirm(
    *,
    user,
    show: Show,
    seat_ids,
    customer: dict | None = None,
    idempotency_key: str | None = None,
    fingerprint: str = "",
    respond=None,
    base_url: str = "",
    now: datetime | None = None,
) -> BookingOutcome:
    """Turn the user's unexpired holds into an order, all or nothing (the one
    way to create an order: `POST /api/v1/bookings`, `/orders`, checkout).

    With PAYMENT_PROVIDER=none, or a total of 0, the order is CONFIRMED at
    once and the ticket email goes after commit. Otherwise it is
    PAYMENT_PENDING with a Payment of its total, its seats the buyer's until
    ``expires_at`` (now + PAYMENT_WINDOW_SECONDS). Where to pay: a provider
    that answers offline (the test provider's own page) is asked before the
    payment's INSERT; any other after commit, outside any lock
    (``order_checkout_start``).

    With an idempotency key, a retry (same key, same fingerprint) replays the
    first order (even after the show started); a different body raises
    IdempotencyKeyReused. A failed call stores no record. Locks the user row,
    then the show seats in pk order. Raises ShowStarted, ShowCancelled,
    InvalidRequest, SeatNotHeld, HoldExpired, IdempotencyKeyReused,
    IdempotencyInProgress.

    The booking comes back with its lines (``booking.line_list()`` reads them
    without a query). ``respond(booking) -> (status, body)``, when given with a
    key, is the response to remember for retries of a confirmed order: it is
    stored with the key in one INSERT, in the booking's transaction.
    """
    now = now or timezone.now()
    try:
        outcome = _order_place(
            user=user,
            show=show,
            seat_ids=seat_ids,
            customer=customer,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            respond=respond,
            base_url=base_url,
            now=now,
        )
    except DomainError:
        metrics.order_outcome(outcome="refused")
        raise
    payment = outcome.booking.__dict__.get("created_payment")
    if payment is not None and not payment.checkout_url:  # an offline provider answered in the INSERT
        outcome.booking.created_payment = order_checkout_start(
            order=outcome.booking, payment=payment, base_url=base_url
        )
    return outcome


_ARG = "--arg--"


@functools.lru_cache(maxsize=16)
def _url_pattern(name: str, prefix: str) -> str:
    """reverse() with a stand-in argument, once per URL name and script prefix
    (reverse costs a few hundred microseconds on every order)."""
    return reverse(name, args=[_ARG])


def _checkout_urls(order: Booking, payment, base_url: str) -> tuple[str, str]:
    """(our hosted card page for the payment, the order's page) under ``base_url``.
    The token and the code are URL-safe as they are."""
    base, prefix = base_url.rstrip("/"), get_script_prefix()
    return (
        base + _url_pattern("booking:pay", prefix).replace(_ARG, payment.checkout_token),
        base + _url_pattern("booking:booking_detail", prefix).replace(_ARG, order.code),
    )


def order_checkout_start(*, order: Booking, payment, base_url: str = ""):
    """Ask the provider where the buyer pays (network: call it outside any
    transaction) and record the answer. A provider that is down leaves the
    payment without a checkout URL; the order page asks again. Returns the payment."""
    from payments.exceptions import ProviderUnavailable

    page_url, return_url = _checkout_urls(order, payment, base_url)
    try:
        checkout = get_provider(payment.provider).start(payment, page_url=page_url, return_url=return_url)
    except ProviderUnavailable:
        return payment
    return payment_record_checkout(payment=payment, checkout_url=checkout.url, reference=checkout.reference)


# --------------------------------------------------------------------------
# email (booking/services/emails.py builds them; the mailer sends and retries)
# --------------------------------------------------------------------------
def booking_send_confirmation(*, booking_id: int) -> None:
    """Email the ticket again (booking_confirm queues it itself)."""
    emails.email_order_confirmed(booking_id=booking_id)
