"""Cancelling: an order (booking_cancel, by its buyer or staff), a whole show
(show_cancel, staff), and the refund a cancellation gives back. The
late-payment rule in orders.py refunds and emails through _refund and
_email_cancelled here.

Lock order (as everywhere, services/locking.py): the user row, then the show
or order row, then show seats in pk order, then the payment. Refunds are paid
back after commit (`refund_perform`), never under these locks.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from booking.exceptions import CancellationClosed, NotAllowed
from booking.models import Booking, BookingSeat, BookingStatus, SeatStatus, ShowSeat
from booking.services import emails
from booking.services.common import _release_claimed, seats_set_free
from booking.services.events import count_order, count_payment, order_event, seats_released_event
from booking.services.locking import booking_lock, locked, order_seats_lock, user_lock
from catalog.models import Show
from events.models import EventType
from events.services import event_emit
from payments.models import Payment, Refund
from payments.selectors import payment_for_order
from payments.services import order_refund_amount, refund_perform, refund_record


def order_refund_of(order: Booking) -> Refund | None:
    """The order's latest refund, if any."""
    return Refund.objects.filter(payment__order_id=order.pk).order_by("-pk").first()


def _refund(order: Booking, payment: Payment, *, amount, key: str, reason: str, now: datetime) -> Refund:
    """Record a refund (once per key) and pay it back after commit."""
    refund = refund_record(payment=payment, amount=amount, key=key, reason=reason)
    order_event(
        EventType.REFUND_CREATED,
        order,
        now=now,
        refund_id=refund.pk,
        payment_id=payment.pk,
        amount=refund.amount,
        currency=refund.currency,
        reason=reason,
    )
    refund_id = refund.pk
    transaction.on_commit(lambda: refund_perform(refund_id=refund_id))
    count_payment(payment.provider, "refunded")
    return refund


def _email_cancelled(order: Booking, refund: Refund | None, *, show_cancelled: bool) -> None:
    """After commit, queue the one cancellation email (tickets' emails.py) with its refund."""
    order_id, refund_id = order.pk, refund.pk if refund else None
    send = emails.email_show_cancelled if show_cancelled else emails.email_order_cancelled

    def queue() -> None:
        # Registered after the refund's own on_commit (refund_perform), so the
        # status read here is the provider's answer, not PENDING.
        refund = Refund.objects.filter(pk=refund_id).first() if refund_id else None
        send(
            booking_id=order_id,
            refund_amount=refund.amount if refund else None,
            refund_status=refund.status if refund else None,
        )

    transaction.on_commit(queue)


def order_refund_preview(*, order: Booking, by, now: datetime | None = None):
    """What cancelling now would give back: Decimal amount (0 if unpaid or nothing due)."""
    from decimal import Decimal

    now = now or timezone.now()
    payment = payment_for_order(order_id=order.pk)
    if payment is None or not payment.is_paid or order.status != BookingStatus.CONFIRMED:
        return Decimal("0.00")
    by_staff = bool(by and by.is_staff and order.user_id != by.pk)
    return order_refund_amount(
        breakdown=order.breakdown(), show_starts_at=order.show.start_time, now=now, by_staff=by_staff
    )


@locked
def booking_cancel(*, booking: Booking, by, now: datetime | None = None) -> Booking:
    """Cancel an order before its show starts; its seats are free at once, and
    a paid order is refunded per CANCELLATION_POLICY (all of it, fees too,
    when staff cancel someone else's order). The refund is recorded here
    (once: key ``cancel:<order id>``) and paid back after commit.

    Locks the canceller's user row, the order row, then its show seats in pk
    order, then the payment. Cancelling twice is harmless (returns the order
    unchanged), as is cancelling an order that expired. Raises NotAllowed (not
    the owner nor staff) and CancellationClosed (show started). The order
    comes back with ``refund`` (the Refund or None).
    """
    now = now or timezone.now()
    user_lock(by)
    booking = booking_lock(booking.pk, booking.show_id)
    if booking.user_id != by.pk and not (by.is_staff and by.has_perm("booking.change_booking")):
        raise NotAllowed("You can only cancel your own bookings.")
    if booking.status == BookingStatus.CANCELLED or booking.effective_status(now) == BookingStatus.EXPIRED:
        booking.refund = order_refund_of(booking)
        return booking
    if booking.show.start_time <= now:
        raise CancellationClosed("This show has started, so the booking can no longer be cancelled.")
    order_cancel_locked(order=booking, by=by, by_staff=by.is_staff and booking.user_id != by.pk, now=now)
    return booking


