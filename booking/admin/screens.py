"""Screens in the admin: the layout editor; every save goes through a service
(catalog.services.screen_create, booking.services.screen_update)."""

from django.contrib import admin
from django.db.models import Count, Q

from booking.forms_admin import ScreenAdminForm
from catalog.models import Screen, SeatType
from cinema.admin_helpers import ServicesOwnTheTransactionMixin, TheatreScopedAdminMixin


@admin.register(Screen)
class ScreenAdmin(TheatreScopedAdminMixin, ServicesOwnTheTransactionMixin, admin.ModelAdmin):
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
        pass  # the form created (catalog.services.screen_create) or edited (booking.services.screen_update) it
