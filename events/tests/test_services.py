import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction

from events.exceptions import InvalidEvent
from events.models import AuditLogEntry, EventType, OutboxEvent
from events.selectors import audit_for, outbox_backlog
from events.services import audit_record, event_emit, outbox_prune

NOW = datetime(2026, 12, 1, 18, 30, tzinfo=UTC)


def emit(**overrides):
    kwargs = {"type": EventType.ORDER_CREATED, "data": {"order_id": 7}, "aggregate": "order", "aggregate_id": 7}
    return event_emit(**{**kwargs, **overrides})


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_leaves_its_event_in_the_outbox():
    with transaction.atomic():
        event = emit(data={"order_id": 7, "total": Decimal("12.50"), "at": NOW}, now=NOW)
    stored = OutboxEvent.objects.get()
    assert stored.event_id == event.event_id and stored.published_at is None and stored.attempts == 0
    assert stored.aggregate_type == "order" and stored.aggregate_id == "7"
    assert stored.envelope() == {
        "id": str(event.event_id),
        "type": "order.created",
        "occurred_at": "2026-12-01T18:30:00Z",
        "version": 1,
        "data": {"order_id": 7, "total": "12.50", "at": "2026-12-01T18:30:00Z"},
    }


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_event():
    with pytest.raises(LookupError), transaction.atomic():
        emit()
        raise LookupError("the change failed")
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_emitting_outside_a_transaction_is_a_programming_error():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        emit()
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db
def test_unknown_types_are_refused():
    with pytest.raises(ValueError, match="Unknown event type"):
        emit(type="seat.sold")


def test_every_spec_type_is_known():
    assert set(EventType.values) == {
        "seat.held",
        "seat.released",
        "order.created",
        "order.expired",
        "booking.confirmed",
        "booking.cancelled",
        "payment.succeeded",
        "payment.failed",
        "refund.created",
        "show.cancelled",
        "checkin.recorded",
    }


@pytest.mark.django_db
def test_prune_deletes_only_published_rows_past_the_retention(settings):
    settings.OUTBOX_RETENTION_HOURS = 72
    old, recent, waiting = emit(), emit(), emit()
    OutboxEvent.objects.filter(pk=old.pk).update(published_at=NOW - timedelta(hours=73))
    OutboxEvent.objects.filter(pk=recent.pk).update(published_at=NOW - timedelta(hours=71))
    OutboxEvent.objects.filter(pk=waiting.pk).update(occurred_at=NOW - timedelta(days=30))
    assert outbox_prune(now=NOW) == 1
    assert set(OutboxEvent.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}


@pytest.mark.django_db
def test_backlog_counts_unpublished_events_and_ages_the_oldest():
    assert outbox_backlog(now=NOW) == {"unpublished": 0, "oldest": None, "oldest_age": None}
    emit(now=NOW - timedelta(minutes=5))
    emit(now=NOW - timedelta(minutes=1))
    OutboxEvent.objects.filter(pk=emit(now=NOW - timedelta(hours=1)).pk).update(published_at=NOW)
    backlog = outbox_backlog(now=NOW)
    assert backlog["unpublished"] == 2 and backlog["oldest_age"] == timedelta(minutes=5)


def envelope(**data):
    return {
        "id": str(uuid.uuid4()),
        "type": "booking.confirmed",
        "occurred_at": "2026-12-01T18:30:00.123456Z",
        "version": 1,
        "data": data,
    }


@pytest.mark.django_db(transaction=True)
def test_audit_stores_each_event_once_with_its_search_columns():
    message = envelope(order_id=5, order_code="ABC123", show_id=9, user_id=3, total="10.00")
    entry, created = audit_record(envelope=message, aggregate="order", aggregate_id="5")
    again, created_again = audit_record(envelope=message, aggregate="order", aggregate_id="5")
    assert created and not created_again and again.pk == entry.pk
    assert AuditLogEntry.objects.count() == 1
    entry.refresh_from_db()
    assert (entry.order_id, entry.order_code, entry.show_id, entry.user_id) == (5, "ABC123", 9, 3)
    assert entry.occurred_at == datetime(2026, 12, 1, 18, 30, 0, 123456, tzinfo=UTC)
    assert entry.data["total"] == "10.00"


@pytest.mark.django_db(transaction=True)
def test_audit_takes_the_order_id_from_an_order_aggregate():
    entry, _ = audit_record(envelope=envelope(), aggregate="order", aggregate_id="44")
    assert entry.order_id == 44 and entry.show_id is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "message",
    [
        [],
        {"type": "x"},
        {**envelope(), "id": "nope"},
        {**envelope(), "occurred_at": "yesterday"},
        {**envelope(), "data": []},
    ],
)
def test_audit_refuses_what_is_not_an_envelope(message):
    with pytest.raises(InvalidEvent):
        audit_record(envelope=message)
    assert not AuditLogEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_audit_for_an_order_is_its_history_oldest_first():
    later = {**envelope(order_id=1), "type": "booking.cancelled", "occurred_at": "2026-12-01T19:00:00Z"}
    audit_record(envelope=later)
    audit_record(envelope=envelope(order_id=1))
    audit_record(envelope=envelope(order_id=2))
    assert [e.type for e in audit_for(order_id=1)] == ["booking.confirmed", "booking.cancelled"]
    with pytest.raises(ValueError):
        audit_for()
