"""Staff views of the outbox (the relay's backlog) and the audit log. Both
are written only by the relay and the audit consumer: read-only here."""

import uuid

from django.contrib import admin
from django.db.models import Q

from cinema.admin_helpers import ReadOnlyAdmin
from events.models import AuditLogEntry, EventType, OutboxEvent
from events.selectors import outbox_backlog


class PublishedFilter(admin.SimpleListFilter):
    title = "published"
    parameter_name = "published"

    def lookups(self, request, model_admin):
        return [("no", "Waiting"), ("yes", "Published")]

    def queryset(self, request, queryset):
        if self.value() in ("no", "yes"):
            return queryset.filter(published_at__isnull=self.value() == "no")
        return queryset


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = [
        "seq",
        "type",
        "aggregate_type",
        "aggregate_id",
        "occurred_at",
        "published_at",
        "attempts",
        "last_error",
    ]
    list_filter = [PublishedFilter, "type", "aggregate_type"]
    search_fields = ["=event_id", "=aggregate_id"]
    search_help_text = "Event id or aggregate id (exact)."
    ordering = ["-seq"]
    show_full_result_count = False

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "backlog": outbox_backlog()})


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "type", "order_id", "order_code", "show_id", "user_id", "aggregate_type"]
    # A date filter of plain ranges: Django's date_hierarchy needs MariaDB's time-zone tables.
    list_filter = ["type", ("occurred_at", admin.DateFieldListFilter)]
    search_fields = ["order_code"]
    search_help_text = "A number finds that show, order or user id; text finds an order code, event type or event id."
    ordering = ["-occurred_at", "-pk"]
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.isdigit():
            number = int(term)
            return queryset.filter(Q(show_id=number) | Q(order_id=number) | Q(user_id=number)), False
        match = Q(order_code__iexact=term)
        if term in EventType.values:
            match |= Q(type=term)
        try:
            match |= Q(event_id=uuid.UUID(term))
        except ValueError:
            pass
        return queryset.filter(match), False
