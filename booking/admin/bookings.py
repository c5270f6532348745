"""Orders (bookings) in the admin: read-only pages with their payments,
refunds and history; staff cancel through booking.services.booking_cancel
(which refunds per CANCELLATION_POLICY; staff cancelling: everything)."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from booking.admin.shows import ShowDateFilter
from booking.exceptions import BookingError, CancellationClosed
from booking.models import Booking, BookingSeat, BookingStatus
from booking.selectors import payments_for_orders
from booking.services import booking_cancel, order_refund_preview
from cinema.admin_helpers import TheatreScopedAdminMixin
from cinema.admin_helpers import local_text as _local
from events.selectors import audit_for
from payments.models import Payment, Refund

User = get_user_model()


def _table(headers, rows):
    """A small read-only table (payments, refunds, history live outside the order's row)."""
    if not rows:
        return "—"
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    body = format_html_join(
        "", "<tr>{}</tr>", ((format_html_join("", "<td>{}</td>", ((c,) for c in row)),) for row in rows)
    )
    return format_html('<table class="admin-mini"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>', head, body)


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

    list_display = [
        "code",
        "customer",
        "movie",
        "show_starts",
        "status",
        "payment_status",
        "seat_count",
        "total",
        "created_at",
    ]
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
        "subtotal",
        "fees",
        "tax",
        "total",
        "currency",
        "expires_at",
        "customer_name",
        "customer_email",
        "customer_phone",
        "created_at",
        "confirmed_at",
        "cancelled_at",
        "cancelled_by",
        "refund_on_cancel",
        "payments",
        "refunds",
        "history",
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

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        self._payments = payments_for_orders(orders=changelist.result_list)
        return changelist

    @admin.display(description="payment")
    def payment_status(self, obj):
        payment = getattr(self, "_payments", {}).get(obj.pk)
        return payment.get_status_display() if payment else "—"

    @admin.display(description="refund if cancelled now (staff: everything)")
    def refund_on_cancel(self, obj):
        if obj.status != BookingStatus.CONFIRMED:
            return "—"
        staff = User(pk=0, is_staff=True)  # staff cancelling someone's order
        return f"{order_refund_preview(order=obj, by=staff)} {obj.currency}"

    @admin.display(description="payments")
    def payments(self, obj):
        rows = [
            (p.pk, p.provider, p.get_status_display(), f"{p.amount} {p.currency}", p.reference, p.failure_message)
            for p in Payment.objects.filter(order_id=obj.pk).order_by("pk")
        ]
        return _table(["id", "provider", "status", "amount", "reference", "failure"], rows)

    @admin.display(description="refunds")
    def refunds(self, obj):
        rows = [
            (r.pk, r.get_status_display(), f"{r.amount} {r.currency}", r.reason, r.key, r.failure_message)
            for r in Refund.objects.filter(payment__order_id=obj.pk).order_by("pk")
        ]
        return _table(["id", "status", "amount", "reason", "key", "failure"], rows)

    @admin.display(description="history (audit log)")
    def history(self, obj):
        rows = [(_local(e.occurred_at), e.type) for e in audit_for(order_id=obj.pk)]
        return _table(["when", "event"], rows)

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
            and obj.effective_status() in (BookingStatus.CONFIRMED, BookingStatus.PAYMENT_PENDING)
            and obj.show.start_time > timezone.now()
            and self.has_change_permission(request)
        )
        return super().render_change_form(request, context, add, change, form_url, obj)
