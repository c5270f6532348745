"""Staff admin for screens, shows and bookings.

These three live here rather than in catalog/admin.py because saving them goes
through booking.services (seats follow screens and shows), and ``catalog``
never imports ``booking``. Every write is a service call; the admin only
parses input and turns domain errors into form errors or messages.
"""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import csrf_protect_m
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Min, Q
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from booking.exceptions import BookingError, CancellationClosed
from booking.forms_admin import ScreenAdminForm, ShowAdminForm, ShowBulkScheduleForm
from booking.models import Booking, BookingSeat, BookingStatus, IdempotencyRecord, SeatStatus, ShowSeat
from booking.selectors import seat_counts, seat_grid, seat_map_for_show
from booking.services import booking_cancel, show_delete, show_schedule
from catalog.admin import ReadOnlyAdmin
from catalog.models import Screen, SeatType, Show


def _local(dt) -> str:
    return f"{timezone.localtime(dt):%a %d %b %Y, %H:%M}" if dt else "–"


class ServicesOwnTheTransactionMixin:
    """Run the add/change and delete views without Django admin's outer
    ``transaction.atomic()``.

    Our services are ``transaction.atomic(durable=True)``: they refuse to run
    inside another transaction, because an outer one would keep their row locks
    past the service and could still roll back a change the service reported
    as done. Every write these views make goes through a service (called from
    the form's validation, see booking/forms_admin.py, or from delete_model),
    so each write is atomic on its own; the admin's LogEntry is written after.
    """

    @csrf_protect_m
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._changeform_view(request, object_id, form_url, extra_context)

    @csrf_protect_m
    def delete_view(self, request, object_id, extra_context=None):
        return self._delete_view(request, object_id, extra_context)


