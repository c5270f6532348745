"""The relay and the audit consumer in this process, against the real
RabbitMQ on an exchange and queue of the test's own."""

import threading
import time

import pika
import pytest
from django.db import connection, transaction

from events.broker import Publisher
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


def test_an_event_carries_the_request_id_of_the_request_that_caused_it(rabbit):
    from cinema import request_id

    token = request_id._current.set("req-42.abc")
    try:
        [event] = emit_orders(1, 1)
    finally:
        request_id._current.reset(token)
    Relay(poll_seconds=0.05).run(exit_when_idle=True)
    [(_, properties, body)] = rabbit.drain()
    assert properties.headers["request_id"] == "req-42.abc" and body == event.envelope()


def test_the_relay_declares_a_durable_topic_exchange(rabbit):
    channel = rabbit.channel()
    channel.exchange_delete(exchange=rabbit.exchange)
    emit_orders(1, 1)
    Relay().run(exit_when_idle=True)
    # Redeclaring with the same properties succeeds; any other kind or durability is refused.
    channel.exchange_declare(exchange=rabbit.exchange, exchange_type="topic", durable=True)
    with pytest.raises(pika.exceptions.ChannelClosedByBroker, match="PRECONDITION_FAILED"):
        channel.exchange_declare(exchange=rabbit.exchange, exchange_type="topic", durable=False)
    channel.connection.close()
    rabbit.bind_queue()


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


@pytest.mark.mysql_only
def test_an_event_locked_by_another_relay_holds_back_only_its_own_order(rabbit):
    emit_orders(2, 2)  # seq: order 1, order 2, order 1, order 2
    first = OutboxEvent.objects.order_by("seq").first()
    locked, release = threading.Event(), threading.Event()

    def other_relay():
        # Another relay's batch: it holds order 1's first event and has not published it yet.
        with transaction.atomic():
            OutboxEvent.objects.select_for_update().get(pk=first.pk)
            locked.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=other_relay)
    thread.start()
    try:
        assert locked.wait(10)
        Relay().run(exit_when_idle=True)
    finally:
        release.set()
        thread.join()
    # Order 2 went out; order 1's second event waits behind its first.
    assert [m[2]["data"] for m in rabbit.drain()] == [{"order_id": 2, "step": 0}, {"order_id": 2, "step": 1}]
    assert OutboxEvent.objects.filter(published_at__isnull=True, aggregate_id="1").count() == 2
    Relay().run(exit_when_idle=True)
    assert [m[2]["data"]["step"] for m in rabbit.drain()] == [0, 1]


@pytest.mark.mysql_only
def test_a_relay_holding_its_batch_never_makes_a_change_wait():
    emit_orders(3, 1)
    locked, release = threading.Event(), threading.Event()

    def relay_mid_batch():
        # The relay's own query, held open as while it waits for the broker's confirms.
        with transaction.atomic():
            list(
                OutboxEvent.objects.select_for_update(skip_locked=True)
                .filter(published_at__isnull=True)
                .order_by("seq")[:200]
            )
            locked.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=relay_mid_batch)
    thread.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        emit_orders(3, 1)
        elapsed = time.monotonic() - started
    finally:
        release.set()
        thread.join()
    assert elapsed < 1.0  # a lock wait would take innodb_lock_wait_timeout (3 s) and fail
    assert OutboxEvent.objects.count() == 6


def test_a_refused_publish_ends_the_batch_and_is_counted_on_its_row(rabbit):
    emit_orders(2, 2)
    relay = Relay()
    relay.publisher = Publisher(url=rabbit.url, exchange=rabbit.exchange)
    channel = rabbit.channel()
    channel.exchange_delete(exchange=rabbit.exchange)  # the broker now refuses every publish (404)
    with pytest.raises(pika.exceptions.ChannelClosedByBroker):
        relay.relay_batch()
    relay.close()
    rows = list(OutboxEvent.objects.order_by("seq"))
    assert all(row.published_at is None for row in rows)
    assert [row.attempts for row in rows] == [1, 0, 0, 0] and "NOT_FOUND" in rows[0].last_error
    channel.connection.close()
    rabbit.bind_queue()
    Relay().run(exit_when_idle=True)
    assert [(m[2]["data"]["order_id"], m[2]["data"]["step"]) for m in rabbit.drain()] == [
        (1, 0),
        (2, 0),
        (1, 1),
        (2, 1),
    ]
    assert OutboxEvent.objects.get(seq=rows[0].seq).last_error == ""


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
