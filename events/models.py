"""The transactional outbox and the audit log. This app is the ground floor:
it knows event types and envelopes, nothing about seats or orders."""

import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class EventType(models.TextChoices):
    """SPEC 7.3. The value is also the AMQP routing key."""

    SEAT_HELD = "seat.held"
    SEAT_RELEASED = "seat.released"
    ORDER_CREATED = "order.created"
    ORDER_EXPIRED = "order.expired"
    BOOKING_CONFIRMED = "booking.confirmed"
    BOOKING_CANCELLED = "booking.cancelled"
    PAYMENT_SUCCEEDED = "payment.succeeded"
    PAYMENT_FAILED = "payment.failed"
    REFUND_CREATED = "refund.created"
    SHOW_CANCELLED = "show.cancelled"
    CHECKIN_RECORDED = "checkin.recorded"


class OutboxEvent(models.Model):
    """One event waiting to be (or already) published. Written by
    ``events.services.event_emit`` in the transaction of the change it
    describes; read, published and marked by the relay (``outbox_relay``).

    ``seq`` is the database's insertion order: events of one aggregate are
    emitted under that aggregate's row locks, so ``seq`` orders them causally
    on every app node (unlike ``occurred_at``, which is each node's clock)."""

    seq = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(max_length=64, choices=EventType.choices)
    aggregate_type = models.CharField(max_length=32)
    aggregate_id = models.CharField(max_length=64)
    occurred_at = models.DateTimeField()
    version = models.PositiveSmallIntegerField(default=1)
    data = models.JSONField(encoder=DjangoJSONEncoder)
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=1000, blank=True)
    # The X-Request-ID of the request that caused it (empty outside a request),
    # sent as a message header so a consumer can follow one request end to end.
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [
            # The relay's scan (published_at IS NULL ORDER BY seq) and the prune
            # (published_at < cutoff) both walk this index.
            models.Index(fields=["published_at", "seq"], name="outbox_pending_idx"),
            models.Index(fields=["aggregate_type", "aggregate_id", "seq"], name="outbox_aggregate_idx"),
        ]
        verbose_name = "outbox event"

    def __str__(self):
        return f"{self.type} {self.aggregate_type}:{self.aggregate_id} ({self.event_id})"

    def headers(self) -> dict:
        """The AMQP headers the relay sends with the envelope."""
        headers = {"aggregate": self.aggregate_type, "aggregate_id": self.aggregate_id}
        if self.request_id:
            headers["request_id"] = self.request_id
        return headers

    def envelope(self) -> dict:
        """The message body of SPEC 7.3."""
        return {
            "id": str(self.event_id),
            "type": self.type,
            "occurred_at": self.occurred_at.isoformat().replace("+00:00", "Z"),
            "version": self.version,
            "data": self.data,
        }


class AuditLogEntry(models.Model):
    """One event as the audit consumer received it, stored once per event id.
    The ids staff search by are copied out of ``data`` into indexed columns."""

    event_id = models.UUIDField(unique=True)
    type = models.CharField(max_length=64, db_index=True)
    occurred_at = models.DateTimeField(db_index=True)
    version = models.PositiveSmallIntegerField(default=1)
    aggregate_type = models.CharField(max_length=32, blank=True)
    aggregate_id = models.CharField(max_length=64, blank=True)
    show_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    order_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    order_code = models.CharField(max_length=64, blank=True, db_index=True)
    user_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    data = models.JSONField(encoder=DjangoJSONEncoder)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "audit log entry"
        verbose_name_plural = "audit log"

    def __str__(self):
        return f"{self.type} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"
