"""Bookings in the admin: read-only pages; staff cancel through
booking.services.booking_cancel."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils import timezone

from booking.admin.shows import ShowDateFilter
from booking.exceptions import BookingError, CancellationClosed
from booking.models import Booking, BookingSeat, BookingStatus
from booking.services import booking_cancel
from cinema.admin_helpers import TheatreScopedAdminMixin
from cinema.admin_helpers import local_text as _local


class BookingShowDateFilter(ShowDateFilter):
    field = "show__start_time"


class BookingSeatInline(admin.TabularInline):
    model = BookingSeat
    fields = ["seat_name", "seat_type", "price", "active"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name = "seat"
    verbose_name_plural = "seats"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Booking)
class BookingAdmin(TheatreScopedAdminMixin, admin.ModelAdmin):
    """Bookings are made by moviegoers; staff look them up and may cancel them.

    Nothing here edits a booking or a seat directly: the change page is
    read-only and cancelling goes through booking.services.booking_cancel.
    """

    list_display = ["code", "customer", "movie", "show_starts", "status", "seat_count", "total", "created_at"]
    list_filter = ["status", BookingShowDateFilter, "show__screen__theatre"]
    list_select_related = ["user", "show__movie", "show__screen__theatre"]
    search_fields = ["code", "user__email", "user__name"]
    search_help_text = "Booking code or the customer's email or name."
    actions = ["cancel_bookings"]
    inlines = [BookingSeatInline]
    fields = [
        "code",
        "status",
        "user",
        "show",
        "show_starts",
        "total",
        "currency",
        "created_at",
        "cancelled_at",
        "cancelled_by",
    ]
    readonly_fields = fields
    change_form_template = "admin/booking/booking/change_form.html"

    class Media:
        css = {"all": ["css/admin.css"]}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("user", "show__movie", "show__screen__theatre", "cancelled_by")
            .annotate(seat_total=Count("lines"))
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # The change permission is what lets staff cancel (the action and the
        # button); the booking itself is never edited, so its page is read-only.
        return obj is None and super().has_change_permission(request)

    @admin.display(description="customer", ordering="user__email")
    def customer(self, obj):
        return obj.user.email

    @admin.display(description="movie", ordering="show__movie__title")
    def movie(self, obj):
        return obj.show.movie.title

    @admin.display(description="show (local time)", ordering="show__start_time")
    def show_starts(self, obj):
        return f"{_local(obj.show.start_time)} · {obj.show.screen}"

    @admin.display(description="seats", ordering="seat_total")
    def seat_count(self, obj):
        return obj.seat_total

    def _cancel(self, request, bookings) -> None:
        cancelled, already, closed = [], [], []
        for booking in bookings:
            if booking.status == BookingStatus.CANCELLED:
                already.append(booking.code)
                continue
            try:
                booking_cancel(booking=booking, by=request.user)
            except CancellationClosed:
                closed.append(booking.code)
                continue
            except BookingError as exc:
                self.message_user(request, f"{booking.code}: {exc.message}", messages.ERROR)
                continue
            cancelled.append(booking.code)
            self.log_change(request, booking, "Cancelled from the admin.")
        if cancelled:
            n = len(cancelled)
            self.message_user(
                request,
                f"Cancelled {n} booking{'s' if n != 1 else ''} ({', '.join(cancelled)}); their seats are free again.",
                messages.SUCCESS,
            )
        if already:
            self.message_user(request, f"Already cancelled: {', '.join(already)}.", messages.WARNING)
        if closed:
            self.message_user(
                request,
                f"Not cancelled, the show has started: {', '.join(closed)}.",
                messages.ERROR,
            )

    @admin.action(description="Cancel selected bookings", permissions=["change"])
    def cancel_bookings(self, request, queryset):
        self._cancel(request, list(queryset))

    def get_urls(self):
        extra = [
            path(
                "<path:object_id>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="booking_booking_cancel",
            )
        ]
        return extra + super().get_urls()

    def cancel_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            raise PermissionDenied
        try:  # a non-numeric id is a 404, not a 500
            pk = int(unquote(object_id))
        except ValueError:
            raise Http404("No such booking.") from None
        # A scoped staff user finds their theatres' bookings only.
        booking = get_object_or_404(self.get_queryset(request), pk=pk)
        self._cancel(request, [booking])
        return redirect("admin:booking_booking_change", booking.pk)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_cancel"] = (
            obj is not None
            and obj.status == BookingStatus.CONFIRMED
            and obj.show.start_time > timezone.now()
            and self.has_change_permission(request)
        )
        return super().render_change_form(request, context, add, change, form_url, obj)
