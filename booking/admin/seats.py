"""Read-only lists of show seats and idempotency records."""

from django.contrib import admin
from django.utils import timezone

from booking.models import IdempotencyRecord, SeatStatus, ShowSeat
from cinema.admin_helpers import ReadOnlyAdmin, TheatreScopedAdminMixin
from cinema.admin_helpers import local_text as _local


@admin.register(ShowSeat)
class ShowSeatAdmin(TheatreScopedAdminMixin, ReadOnlyAdmin):
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