def order_cancel_locked(*, order: Booking, by, by_staff: bool, now: datetime, reason: str = "order_cancelled"):
    """Cancel an order whose row the caller has locked: free its seats, refund
    what the policy gives back (everything with ``by_staff``), emit
    booking.cancelled and email the buyer after commit. Sets ``order.refund``."""
    seats = order_seats_lock(order)
    ids = [s.pk for s in seats]
    if order.status == BookingStatus.CONFIRMED:
        BookingSeat.objects.filter(booking_id=order.pk, active=True).update(active=None)
        sold = [s.pk for s in seats if s.status == SeatStatus.SOLD and s.held_until is None]
        seats_set_free(sold)
        seats_released_event(show_id=order.show_id, user_id=order.user_id, seat_ids=sold, reason=reason, now=now)
    else:
        _release_claimed(order, seats, reason=reason, now=now)
    order.status = BookingStatus.CANCELLED
    order.cancelled_at = now
    order.cancelled_by = by
    order.save(update_fields=["status", "cancelled_at", "cancelled_by"])
    refund = None
    payment = payment_for_order(order_id=order.pk)
    if payment is not None and payment.is_paid:
        amount = order_refund_amount(
            breakdown=order.breakdown(), show_starts_at=order.show.start_time, now=now, by_staff=by_staff
        )
        if amount > 0:
            refund = _refund(order, payment, amount=amount, key=f"cancel:{order.pk}", reason="Cancelled", now=now)
    order.refund = refund
    order_event(
        EventType.BOOKING_CANCELLED,
        order,
        now=now,
        seat_ids=ids,
        cancelled_by=getattr(by, "pk", None),
        by_staff=by_staff,
        refund_amount=refund.amount if refund else "0.00",
    )
    _email_cancelled(order, refund, show_cancelled=reason == "show_cancelled")
    count_order("cancelled")
    return order


@dataclass
class ShowCancelOutcome:
    show: Show
    orders_cancelled: int
    already: bool = False


@locked
def show_cancel(*, show: Show, by, now: datetime | None = None) -> ShowCancelOutcome:
    """Cancel a show (staff): every order cancelled with a full refund (fees
    too), every hold released, every buyer emailed after commit, the show
    CANCELLED; holding and ordering then answer 409 SHOW_CANCELLED. Again is
    a no-op. Locks the staff user's row, the show row, every seat of the show
    (pk order: in-flight holds and orders finish first), then each order."""
    now = now or timezone.now()
    user_lock(by)
    show = Show.objects.select_for_update().get(pk=show.pk)
    if show.cancelled_at is not None:
        return ShowCancelOutcome(show=show, orders_cancelled=0, already=True)
    show.cancelled_at = now
    show.save(update_fields=["cancelled_at"])
    seats = list(ShowSeat.objects.select_for_update().filter(show_id=show.pk).order_by("pk"))
    held = [s for s in seats if s.status == SeatStatus.LOCKED]
    if held:
        seats_set_free([s.pk for s in held])
        for user_id in sorted({s.held_by_id for s in held}):
            seats_released_event(
                show_id=show.pk,
                user_id=user_id,
                seat_ids=[s.pk for s in held if s.held_by_id == user_id],
                reason="show_cancelled",
                now=now,
            )
    orders = list(
        Booking.objects.select_for_update()
        .select_related("show", "user")
        .filter(show_id=show.pk)
        .exclude(status__in=[BookingStatus.CANCELLED])
        .order_by("pk")
    )
    cancelled = 0
    for order in orders:
        if order.status == BookingStatus.EXPIRED:
            continue
        order.show = show
        order_cancel_locked(order=order, by=by, by_staff=True, now=now, reason="show_cancelled")
        cancelled += 1
    event_emit(
        type=EventType.SHOW_CANCELLED,
        aggregate="show",
        aggregate_id=show.pk,
        now=now,
        data={
            "show_id": show.pk,
            "movie_id": show.movie_id,
            "screen_id": show.screen_id,
            "start_time": show.start_time,
            "cancelled_by": by.pk,
            "orders_cancelled": cancelled,
        },
    )
    return ShowCancelOutcome(show=show, orders_cancelled=cancelled)