class ShowDateFilter(admin.SimpleListFilter):
    """Shows by their local date: today, tomorrow, the next 7 days, upcoming, past."""

    title = "show date"
    parameter_name = "when"
    field = "start_time"

    def lookups(self, request, model_admin):
        return [
            ("today", "Today"),
            ("tomorrow", "Tomorrow"),
            ("week", "Next 7 days"),
            ("upcoming", "Upcoming"),
            ("past", "Started or past"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        now = timezone.now()
        today = timezone.localdate(now)

        def midnight(days: int):
            return timezone.make_aware(datetime.combine(today + timedelta(days=days), time.min))

        ranges = {
            "today": (midnight(0), midnight(1)),
            "tomorrow": (midnight(1), midnight(2)),
            "week": (now, midnight(8)),
        }
        if value in ranges:
            start, end = ranges[value]
            return queryset.filter(**{f"{self.field}__gte": start, f"{self.field}__lt": end})
        if value == "upcoming":
            return queryset.filter(**{f"{self.field}__gt": now})
        if value == "past":
            return queryset.filter(**{f"{self.field}__lte": now})
        return queryset


class BookingShowDateFilter(ShowDateFilter):
    field = "show__start_time"


class LocalDateHierarchyChangeList(ChangeList):
    """Django's date hierarchy lists its years, months and days with the
    database's time-zone conversion (CONVERT_TZ on MySQL/MariaDB), which
    fails unless the server's time-zone tables are loaded. This one finds the
    first and last start in one aggregate query and does the local-time
    arithmetic in Python, so the drill-down works on every backend. Filtering
    by the chosen year/month/day is still Django's own (a UTC range)."""

    def local_date_hierarchy(self) -> dict:
        field = self.date_hierarchy
        keys = [f"{field}__year", f"{field}__month", f"{field}__day"]
        year, month, day = (self.params.get(k) for k in keys)

        def link(filters):
            return self.get_query_string(filters, [f"{field}__"])

        span = self.queryset.order_by().aggregate(first=Min(field), last=Max(field))
        if not span["first"]:
            return {"show": bool(year), "back": {"link": link({}), "title": "All dates"}, "choices": []}
        first, last = timezone.localtime(span["first"]).date(), timezone.localtime(span["last"]).date()
        if not year and first.year == last.year:
            year = first.year
            month = first.month if first.month == last.month else None
        if year and month and day:
            chosen = datetime(int(year), int(month), int(day)).date()
            return {
                "show": True,
                "back": {"link": link({keys[0]: year, keys[1]: month}), "title": f"{chosen:%B %Y}"},
                "choices": [{"title": formats.date_format(chosen, "MONTH_DAY_FORMAT")}],
            }
        if year and month:
            days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
            return {
                "show": True,
                "back": {"link": link({keys[0]: year}), "title": str(year)},
                "choices": [
                    {
                        "link": link({keys[0]: year, keys[1]: month, keys[2]: d.day}),
                        "title": formats.date_format(d, "MONTH_DAY_FORMAT"),
                    }
                    for d in days
                ],
            }
        if year:
            return {
                "show": True,
                "back": {"link": link({}), "title": "All dates"},
                "choices": [
                    {
                        "link": link({keys[0]: year, keys[1]: m}),
                        "title": formats.date_format(datetime(int(year), m, 1).date(), "YEAR_MONTH_FORMAT"),
                    }
                    for m in range(first.month, last.month + 1)
                ],
            }
        return {
            "show": True,
            "back": None,
            "choices": [{"link": link({keys[0]: str(y)}), "title": str(y)} for y in range(first.year, last.year + 1)],
        }


# --------------------------------------------------------------------------
# screens
# --------------------------------------------------------------------------
@admin.register(Screen)
class ScreenAdmin(ServicesOwnTheTransactionMixin, admin.ModelAdmin):
    form = ScreenAdminForm
    list_display = ["name", "theatre", "seats_total", "seats_by_type"]
    list_filter = ["theatre"]
    list_select_related = ["theatre"]
    search_fields = ["name", "theatre__name", "theatre__city"]
    fields = ["theatre", "name", "layout"]

    class Media:
        css = {"all": ["css/admin.css"]}

    def get_queryset(self, request):
        counts = {f"seats_{kind.lower()}": Count("seats", filter=Q(seats__seat_type=kind)) for kind in SeatType.values}
        return super().get_queryset(request).annotate(seats_total=Count("seats"), **counts)

    @admin.display(description="seats", ordering="seats_total")
    def seats_total(self, obj):
        return obj.seats_total

    @admin.display(description="by type")
    def seats_by_type(self, obj):
        parts = [
            f"{getattr(obj, f'seats_{kind.lower()}')} {label.lower()}"
            for kind, label in SeatType.choices
            if getattr(obj, f"seats_{kind.lower()}")
        ]
        return ", ".join(parts) or "–"

    def save_model(self, request, obj, form, change):
        # The form already created the screen (catalog.services.screen_create) or
        # changed its layout and seats (booking.services.screen_layout_update);
        # what is left is a plain rename or move to another theatre.
        if change:
            obj.save(update_fields=["theatre", "name"])


# --------------------------------------------------------------------------
# shows
# --------------------------------------------------------------------------
@admin.register(Show)
class ShowAdmin(ServicesOwnTheTransactionMixin, admin.ModelAdmin):
    form = ShowAdminForm
    list_display = ["movie", "where", "starts", "sold", "held", "free", "occupancy"]
    list_display_links = ["movie"]
    list_filter = [ShowDateFilter, "screen__theatre", "movie"]
    list_select_related = ["movie", "screen__theatre"]
    search_fields = ["movie__title", "screen__name", "screen__theatre__name"]
    date_hierarchy = "start_time"
    list_per_page = 50
    change_list_template = "admin/catalog/show/change_list.html"

    def get_changelist(self, request, **kwargs):
        return LocalDateHierarchyChangeList

    class Media:
        css = {"all": ["css/admin.css"]}

    # -- list ----------------------------------------------------------------
    def get_queryset(self, request):
        """Sold / held / free per show in the same query as the page of shows.
        A hold past its ``held_until`` counts as free (lazy expiry)."""
        now = timezone.now()
        locked = Q(show_seats__status=SeatStatus.LOCKED)
        return (
            super()
            .get_queryset(request)
            .select_related("movie", "screen__theatre")
            .annotate(
                sold_count=Count("show_seats", filter=Q(show_seats__status=SeatStatus.SOLD)),
                held_count=Count("show_seats", filter=locked & Q(show_seats__held_until__gt=now)),
                free_count=Count(
                    "show_seats",
                    filter=Q(show_seats__status=SeatStatus.AVAILABLE) | (locked & Q(show_seats__held_until__lte=now)),
                ),
            )
        )

    # Theatre and screen share a column and the year is left out of this
    # year's dates, so the occupancy columns stay in view next to the admin's
    # sidebar and filters at laptop widths instead of behind a sideways scroll.
    @admin.display(description="theatre · screen", ordering="screen__theatre__name")
    def where(self, obj):
        return format_html("{}<br><small>{}</small>", obj.screen.theatre.name, obj.screen.name)

    @admin.display(description="starts", ordering="start_time")
    def starts(self, obj):
        local = timezone.localtime(obj.start_time)
        return f"{local:%a %d %b, %H:%M}" if local.year == timezone.localdate().year else _local(obj.start_time)

    @admin.display(description="sold", ordering="sold_count")
    def sold(self, obj):
        return obj.sold_count

    @admin.display(description="held", ordering="held_count")
    def held(self, obj):
        return obj.held_count

    @admin.display(description="free", ordering="free_count")
    def free(self, obj):
        return obj.free_count

    @admin.display(description="% sold")
    def occupancy(self, obj):
        total = obj.sold_count + obj.held_count + obj.free_count
        if not total:
            return "–"
        return format_html(
            '{}% <span class="occupancy-bar" title="{} sold, {} held, {} free">'
            '<span class="sold" style="width:{}%"></span><span class="held" style="width:{}%"></span>'
            "</span>",
            round(100 * obj.sold_count / total),
            obj.sold_count,
            obj.held_count,
            obj.free_count,
            round(100 * obj.sold_count / total, 1),
            round(100 * obj.held_count / total, 1),
        )

    # -- change page ---------------------------------------------------------
    def get_fieldsets(self, request, obj=None):
        prices = ("Prices per seat", {"fields": list(Show.PRICE_FIELDS.values())})
        if obj is None:
            return [(None, {"fields": ["movie", "screen", "start_time"]}), prices]
        return [
            (None, {"fields": ["movie", "screen", "start_time", "ends"]}),
            prices,
            ("Seats", {"fields": ["seat_summary", "seat_map"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        # A show keeps its screen: its seats were made from that screen's layout.
        return ["screen", "ends", "seat_summary", "seat_map"] if obj else []

    @admin.display(description="ends (local time)")
    def ends(self, obj):
        return _local(obj.end_time)

    @admin.display(description="occupancy")
    def seat_summary(self, obj):
        counts = seat_counts(show=obj)
        return f"{counts['sold']} sold · {counts['held']} held · {counts['free']} free · {counts['total']} seats"

    @admin.display(description="seat map")
    def seat_map(self, obj):
        grid = render_to_string(
            "booking/_seat_grid.html",
            {"rows": seat_grid(seat_map_for_show(show=obj)), "readonly": True, "CURRENCY": settings.CURRENCY},
        )
        legend = (
            '<p class="admin-seat-map-legend"><span class="free"></span>free'
            '<span class="held"></span>held<span class="sold"></span>sold</p>'
        )
        return format_html('<div class="admin-seat-map">{}{}</div>', mark_safe(grid), mark_safe(legend))

    def save_model(self, request, obj, form, change):
        pass  # the form scheduled or updated the show through booking.services

    # -- deleting --------------------------------------------------------------
    def get_deleted_objects(self, objs, request):
        """A short summary for the confirmation page (not every show seat), and
        shows with bookings listed as protected: show_delete refuses them."""
        shows = list(objs)
        ids = [show.pk for show in shows]
        booked = dict(
            Booking.objects.filter(show_id__in=ids)
            .values("show_id")
            .annotate(n=Count("pk"))
            .values_list("show_id", "n")
        )
        protected = [
            f"{show}: {booked[show.pk]} booking{'s' if booked[show.pk] != 1 else ''} "
            "(a show with bookings cannot be deleted)"
            for show in shows
            if show.pk in booked
        ]
        to_delete = [str(show) for show in shows]
        model_count = {"shows": len(shows), "show seats": ShowSeat.objects.filter(show_id__in=ids).count()}
        perms_needed = set() if self.has_delete_permission(request) else {"show"}
        return to_delete, model_count, perms_needed, protected

    def delete_model(self, request, obj):
        show_delete(show=obj)

    def delete_queryset(self, request, queryset):
        refused = []
        for show in queryset:
            try:
                show_delete(show=show)
            except BookingError as exc:
                refused.append(f"{show}: {exc.message}")
        if refused:
            self.message_user(request, "Not deleted – " + "; ".join(refused), messages.ERROR)

    @csrf_protect_m
    def delete_view(self, request, object_id, extra_context=None):
        try:
            return self._delete_view(request, object_id, extra_context)
        except BookingError as exc:  # someone booked it after the confirmation page
            self.message_user(request, exc.message, messages.ERROR)
            return redirect("admin:catalog_show_change", unquote(object_id))

    # -- scheduling several shows ---------------------------------------------
    def get_urls(self):
        extra = [
            path(
                "schedule/",
                self.admin_site.admin_view(self.schedule_view),
                name="catalog_show_schedule",
            )
        ]
        return extra + super().get_urls()

    def schedule_view(self, request):
        """Schedule one movie on one screen at the same times for N days, each
        slot through show_schedule; report what was created and what was refused."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ShowBulkScheduleForm(request.POST or None)
        created, refused = [], []
        if request.method == "POST" and form.is_valid():
            now = timezone.now()
            movie, screen = form.cleaned_data["movie"], form.cleaned_data["screen"]
            for start in form.slots():
                if start <= now:
                    refused.append((_local(start), "This time has already passed."))
                    continue
                try:
                    show = show_schedule(movie=movie, screen=screen, start_time=start, prices=form.prices())
                except BookingError as exc:
                    refused.append((_local(start), exc.message))
                    continue
                self.log_addition(request, show, [{"added": {}}])
                created.append((_local(show.start_time), reverse("admin:catalog_show_change", args=[show.pk])))
            level = messages.SUCCESS if not refused else (messages.WARNING if created else messages.ERROR)
            self.message_user(
                request,
                f"Scheduled {len(created)} show{'s' if len(created) != 1 else ''} of “{movie}” on {screen}; "
                f"{len(refused)} slot{'s' if len(refused) != 1 else ''} refused.",
                level,
            )
        context = {
            **self.admin_site.each_context(request),
            "title": "Schedule several shows",
            "opts": self.opts,
            "form": form,
            "created": created,
            "refused": refused,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/catalog/show/schedule.html", context)


# --------------------------------------------------------------------------
# bookings
# --------------------------------------------------------------------------
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
class BookingAdmin(admin.ModelAdmin):
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
        booking = get_object_or_404(Booking, pk=unquote(object_id))
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


@admin.register(ShowSeat)
class ShowSeatAdmin(ReadOnlyAdmin):
    """Every seat of every show, for answering "who has seat G7?". Holds past
    their time show as free, exactly as moviegoers see them."""

    list_display = ["seat_name", "show", "current_status", "held_by", "held_until_local", "version"]
    list_filter = ["status", "show__screen__theatre"]
    list_select_related = ["seat", "show__movie", "show__screen__theatre", "held_by"]
    search_fields = ["held_by__email", "show__movie__title", "=show__id"]
    search_help_text = "A customer's email, a movie title, or a show id."
    fields = ["show", "seat", "status", "held_by", "held_at", "held_until", "version", "updated_at"]
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description="seat", ordering="seat__row_index")
    def seat_name(self, obj):
        return obj.seat.name

    @admin.display(description="status")
    def current_status(self, obj):
        return SeatStatus(obj.effective_status(timezone.now())).label

    @admin.display(description="held until (local)", ordering="held_until")
    def held_until_local(self, obj):
        return _local(obj.held_until) if obj.status == SeatStatus.LOCKED else "–"


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    """Idempotency-Key records of booking requests (purged after
    IDEMPOTENCY_TTL_HOURS by `manage.py purge_idempotency_keys`)."""

    list_display = ["key", "user", "booking", "response_status", "created_at"]
    list_select_related = ["user", "booking"]
    search_fields = ["key", "user__email", "booking__code"]
    date_hierarchy = None
    fields = ["user", "key", "request_hash", "booking", "response_status", "response_body", "created_at"]
    readonly_fields = fields
