"""Reads of the events app."""

from datetime import datetime, timedelta

from django.db.models import Count, Min, QuerySet
from django.utils import timezone

from events.models import AuditLogEntry, OutboxEvent


def audit_for(*, order_id: int | None = None, show_id: int | None = None, user_id: int | None = None) -> QuerySet:
    """An order's (or show's, or user's) history as the audit log has it,
    oldest first. Give at least one id."""
    if order_id is None and show_id is None and user_id is None:
        raise ValueError("audit_for needs order_id, show_id or user_id.")
    qs = AuditLogEntry.objects.all()
    if order_id is not None:
        qs = qs.filter(order_id=order_id)
    if show_id is not None:
        qs = qs.filter(show_id=show_id)
    if user_id is not None:
        qs = qs.filter(user_id=user_id)
    return qs.order_by("occurred_at", "pk")


def outbox_backlog(*, now: datetime | None = None) -> dict:
    """``{"unpublished": n, "oldest": datetime | None, "oldest_age": timedelta | None}``:
    how far the relay is behind (one query on the pending index)."""
    row = OutboxEvent.objects.filter(published_at__isnull=True).aggregate(n=Count("pk"), oldest=Min("occurred_at"))
    oldest = row["oldest"]
    age = max((now or timezone.now()) - oldest, timedelta(0)) if oldest else None
    return {"unpublished": row["n"], "oldest": oldest, "oldest_age": age}
