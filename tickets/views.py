"""Pages of the door: the check-in page for staff and the ticket's QR image."""

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from booking.models import Booking, BookingStatus
from booking.qr import ticket_qr_svg
from catalog.models import Show
from cinema.permissions import staff_scope_queryset
from tickets import services
from tickets.exceptions import TicketError

CHECKIN_PERMISSION = "tickets.add_checkin"


@login_required
def ticket_qr(request, code):
    """The QR of a confirmed order, for its owner or (scoped) staff only."""
    orders = Booking.objects.filter(code=code, status=BookingStatus.CONFIRMED)
    if request.user.is_staff:
        orders = staff_scope_queryset(orders, request.user)
    else:
        orders = orders.filter(user=request.user)
    if not orders.exists():
        raise Http404("No such ticket.")
    response = HttpResponse(ticket_qr_svg(code=code), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _todays_shows(user, now):
    today = timezone.localdate(now)
    start = timezone.make_aware(timezone.datetime.combine(today, timezone.datetime.min.time()))
    shows = staff_scope_queryset(Show.objects.all(), user).filter(
        start_time__gte=start, start_time__lt=start + timezone.timedelta(days=1)
    )
    return (
        shows.select_related("movie", "screen__theatre")
        .annotate(
            sold=Count("bookings", filter=Q(bookings__status=BookingStatus.CONFIRMED), distinct=True),
            admitted=Count("bookings__checkin", distinct=True),
        )
        .order_by("start_time", "pk")
    )


@require_http_methods(["GET", "POST"])
def checkin_page(request):
    """A phone at the door: type (or scan) a code, get a big answer.

    Without JavaScript the form posts here; with it, static/js/checkin.js
    scans with the camera (BarcodeDetector) and calls POST /api/v1/checkins.
    Both end in tickets.services.checkin_record."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not (request.user.is_staff and request.user.has_perm(CHECKIN_PERMISSION)):
        raise PermissionDenied
    result = None
    status = 200
    if request.method == "POST":
        code = request.POST.get("code", "")
        try:
            admission = services.checkin_record(code=code, staff=request.user)
        except TicketError as exc:
            status = exc.status
            result = {"outcome": exc.code, "message": exc.message, "code": services.code_clean(code)}
        else:
            result = {
                "outcome": "ADMITTED",
                "message": f"Admitted: {len(admission.seats)} seat{'s' if len(admission.seats) != 1 else ''}",
                "seats": admission.seats,
                "code": admission.booking.code,
                "show": admission.booking.show,
            }
    now = timezone.now()
    context = {"result": result, "shows": _todays_shows(request.user, now)}
    return render(request, "tickets/checkin.html", context, status=status)
