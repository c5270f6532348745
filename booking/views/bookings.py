"""The buyer's bookings: the list, one booking's page, cancelling it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from booking.exceptions import BookingError
from booking.models import Booking, BookingStatus
from booking.selectors import bookings_for_user, holds_by_show_for_user
from booking.services import booking_cancel, order_refund_of, order_refund_preview
from booking.views.payments import _pay_url
from payments.selectors import payment_for_order


@login_required
def my_bookings(request):
    now = timezone.now()
    upcoming, past, pending = [], [], []
    for booking in bookings_for_user(user=request.user):
        booking.shown_status = booking.effective_status(now)
        if booking.shown_status == BookingStatus.PAYMENT_PENDING:
            booking.seconds_left = max(0, int((booking.expires_at - now).total_seconds()))
            pending.append(booking)
        elif booking.show.start_time > now:
            upcoming.append(booking)
        else:
            past.append(booking)
    upcoming.sort(key=lambda b: b.show.start_time)
    holds = holds_by_show_for_user(user=request.user, now=now)
    context = {"upcoming": upcoming, "past": past, "pending": pending, "now": now, "holds": holds}
    return render(request, "booking/my_bookings.html", context)


def _own_booking(request, code):
    return get_object_or_404(
        Booking.objects.select_related("show__movie", "show__screen__theatre").prefetch_related("lines"),
        code=code,
        user=request.user,
    )


@login_required
def booking_detail(request, code):
    """The confirmation page: booking code and details."""
    booking = _own_booking(request, code)
    return render(request, "booking/booking_detail.html", _booking_context(booking, viewer=request.user))


def _booking_context(booking, *, viewer=None, **extra):
    now = timezone.now()
    status = booking.effective_status(now)
    payment = payment_for_order(order_id=booking.pk)
    return {
        "booking": booking,
        "show": booking.show,
        "status": status,
        "payment": payment,
        "lines": list(booking.lines.all()),
        "can_cancel": status in (BookingStatus.CONFIRMED, BookingStatus.PAYMENT_PENDING)
        and booking.show.start_time > now,
        "seconds_left": max(0, int((booking.expires_at - now).total_seconds()))
        if status == BookingStatus.PAYMENT_PENDING
        else 0,
        "pay_url": _pay_url(booking, payment) if status == BookingStatus.PAYMENT_PENDING and payment else None,
        "refund": order_refund_of(booking),
        "refund_preview": order_refund_preview(order=booking, by=viewer, now=now) if viewer else None,
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def booking_cancel_view(request, code):
    """GET asks "are you sure?"; POST cancels through the service."""
    booking = _own_booking(request, code)
    if request.method == "POST":
        try:
            booking_cancel(booking=booking, by=request.user)
        except BookingError as exc:
            return render(
                request,
                "booking/booking_cancel.html",
                _booking_context(booking, viewer=request.user, error=exc.message),
                status=exc.status,
            )
        refund = order_refund_of(booking)
        note = f" {refund.amount} {refund.currency} is on its way back to your card." if refund else ""
        messages.success(request, f"Booking {booking.code} is cancelled. Its seats are free again.{note}")
        return redirect("booking:my_bookings")
    if booking.effective_status() not in (BookingStatus.CONFIRMED, BookingStatus.PAYMENT_PENDING):
        messages.info(request, f"Booking {booking.code} is {booking.effective_status().lower()}.")
        return redirect(booking)
    return render(request, "booking/booking_cancel.html", _booking_context(booking, viewer=request.user))
