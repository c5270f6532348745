"""Writes of the events app: emitting into the outbox, pruning it, and
recording delivered events in the audit log."""

import json
import uuid
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from cinema import request_id
from cinema.prepared import insert_rows
from events.exceptions import InvalidEvent
from events.models import AuditLogEntry, EventType, OutboxEvent

PRUNE_CHUNK = 1000


def event_emit(*, type: str, data: dict, aggregate: str, aggregate_id, now: datetime | None = None) -> OutboxEvent:
    """Write one event into the outbox, in the caller's transaction.

    Call it from inside the service's ``transaction.atomic`` block, after the
    change it describes and under the same row locks: the row commits with the
    change and vanishes with a rollback. Events of one ``aggregate`` /
    ``aggregate_id`` (e.g. ``"order"``, ``order.pk``) are published in the
    order they were emitted. ``data`` holds ids and facts, JSON-encoded with
    Django's encoder (Decimal and datetime become strings).

    Raises RuntimeError outside a transaction, ValueError for an unknown type.
    Takes no locks of its own (one INSERT, batched with the transaction's
    next round trip inside cinema.prepared.writes_batched)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("event_emit must be called inside the transaction of the change it records.")
    try:
        EventType(type)  # the enum's own lookup (``EventType.values`` builds a list each time: 17 µs)
    except ValueError:
        raise ValueError(f"Unknown event type {type!r}.") from None
    event = OutboxEvent(
        type=type,
        aggregate_type=aggregate,
        aggregate_id=str(aggregate_id),
        occurred_at=now or timezone.now(),
        data=json.loads(json.dumps(data, cls=DjangoJSONEncoder)),
        request_id=request_id.current() or "",
    )
    # The ORM's INSERT without its compiler; in a service's transaction it goes
    # with the next round trip (cinema.prepared.writes_batched): no pk then.
    insert_rows([event], later=True)
    return event


def outbox_prune(*, now: datetime | None = None, retention: timedelta | None = None) -> int:
    """Delete published outbox rows older than OUTBOX_RETENTION_HOURS, in
    chunks of 1000 so no statement holds many row locks. Unpublished rows are
    never deleted. Returns how many rows went."""
    if retention is None:
        retention = timedelta(hours=settings.OUTBOX_RETENTION_HOURS)
    cutoff = (now or timezone.now()) - retention
    deleted = 0
    while True:
        pks = list(
            OutboxEvent.objects.filter(published_at__lt=cutoff)
            .order_by("published_at", "seq")
            .values_list("pk", flat=True)[:PRUNE_CHUNK]
        )
        if not pks:
            return deleted
        deleted += OutboxEvent.objects.filter(pk__in=pks).delete()[0]


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _parse_envelope(envelope) -> dict:
    if not isinstance(envelope, dict):
        raise InvalidEvent("The message is not a JSON object.")
    try:
        event_id = uuid.UUID(str(envelope["id"]))
        event_type = envelope["type"]
        occurred_at = parse_datetime(str(envelope["occurred_at"]))
        version = int(envelope.get("version", 1))
        data = envelope["data"]
    except (KeyError, ValueError, TypeError) as exc:
        raise InvalidEvent(f"Not an event envelope: {exc!r}") from exc
    if not isinstance(event_type, str) or not event_type or occurred_at is None or not isinstance(data, dict):
        raise InvalidEvent("Not an event envelope: type, occurred_at or data missing or malformed.")
    if timezone.is_naive(occurred_at):
        occurred_at = occurred_at.replace(tzinfo=UTC)
    return {"event_id": event_id, "type": event_type[:64], "occurred_at": occurred_at, "version": version, "data": data}


@transaction.atomic(durable=True)
def audit_record(*, envelope: dict, aggregate: str = "", aggregate_id: str = "") -> tuple[AuditLogEntry, bool]:
    """Store one delivered event in the audit log, once per event id: a
    duplicate delivery returns the stored entry and ``False``. The ids staff
    search by (``show_id``, ``order_id``, ``order_code``, ``user_id``) are taken
    from ``data``; an ``aggregate`` of ``order`` also gives the order id.

    Raises InvalidEvent for a message that is not an envelope. Takes no locks
    beyond the unique index on ``event_id``."""
    fields = _parse_envelope(envelope)
    data = fields["data"]
    order_id = _int_or_none(data.get("order_id"))
    if order_id is None and aggregate == "order":
        order_id = _int_or_none(aggregate_id)
    return AuditLogEntry.objects.get_or_create(
        event_id=fields.pop("event_id"),
        defaults={
            **fields,
            "aggregate_type": (aggregate or "")[:32],
            "aggregate_id": str(aggregate_id or "")[:64],
            "show_id": _int_or_none(data.get("show_id")),
            "order_id": order_id,
            "order_code": str(data.get("order_code") or "")[:64],
            "user_id": _int_or_none(data.get("user_id")),
        },
    )
