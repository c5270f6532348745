"""The seat picker and checkout: draw the map, hold the chosen (or the best)
seats, confirm them as an order, let them go."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from booking import seating
from booking.exceptions import BookingError, LoneSeat
from booking.forms import ConfirmForm, SeatSelectionForm
from booking.models import Booking, BookingStatus
from booking.selectors import holds_for_user, seat_grid, seat_map_for_show
from booking.services import booking_confirm, hold_replace, request_fingerprint, seats_release_all
from booking.views.payments import _pay_url
from catalog.selectors import show_for_page
from payments.providers import get_provider
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
