"""The relay and the audit consumer in this process, against the real
RabbitMQ on an exchange and queue of the test's own."""

import threading

import pika
import pytest
from django.db import transaction

from events.consumer import AuditConsumer
from events.models import AuditLogEntry, EventType, OutboxEvent
from events.periodic import _registry, periodic_register
from events.relay import Relay
from events.services import event_emit

from .conftest import CLOSED_AMQP_URL

pytestmark = pytest.mark.django_db(transaction=True)


def emit_orders(orders: int, events_each: int) -> list[OutboxEvent]:
    """Interleave the events of several orders, one transaction per event."""
    emitted = []
    for step in range(events_each):
        for order in range(1, orders + 1):
            with transaction.atomic():
                emitted.append(
                    event_emit(
                        type=EventType.ORDER_CREATED if step == 0 else EventType.PAYMENT_FAILED,
                        data={"order_id": order, "step": step},
                        aggregate="order",
                        aggregate_id=order,
                    )
                )
    return emitted


def test_relay_publishes_every_event_with_the_spec_envelope(rabbit):
    [event] = emit_orders(1, 1)
    Relay(poll_seconds=0.05).run(exit_when_idle=True)
    [(method, properties, body)] = rabbit.drain()
    assert body == event.envelope() and set(body) == {"id", "type", "occurred_at", "version", "data"}
    assert method.routing_key == "order.created" and method.exchange == rabbit.exchange
    assert properties.delivery_mode == pika.DeliveryMode.Persistent.value
    assert properties.message_id == str(event.event_id) and properties.content_type == "application/json"
    assert properties.headers == {"aggregate": "order", "aggregate_id": "1"}
    stored = OutboxEvent.objects.get()
    assert stored.published_at is not None and stored.attempts == 1


def test_the_exchange_is_a_durable_topic_exchange(rabbit):
    channel = rabbit.channel()
    # Redeclaring with the same properties succeeds; a mismatch would close the channel.
    channel.exchange_declare(exchange=rabbit.exchange, exchange_type="topic", durable=True, passive=False)
    channel.connection.close()


def test_audit_consumer_stores_every_event_once_in_order_per_order(rabbit):
    emitted = emit_orders(3, 4)
    Relay(batch_size=5).run(exit_when_idle=True)
    # Sent twice (as after a relay crash between publishing and marking): still stored once.
    OutboxEvent.objects.update(published_at=None)
    Relay().run(exit_when_idle=True)
    assert rabbit.message_count() == 2 * len(emitted)
    AuditConsumer().run(exit_when_idle=0.3)
    assert rabbit.message_count() == 0
    assert AuditLogEntry.objects.count() == len(emitted)
    for order in (1, 2, 3):
        seen = list(AuditLogEntry.objects.filter(order_id=order).order_by("pk").values_list("data", flat=True))
        assert [d["step"] for d in seen] == [0, 1, 2, 3]


def test_without_amqp_url_events_wait_in_the_outbox(rabbit, settings, caplog):
    settings.AMQP_URL = ""
    emit_orders(1, 2)
    Relay().run(exit_when_idle=True)
    assert "AMQP_URL is not set" in caplog.text
    assert OutboxEvent.objects.filter(published_at__isnull=True).count() == 2
    assert rabbit.message_count() == 0


def test_broker_down_then_up_loses_nothing(rabbit, caplog):
    emit_orders(2, 2)
    down = Relay(url=CLOSED_AMQP_URL, poll_seconds=0.05)
    threading.Timer(1.2, down.stop).start()
    down.run()  # keeps retrying with back-off until stopped
    assert caplog.text.count("Broker unavailable") >= 2
    assert OutboxEvent.objects.filter(published_at__isnull=True).count() == 4
    emit_orders(2, 1)  # the app kept writing meanwhile
    Relay().run(exit_when_idle=True)
    assert rabbit.message_count() == 6 and not OutboxEvent.objects.filter(published_at__isnull=True).exists()


def test_a_pending_older_event_held_elsewhere_blocks_only_its_aggregate(rabbit):
    first, second = emit_orders(2, 1)
    with transaction.atomic():
        later_of_first = event_emit(
            type=EventType.ORDER_EXPIRED, data={"order_id": 1}, aggregate="order", aggregate_id=1
        )
    relay = Relay()
    relay.publisher = None
    # A batch that misses order 1's first event (as if another relay had it locked).
    blocked = relay._blocked_aggregates([second, later_of_first])
    assert blocked == {("order", "1")}
    assert relay._blocked_aggregates([first, second, later_of_first]) == set()


def test_relay_runs_the_registered_periodic_jobs(rabbit):
    calls = []
    periodic_register(name="test_job", every_seconds=3600, func=lambda: calls.append(1))
    try:
        relay = Relay()
        relay.run(exit_when_idle=True)
        relay.run(exit_when_idle=True)
    finally:
        _registry.pop("test_job")
    assert calls == [1]
