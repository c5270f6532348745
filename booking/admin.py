from django.contrib import admin

from booking.models import Booking, BookingSeat
from catalog.models import Screen, Show


@admin.register(Screen)
class ScreenAdmin(admin.ModelAdmin):
    list_display = ["name", "theatre"]
    list_filter = ["theatre"]


@admin.register(Show)
class ShowAdmin(admin.ModelAdmin):
    list_display = ["movie", "screen", "start_time", "end_time"]
    list_filter = ["screen__theatre", "movie"]
    date_hierarchy = "start_time"


class BookingSeatInline(admin.TabularInline):
    model = BookingSeat
    extra = 0
    can_delete = False
    readonly_fields = ["seat_name", "seat_type", "price", "active", "show_seat"]


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["code", "user", "show", "status", "total", "created_at"]
    list_filter = ["status"]
    search_fields = ["code", "user__email"]
    inlines = [BookingSeatInline]
    readonly_fields = ["code", "user", "show", "total", "currency", "status", "created_at", "cancelled_at", "cancelled_by"]
