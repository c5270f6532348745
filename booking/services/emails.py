"""The customer's emails about an order: the ticket (HTML + plain text, the
QR as an inline PNG, an .ics calendar file), a cancellation (with its refund),
and a cancelled show. Each ``email_*`` call queues one email in the mailer
(sent after the caller's commit, retried until it goes, never silent);
the message is built from the database at send time."""

from decimal import Decimal
from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone
from icalendar import Calendar, Event

from booking.models import Booking, BookingStatus
from booking.qr import ticket_qr_png
from cinema.request_id import current as request_id_current
from mailer.services import email_kind_register, email_queue

QR_CID = "ticket-qr"
KIND_CONFIRMED = "order.confirmed"
KIND_CANCELLED = "order.cancelled"
KIND_SHOW_CANCELLED = "show.cancelled"


def one_line(text: str) -> str:
    """Any run of whitespace (CR/LF included) as one space: a header stays one header."""
    return " ".join(str(text).split())


# --------------------------------------------------------------------------
# what other services call
# --------------------------------------------------------------------------
def email_order_confirmed(*, booking_id: int) -> None:
    """Queue the ticket email of a confirmed order."""
    _queue(KIND_CONFIRMED, {"booking_id": booking_id})


def email_order_cancelled(
    *, booking_id: int, refund_amount: Decimal | str | None = None, refund_status: str | None = None
) -> None:
    """Queue the email telling the customer their order was cancelled (by
    them or by staff), with the refund when there is one."""
    params = {"booking_id": booking_id}
    if refund_amount is not None:
        params.update(refund_amount=str(refund_amount), refund_status=refund_status or "")
    _queue(KIND_CANCELLED, params)


def email_show_cancelled(
    *, booking_id: int, refund_amount: Decimal | str | None = None, refund_status: str | None = None
) -> None:
    """Queue the email telling a buyer their show was cancelled (full refund)."""
    params = {"booking_id": booking_id}
    if refund_amount is not None:
        params.update(refund_amount=str(refund_amount), refund_status=refund_status or "")
    _queue(KIND_SHOW_CANCELLED, params)


# --------------------------------------------------------------------------
# building the messages (at send time)
# --------------------------------------------------------------------------
def _load(booking_id: int) -> Booking | None:
    return (
        Booking.objects.select_related("user", "show__movie", "show__screen__theatre")
        .prefetch_related("lines")
        .filter(pk=booking_id)
        .first()
    )


def _queue(kind: str, params: dict) -> None:
    # The request that caused the email, so its X-Request-ID follows it into
    # the mail log even when a retry sends it later.
    email_queue(kind=kind, params={**params, "request_id": request_id_current()})


def _headers(params: dict) -> dict:
    request_id = params.get("request_id")
    return {"X-Request-ID": request_id} if request_id else {}


def ticket_ics(*, booking: Booking, cancelled: bool = False) -> bytes:
    """An RFC 5545 calendar with the show as one event (METHOD:CANCEL with the
    same UID withdraws it). Written with icalendar, which folds and escapes."""
    show = booking.show
    theatre = show.screen.theatre
    cal = Calendar()
    cal.add("prodid", "-//Cinema//Tickets//EN")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", f"booking-{booking.code}@{settings.DEFAULT_FROM_EMAIL.rpartition('@')[2] or 'cinema'}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", show.start_time)
    event.add("dtend", show.end_time)
    event.add("summary", one_line(f"{show.movie.title} – {theatre.name}"))
    event.add("location", one_line(", ".join(p for p in [theatre.name, theatre.address, theatre.city] if p)))
    seats = ", ".join(line.seat_name for line in booking.lines.all() if line.active)
    event.add("description", f"Booking {booking.code}. {show.screen.name}. Seats: {seats}")
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    cal.add_component(event)
    return cal.to_ical()


def _message(booking: Booking, *, subject: str, template: str, context: dict, params: dict) -> EmailMultiAlternatives:
    context = {
        "booking": booking,
        "show": booking.show,
        "theatre": booking.show.screen.theatre,
        "lines": [line for line in booking.lines.all() if line.active or booking.status != BookingStatus.CONFIRMED],
        "user": booking.user,
        "site_url": getattr(settings, "SITE_URL", ""),
        "qr_cid": QR_CID,
        **context,
    }
    message = EmailMultiAlternatives(
        subject=one_line(subject),
        body=render_to_string(f"booking/email/{template}.txt", context),
        to=[booking.customer_email or booking.user.email],
        headers=_headers(params),
    )
    message.attach_alternative(render_to_string(f"booking/email/{template}.html", context), "text/html")
    return message


def build_order_confirmed(params: dict) -> EmailMultiAlternatives | None:
    booking = _load(params["booking_id"])
    if booking is None or booking.status != BookingStatus.CONFIRMED:
        return None  # cancelled before the email went: the cancellation email says so
    message = _message(
        booking,
        subject=f"Your tickets: {booking.show.movie.title} – booking {booking.code}",
        template="confirmation",
        context={},
        params=params,
    )
    message.mixed_subtype = "related"
    qr = MIMEImage(ticket_qr_png(code=booking.code, scale=6), "png")
    qr.add_header("Content-ID", f"<{QR_CID}>")
    qr.add_header("Content-Disposition", "inline", filename=f"ticket-{booking.code}.png")
    message.attach(qr)
    message.attach(f"{booking.code}.ics", ticket_ics(booking=booking), "text/calendar; method=PUBLISH")
    return message


def _build_cancelled(params: dict, *, show_cancelled: bool) -> EmailMultiAlternatives | None:
    booking = _load(params["booking_id"])
    if booking is None:
        return None
    title = booking.show.movie.title
    if show_cancelled:
        subject = f"Show cancelled: {title} – booking {booking.code}"
    elif booking.status == BookingStatus.EXPIRED:
        subject = f"Paid too late, refunded: {title} – booking {booking.code}"
    else:
        subject = f"Booking cancelled: {title} – booking {booking.code}"
    message = _message(
        booking,
        subject=subject,
        template="cancelled",
        context={
            "show_cancelled": show_cancelled,
            "refund_amount": params.get("refund_amount"),
            "refund_status": params.get("refund_status"),
        },
        params=params,
    )
    message.attach(f"{booking.code}.ics", ticket_ics(booking=booking, cancelled=True), "text/calendar; method=CANCEL")
    return message


email_kind_register(kind=KIND_CONFIRMED, build=build_order_confirmed)
email_kind_register(kind=KIND_CANCELLED, build=lambda p: _build_cancelled(p, show_cancelled=False))
email_kind_register(kind=KIND_SHOW_CANCELLED, build=lambda p: _build_cancelled(p, show_cancelled=True))
