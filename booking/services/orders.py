"""Orders after creation: paying (the test provider's card form and
`confirm-payment` share `order_pay`), webhooks, the late-payment rule and
expiry. Cancelling and refunds are in cancellations.py.

Lock order (as everywhere, services/locking.py): the user row, then the order
row, then the payment (payments.services locks it), then show seats in pk
order. No provider call happens under these locks: charges run before the
transaction, refunds are paid back after commit (`refund_perform`).
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError
from django.utils import timezone

from booking import sql
from booking.exceptions import OrderExpired, OrderNotPayable
from booking.models import Booking, BookingStatus, SeatStatus, ShowSeat
from booking.services import emails
from booking.services.cancellations import _email_cancelled, _refund
from booking.services.common import _line_seat_ids, _release_claimed, seat_is_claimed_by
from booking.services.events import count_order, count_payment, order_event
from booking.services.locking import (
    booking_lock,
    locked,
    one_statement,
    order_seats_lock,
    order_seats_lock_statement,
    seats_lock,
    user_and_booking_lock,
    user_lock,
)
from events.models import EventType
from payments.exceptions import PaymentDeclined, PaymentNotSupported, UnknownPayment
from payments.models import Payment
from payments.providers import get_provider, normalize_card_number, webhook_provider
from payments.selectors import payment_for_notice, payment_for_order
from payments.services import payment_apply_notice, payment_lock_statement, payment_record_outcome


# --------------------------------------------------------------------------
# the money arrived: confirm, or (seats gone) expire and refund in full
# --------------------------------------------------------------------------
def _seat_is_ours(seat: ShowSeat, order: Booking, now: datetime) -> bool:
    return (
        seat_is_claimed_by(seat, order)
        or seat.is_free(now)
        or (seat.status == SeatStatus.LOCKED and seat.held_by_id == order.user_id)  # the buyer's own new hold
    )


def _settle(order: Booking, payment: Payment, now: datetime, *, seats: list[ShowSeat] | None = None) -> None:
    """The payment just succeeded (recorded once, under the order's lock).

    On time, or late with every seat still free: the seats are sold (the
    lines become active: the database's one-active-sale constraint is the last
    word) and the order CONFIRMED, its ticket email queued with it. Otherwise
    (seats gone, order cancelled, show cancelled) no money is kept: EXPIRED
    (or still CANCELLED) with a full refund. ``seats``: the order's seats as
    the caller locked them (order_seats_lock_statement), else locked here."""
    order_event(
        EventType.PAYMENT_SUCCEEDED,
        order,
        now=now,
        payment_id=payment.pk,
        provider=payment.provider,
        amount=payment.amount,
        currency=payment.currency,
    )
    late = order.status != BookingStatus.PAYMENT_PENDING or (order.expires_at is not None and order.expires_at <= now)
    count_payment(payment.provider, "late" if late else "succeeded")
    seats = order_seats_lock(order, locked=seats)
    ids = [s.pk for s in seats]
    show_cancelled = order.show.cancelled_at is not None  # read under booking_lock's shared lock
    ok = (
        order.status in (BookingStatus.PAYMENT_PENDING, BookingStatus.EXPIRED)
        and not show_cancelled
        and all(_seat_is_ours(s, order, now) for s in seats)
    )
    if ok:
        try:
            with one_statement():  # the lines first: refused, nothing of the sale is written
                sql.order_sold_sql(order_id=order.pk, seat_ids=ids, now=now)
        except IntegrityError:
            ok = False  # another sale of one of these seats stands
    if ok:
        order.status = BookingStatus.CONFIRMED
        order.confirmed_at = now
        order_event(
            EventType.BOOKING_CONFIRMED,
            order,
            now=now,
            seat_ids=ids,
            total=order.total,
            currency=order.currency,
            confirmed_at=now,
        )
        # Once: _settle runs once per succeeded payment, under the order's lock.
        # Queued in this transaction: the ticket email commits with the sale.
        emails.email_order_confirmed(booking_id=order.pk)
        count_order("confirmed")
        return
    if order.status != BookingStatus.CANCELLED:
        _release_claimed(order, seats, reason="order_expired", now=now)
        if order.status != BookingStatus.EXPIRED:
            order.status = BookingStatus.EXPIRED
            order.save(update_fields=["status"])
            order_event(EventType.ORDER_EXPIRED, order, now=now, seat_ids=ids)
            count_order("expired")
    reason = "Paid after the seats were released" if order.status == BookingStatus.EXPIRED else "Paid after cancelling"
    refund = _refund(order, payment, amount=payment.amount, key=f"late:{order.pk}", reason=reason, now=now)
    _email_cancelled(order, refund, show_cancelled=show_cancelled)


def _payment_failed_event(order: Booking, payment: Payment, message: str, now: datetime, *, declined=True) -> None:
    count_payment(payment.provider, "declined" if declined else "failed")
    order_event(
        EventType.PAYMENT_FAILED,
        order,
        now=now,
        payment_id=payment.pk,
        provider=payment.provider,
        amount=payment.amount,
        currency=payment.currency,
        reason=message,
    )


@locked
def order_record_charge(
    *, order: Booking, payment: Payment, succeeded: bool, reference: str = "", message: str = "", now=None
) -> Booking:
    """Record a charge's outcome on the order's payment (once) and act on it:
    a success settles the order (`_settle`: confirm, or expire and refund),
    a decline leaves it PAYMENT_PENDING. Locks the buyer's row, the order,
    the payment, then the seats. Returns the order as it now stands."""
    now = now or timezone.now()
    # A success sells the seats: they are locked in the same round trip, after
    # the payment, in the lock order (a decline leaves them alone).
    then = [payment_lock_statement(payment), *([order_seats_lock_statement(order)] if succeeded else [])]
    order, locked, *seats = user_and_booking_lock(order.user_id, order.pk, order.show_id, then=then)
    changed = payment_record_outcome(
        payment=payment, succeeded=succeeded, reference=reference, message=message, locked=locked
    )
    if changed and succeeded:
        _settle(order, payment, now, seats=seats[0])
    elif changed:
        _payment_failed_event(order, payment, message, now)
    return order


def order_pay(*, order: Booking, card_number: str, now: datetime | None = None) -> Booking:
    """Pay an order by card with the configured card-form provider (`test`):
    the hosted page and `POST /api/v1/orders/{id}/confirm-payment` both call it.

    The charge runs outside any transaction, then its outcome is recorded under
    the order's lock. Paying a CONFIRMED order again returns it unchanged
    (nothing is charged). Raises InvalidCard (400), OrderExpired (409, past
    expires_at: nothing charged), OrderNotPayable (409: cancelled, nothing to
    pay), PaymentNotSupported (409) and PaymentDeclined (402: the order stays
    PAYMENT_PENDING and can be paid again before expires_at). ``order``: the
    row as the caller just read it (its owner checked); what it says is
    decided again under the order's lock. Returns ``order`` itself, its
    fields as they now stand (its loaded show and lines kept: they do not
    change) and, once charged, with its payment as ``created_payment``."""
    now = now or timezone.now()
    card = normalize_card_number(card_number)
    status = order.effective_status(now)  # as the caller read it: checked again under the lock
    if status == BookingStatus.CONFIRMED:
        return order
    if status == BookingStatus.EXPIRED:
        raise OrderExpired("The payment deadline has passed and the seats were released. Please pick seats again.")
    payment = payment_for_order(order_id=order.pk)
    if status != BookingStatus.PAYMENT_PENDING or payment is None:
        raise OrderNotPayable("This order cannot be paid.", status=status)
    if not payment.is_payable:  # paid meanwhile (e.g. by a webhook): whatever it settled on
        order.refresh_from_db()
        return order
    provider = get_provider(payment.provider)
    if not provider.has_card_form:
        raise PaymentNotSupported(f"The {provider.name!r} payment provider has no card form; use its checkout_url.")
    result = provider.charge(payment, card)  # the network, outside any transaction
    recorded = order_record_charge(
        order=order,
        payment=payment,
        succeeded=result.succeeded,
        reference=result.reference,
        message=result.message,
        now=now,
    )
    if not result.succeeded:
        raise PaymentDeclined(result.message, expires_at=recorded.expires_at)
    for field in Booking._meta.concrete_fields:  # the row as it was locked and written
        setattr(order, field.attname, getattr(recorded, field.attname))
    order.created_payment = payment  # brought up to date by payment_record_outcome
    return order


# --------------------------------------------------------------------------
# webhooks
# --------------------------------------------------------------------------
@dataclass
class WebhookOutcome:
    applied: bool  # False: a duplicate, or an event about nothing we track
    order: Booking | None = None


def payment_webhook_receive(*, provider_name: str, body: bytes, headers, now=None) -> WebhookOutcome | None:
    """Verify and apply a provider webhook (POST /payments/webhooks/<provider>).

    None: no such webhook provider here (404). Raises InvalidSignature,
    InvalidWebhook, UnknownPayment, PaymentMismatch (all 400: nothing changed,
    the event is not claimed). The same event twice is applied once; racing
    the buyer's own confirm-payment, the order lock and the payment's
    once-only outcome give one confirmation and one email."""
    provider = webhook_provider(provider_name)
    if provider is None:
        return None
    notice = provider.parse_webhook(body, headers)
    if notice is None:
        return WebhookOutcome(applied=False)
    payment = payment_for_notice(provider=provider_name, payment_id=notice.payment_id)
    return _webhook_apply(payment=payment, notice=notice, now=now)


@locked
def _webhook_apply(*, payment: Payment, notice, now=None) -> WebhookOutcome:
    now = now or timezone.now()
    owner = Booking.objects.filter(pk=payment.order_id).values_list("user_id", "show_id").first()
    if owner is None:
        raise UnknownPayment("No such payment.", payment_id=payment.pk)
    user_lock(get_user_model()(pk=owner[0]))
    order = booking_lock(payment.order_id, owner[1])
    result = payment_apply_notice(payment=payment, notice=notice)
    if result.duplicate:
        return WebhookOutcome(applied=False, order=order)
    if result.changed and notice.succeeded:
        _settle(order, payment, now)  # payment_record_outcome brought it up to date
    elif result.changed:
        _payment_failed_event(order, payment, notice.message or "The payment failed.", now, declined=False)
    return WebhookOutcome(applied=True, order=order)


# --------------------------------------------------------------------------
# expiry (lazy; the sweep only records it and tells the world)
# --------------------------------------------------------------------------
SWEEP_BATCH = 200


@locked
def orders_expire_overdue(*, now: datetime | None = None) -> int:
    """Mark pending orders past expires_at EXPIRED, free the seats they still
    claim and emit order.expired (+ seat.released). Never needed for
    correctness (a pending order's seats are free once its deadline passes);
    safe on several relays at once: overdue orders are locked with SKIP
    LOCKED, and only those this call moves emit. Returns how many."""
    now = now or timezone.now()
    orders = list(
        Booking.objects.select_for_update(skip_locked=True)
        .select_related("show")
        .filter(status=BookingStatus.PAYMENT_PENDING, expires_at__lte=now)
        .order_by("pk")[:SWEEP_BATCH]
    )
    for order in orders:
        ids = _line_seat_ids(order)
        seats = seats_lock(order.show, ids, skip_locked=True)
        _release_claimed(order, seats, reason="order_expired", now=now)
        order.status = BookingStatus.EXPIRED
        order.save(update_fields=["status"])
        order_event(EventType.ORDER_EXPIRED, order, now=now, seat_ids=ids)
        count_order("expired")
    return len(orders)
