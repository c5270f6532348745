"""Moviegoer pages for seats and bookings. Each view parses a form, calls the
same service the API calls (booking/services/) and turns a domain error
into a message on the updated page."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from booking import seating
from booking.exceptions import BookingError, LoneSeat
from booking.forms import ConfirmForm, SeatSelectionForm
from booking.models import Booking, BookingStatus
from booking.selectors import (
    bookings_for_user,
    holds_by_show_for_user,
    holds_for_user,
    seat_grid,
    seat_map_for_show,
)
from booking.services import (
    booking_cancel,
    booking_confirm,
    hold_replace,
    order_checkout_start,
    order_pay,
    order_refund_of,
    order_refund_preview,
    payment_webhook_receive,
    request_fingerprint,
    seats_release_all,
)
from catalog.selectors import show_for_page
from cinema.errors import DomainError
from payments.exceptions import PaymentDeclined
from payments.forms import CardForm
from payments.providers import get_provider
from payments.selectors import payment_by_checkout_token, payment_for_order
from payments.services import order_price

# How often the seat picker asks the API for fresh seat statuses (ms).
DEFAULT_POLL_MS = 4000


def _show_or_404(show_id: int):
    show = show_for_page(show_id=show_id)
    if show is None:
        raise Http404("No such show.")
    return show


def _viewer(request):
    return request.user if request.user.is_authenticated else None


# The login keeps the seats a logged-out buyer chose here (session key per
# show); back on the picker, logged in, they are held at once.
PENDING_KEY = "pending_hold"


def _quantity(request):
    """(quantity or None, error or None) from ?qty= (1–MAX_SEATS_PER_BOOKING)."""
    raw = request.GET.get("qty")
    if raw in (None, ""):
        return None, None
    limit = settings.MAX_SEATS_PER_BOOKING
    if raw.isdigit() and 1 <= int(raw) <= limit:
        return int(raw), None
    return None, f"“{raw[:20]}” is not a number of seats: choose from 1 to {limit}."


def _suggest(seats, quantity: int, near=None) -> list[int]:
    """The best free seats together for ``quantity`` (read-only, no hold), by
    booking.seating; no seat left stranded when LONE_SEAT_RULE is on."""
    rows = [seating.SeatRow(s["id"], s["status"] == "AVAILABLE", s["row_index"], s["column"], s["type"]) for s in seats]
    if settings.LONE_SEAT_RULE:
        return seating.suggest_seats(rows, quantity, near=near)
    blocks = seating.best_blocks(rows, quantity)
    return sorted(blocks[0]) if blocks else []


def _render_picker(
    request, show, *, selected=(), error=None, taken=(), status=200, quantity=None, alternative=(), notice=None
):
    now = timezone.now()
    seats = seat_map_for_show(show=show, viewer=_viewer(request), now=now)
    if quantity and not selected:
        selected = _suggest(seats, quantity)
        if selected:
            names = ", ".join(s["name"] for s in seats if s["id"] in set(selected))
            notice = f"Best {quantity} together: {names}. They are ticked below; change them if you like, then press “Hold seats”."
        else:
            error = (
                error or f"Sorry, there are not {quantity} free seats together for this show. Pick seats on the map."
            )
    selected = set(selected)
    taken = set(taken)
    held = [s for s in seats if s["mine"]]
    prices = sorted(
        {(s["type"], s["price"]) for s in seats},
        key=lambda tp: ["STANDARD", "ACCESSIBLE", "PREMIUM", "RECLINER"].index(tp[0]),
    )
    context = {
        "show": show,
        "rows": seat_grid(seats),
        "readonly": show.start_time <= now or show.is_cancelled,
        "started": show.start_time <= now,
        "cancelled": show.is_cancelled,
        "selected": {s["id"] for s in seats if s["id"] in selected and s["status"] == "AVAILABLE"},
        "held": held,
        "seat_types": [{"type": t, "label": t.title(), "price": p} for t, p in prices],
        "error": error or ("This show has been cancelled." if show.is_cancelled else None),
        "taken": [s["name"] for s in seats if s["id"] in taken],
        "poll_ms": getattr(settings, "SEAT_MAP_POLL_MS", DEFAULT_POLL_MS),
        "quantity": quantity,
        "quantities": range(1, settings.MAX_SEATS_PER_BOOKING + 1),
        "notice": notice,
        "alternative": list(alternative),
        "alternative_names": [s["name"] for s in seats if s["id"] in set(alternative)],
        "api_url": f"/api/v1/shows/{show.pk}/seats",
    }
    return render(request, "booking/seat_picker.html", context, status=status)


@require_http_methods(["GET", "POST"])
def seat_picker(request, show_id):
    """GET draws the map; POST holds the chosen seats (and lets go of the
    viewer's other holds on the show), then goes on to checkout."""
    show = _show_or_404(show_id)
    if request.method == "GET":
        pending = request.session.get(PENDING_KEY, {}).get(str(show.pk)) if request.user.is_authenticated else None
        if pending:
            # Back from the login with a choice made before it: hold it now.
            request.session[PENDING_KEY] = {k: v for k, v in request.session[PENDING_KEY].items() if k != str(show.pk)}
            return _hold(request, show, [int(pk) for pk in pending])
        preselect = [v for v in request.GET.getlist("seats") if v.isdigit()]
        quantity, error = _quantity(request)
        return _render_picker(
            request,
            show,
            selected={int(v) for v in preselect},
            quantity=quantity,
            error=error,
            status=400 if error else 200,
        )

    form = SeatSelectionForm(request.POST)
    if not request.user.is_authenticated:
        # Keep the choice across the login: it is held on the way back (and the
        # picker pre-ticks these seats if that fails).
        chosen = form.cleaned_data["seats"] if form.is_valid() else []
        back = reverse("booking:seat_picker", args=[show.pk])
        if chosen:
            request.session[PENDING_KEY] = {**request.session.get(PENDING_KEY, {}), str(show.pk): chosen}
            back += "?" + urlencode([("seats", pk) for pk in chosen])
        return redirect_to_login(back)
    if not form.is_valid():
        return _render_picker(request, show, error=form.errors["seats"][0], status=400)
    return _hold(request, show, form.cleaned_data["seats"])


def _hold(request, show, wanted: list[int]):
    """Hold exactly ``wanted`` for the user and go to checkout; on a domain
    error, the picker again with the message (and, for a lone seat, a
    one-click alternative)."""
    try:
        hold_replace(user=request.user, show=show, seat_ids=wanted)
    except LoneSeat as exc:
        return _render_picker(
            request,
            show,
            selected=wanted,
            error=exc.message,
            alternative=exc.details.get("alternative", ()),
            status=exc.status,
        )
    except BookingError as exc:
        return _render_picker(
            request, show, selected=wanted, error=exc.message, taken=exc.details.get("seats", ()), status=exc.status
        )
    return redirect("booking:checkout", show_id=show.pk)


@login_required
@require_http_methods(["GET", "POST"])
def checkout(request, show_id):
    """The held seats, their prices, the time left; POST confirms the booking."""
    show = _show_or_404(show_id)
    if request.method == "POST":
        form = ConfirmForm(request.POST)
        error, status = "You have no seats to book. Please pick your seats again.", 400
        if form.is_valid():
            seat_ids = form.cleaned_data["seats"]
            try:
                outcome = booking_confirm(
                    user=request.user,
                    show=show,
                    seat_ids=seat_ids,
                    base_url=request.build_absolute_uri("/"),
                    idempotency_key=form.cleaned_data["idempotency_key"] or None,
                    fingerprint=request_fingerprint({"show_id": show.pk, "seat_ids": seat_ids}),
                )
            except BookingError as exc:
                error, status = exc.message, exc.status
            else:
                order = outcome.booking
                if order.effective_status() == BookingStatus.PAYMENT_PENDING:
                    return redirect(_pay_url(order))
                if not outcome.replayed:
                    messages.success(request, "You're booked! A confirmation email is on its way.")
                return redirect(order)
        return _render_checkout(request, show, error=error, status=status)
    return _render_checkout(request, show)


def _render_checkout(request, show, *, error=None, status=200):
    holds = holds_for_user(user=request.user, show=show)
    lines = [
        {
            "id": h.pk,
            "name": h.seat.name,
            "type": h.seat.get_seat_type_display(),
            "price": show.price_for(h.seat.seat_type),
        }
        for h in holds
    ]
    expires_at = min((h.held_until for h in holds), default=None)
    breakdown = order_price(line_prices=[line["price"] for line in lines], currency=settings.CURRENCY)
    context = {
        "show": show,
        "lines": lines,
        "breakdown": breakdown,
        "pays_online": get_provider().takes_payment and breakdown.total > 0,
        "total": breakdown.total,
        "expires_at": expires_at,
        "seconds_left": max(0, int((expires_at - timezone.now()).total_seconds())) if expires_at else 0,
        "error": error,
        "expired": not holds,
        # Back on checkout after booking: say so rather than "your hold expired".
        "booked": None if holds else _latest_booking(request.user, show),
        "idempotency_key": ConfirmForm.new_key(),
    }
    return render(request, "booking/checkout.html", context, status=status)


def _latest_booking(user, show):
    return (
        Booking.objects.filter(
            user=user, show=show, status__in=[BookingStatus.CONFIRMED, BookingStatus.PAYMENT_PENDING]
        )
        .prefetch_related("lines")
        .order_by("-created_at")
        .first()
    )


@login_required
@require_POST
def release(request, show_id):
    """Let go of every seat the user holds on the show."""
    show = _show_or_404(show_id)
    try:
        released = seats_release_all(user=request.user, show=show)
    except BookingError as exc:
        messages.error(request, exc.message)
    else:
        if released:
            messages.info(request, "Your seats were released.")
    return redirect("booking:seat_picker", show_id=show.pk)


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


def _pay_url(order, payment=None):
    """Where the buyer pays: the provider's checkout URL (asked again if the
    provider was down at creation), else our hosted test page."""
    payment = payment or order.__dict__.get("created_payment") or payment_for_order(order_id=order.pk)
    if payment is None:
        return order.get_absolute_url()
    if not payment.checkout_url:
        payment = order_checkout_start(order=order, payment=payment)
    return payment.checkout_url or reverse("booking:pay", args=[payment.checkout_token])


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


# --------------------------------------------------------------------------
# paying: the test provider's hosted page, and provider webhooks
# --------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def pay(request, token):
    """The `test` provider's hosted payment page (payments.forms.CardForm):
    the same code path as POST /api/v1/orders/{id}/confirm-payment."""
    payment = payment_by_checkout_token(token=token)
    if payment is None:
        raise Http404("No such payment.")
    order = get_object_or_404(
        Booking.objects.select_related("show__movie", "show__screen__theatre"), pk=payment.order_id, user=request.user
    )
    form = CardForm(request.POST or None)
    context = {
        "payment": payment,
        "order": order,
        "form": form,
        "action_url": request.path,
        "back_url": order.get_absolute_url(),
        "expires_at": order.expires_at if order.effective_status() == BookingStatus.PAYMENT_PENDING else None,
        "paid": payment.is_paid,
    }
    if order.effective_status() != BookingStatus.PAYMENT_PENDING:
        return redirect(order)
    if request.method == "POST" and form.is_valid():
        try:
            order = order_pay(order=order, card_number=form.cleaned_data["card_number"])
        except PaymentDeclined as exc:
            context["decline_message"] = exc.message
            return render(request, "payments/test_checkout.html", context, status=402)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(order)
        if order.status == BookingStatus.CONFIRMED:
            messages.success(request, "Paid. You're booked! A confirmation email is on its way.")
        return redirect(order)
    status = 400 if request.method == "POST" else 200
    return render(request, "payments/test_checkout.html", context, status=status)


@csrf_exempt
@require_POST
def payment_webhook(request, provider):
    """POST /payments/webhooks/<provider>: a signed provider notice. 400 and
    nothing changes on a bad or stale signature, a wrong amount or currency
    or an unknown payment; a duplicate is 200 and applied once."""
    try:
        outcome = payment_webhook_receive(provider_name=provider, body=request.body, headers=request.headers)
    except DomainError as exc:
        # A busy database (503) asks the provider to deliver again; anything else is the notice's fault.
        return JsonResponse(
            {"error": {"code": exc.code, "message": exc.message}}, status=exc.status if exc.status >= 500 else 400
        )
    if outcome is None:
        return JsonResponse({"error": {"code": "NOT_FOUND", "message": "No such payment provider."}}, status=404)
    return JsonResponse({"received": True, "applied": outcome.applied})
