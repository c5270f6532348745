"""Shows in the admin: occupancy columns, the seat map, scheduling one or
several shows and deleting them, all through booking.services.scheduling."""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import csrf_protect_m
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, ExpressionWrapper, F, FloatField, OuterRef, Subquery
from django.db.models.functions import Coalesce, NullIf
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from booking.exceptions import BookingError
from booking.forms_admin import ShowAdminForm, ShowBulkScheduleForm
from booking.models import Booking, ShowSeat, seat_counts_annotation
from booking.selectors import seat_counts, seat_grid, seat_map_for_show, show_default_prices
from booking.services import show_cancel, show_delete, show_schedule
from catalog.models import Show
from cinema.admin_helpers import (
    LocalDateHierarchyChangeList,
    ServicesOwnTheTransactionMixin,
    TheatreScopedAdminMixin,
)
from cinema.admin_helpers import local_text as _local
from cinema.permissions import staff_scope_queryset


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


@admin.register(Show)
class ShowAdmin(TheatreScopedAdminMixin, ServicesOwnTheTransactionMixin, admin.ModelAdmin):
    form = ShowAdminForm
    list_display = ["movie", "where", "starts", "sold", "held", "free", "occupancy", "admitted", "cancelled"]
    list_display_links = ["movie"]
    actions = ["cancel_shows"]
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
        """Sold / held / free per show in the same query as the page of shows
        (booking.models.seat_counts_annotation: expired holds count as free)."""
        counts = seat_counts_annotation(timezone.now(), through="show_seats__")
        counts.pop("total_count")
        # Admissions at the door (tickets.CheckIn, reached by its relation
        # name): a subquery, so it does not multiply the seat counts' join.
        admitted = (
            Booking.objects.filter(show=OuterRef("pk"), checkin__isnull=False)
            .order_by()
            .values("show")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .select_related("movie", "screen__theatre")
            .annotate(**counts)
            .annotate(
                admitted_count=Coalesce(Subquery(admitted), 0),
                occupancy_pct=ExpressionWrapper(
                    F("sold_count") * 100.0 / NullIf(F("sold_count") + F("held_count") + F("free_count"), 0),
                    output_field=FloatField(),
                ),
            )
        )

    def view_on_site(self, obj):
        return reverse("booking:seat_picker", args=[obj.pk])

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

    @admin.display(description="admitted / sold", ordering="admitted_count")
    def admitted(self, obj):
        return f"{obj.admitted_count} / {obj.sold_count}"

    @admin.display(description="cancelled", boolean=True, ordering="cancelled_at")
    def cancelled(self, obj):
        return obj.cancelled_at is not None

    @admin.action(
        description="Cancel selected shows (cancel and fully refund every order, release holds, email buyers)",
        permissions=["change"],
    )
    def cancel_shows(self, request, queryset):
        done = []
        for show in queryset:
            try:
                outcome = show_cancel(show=show, by=request.user)
            except BookingError as exc:
                self.message_user(request, f"{show}: {exc.message}", messages.ERROR)
                continue
            if not outcome.already:
                done.append((show, outcome.orders_cancelled))
                self.log_change(request, show, f"Cancelled the show ({outcome.orders_cancelled} orders refunded).")
        for show, n in done:
            self.message_user(
                request, f"Cancelled {show}: {n} order{'s' if n != 1 else ''} cancelled and refunded.", messages.SUCCESS
            )

    @admin.display(description="% sold", ordering="occupancy_pct")
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
            return [(None, {"fields": ["movie", "screen", "start_time", "format", "language", "subtitles"]}), prices]
        return [
            (None, {"fields": ["movie", "screen", "start_time", "ends", "format", "language", "subtitles"]}),
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

    def _price_initial(self, request) -> dict:
        """Prices from the screen's latest show (``?screen=<id>``), not constants."""
        screen_id = request.GET.get("screen")
        screen_id = int(screen_id) if screen_id and screen_id.isdigit() else None
        prices = show_default_prices(screen_id=screen_id)
        return {field: prices[str(kind)] for kind, field in Show.PRICE_FIELDS.items() if str(kind) in prices}

    def get_changeform_initial_data(self, request):
        return {**self._price_initial(request), **super().get_changeform_initial_data(request)}

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
        form = ShowBulkScheduleForm(request.POST or None, initial=self._price_initial(request))
        form.fields["screen"].queryset = staff_scope_queryset(form.fields["screen"].queryset, request.user)
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
