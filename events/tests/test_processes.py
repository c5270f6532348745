"""The relay and the audit consumer as the real processes (manage.py
commands), killed and stopped for real, against MariaDB and RabbitMQ. They
need a database other processes can see, so they run in the MariaDB pass."""

import os
import time

import pytest
from django.db import transaction

from events.models import AuditLogEntry, EventType
from events.relay import CRASH_ENV, CRASH_EXIT_CODE
from events.services import event_emit

from .conftest import CLOSED_AMQP_URL, pending, stop, wait_for

pytestmark = [pytest.mark.mysql_only, pytest.mark.django_db(transaction=True)]


def emit_orders(orders: int, events_each: int) -> int:
    for step in range(events_each):
        for order in range(1, orders + 1):
            with transaction.atomic():
                event_emit(
                    type=EventType.PAYMENT_FAILED,
                    data={"order_id": order, "step": step},
                    aggregate="order",
                    aggregate_id=order,
                )
    return orders * events_each


def test_relay_killed_before_and_after_publishing_loses_nothing(rabbit, manage):
    total = emit_orders(2, 3)

    crashed = manage("outbox_relay", **{CRASH_ENV: "before_publish"})
    assert crashed.wait(timeout=20) == CRASH_EXIT_CODE
    assert rabbit.message_count() == 0 and pending() == total

    crashed = manage("outbox_relay", **{CRASH_ENV: "after_publish"})
    assert crashed.wait(timeout=20) == CRASH_EXIT_CODE
    assert rabbit.message_count() == total and pending() == total  # sent, confirmed, never marked

    relay = manage("outbox_relay")
    wait_for(lambda: pending() == 0)
    assert "stopped" in stop(relay)
    assert rabbit.message_count() == 2 * total  # at least once: each event twice

    consumer = manage("audit_consume")
    wait_for(lambda: AuditLogEntry.objects.count() == total and rabbit.message_count() == 0)
    stop(consumer)
    assert AuditLogEntry.objects.count() == total
    for order in (1, 2):
        steps = [
            d["step"]
            for d in AuditLogEntry.objects.filter(order_id=order).order_by("pk").values_list("data", flat=True)
        ]
        assert steps == [0, 1, 2]


def test_broker_down_then_up_the_relay_retries_and_stops_cleanly(rabbit, manage):
    down = manage("outbox_relay", amqp_url=CLOSED_AMQP_URL)
    emit_orders(3, 2)  # the app keeps writing while the broker is away
    time.sleep(1.5)
    assert down.poll() is None and pending() == 6
    output = stop(down)
    assert "Broker unavailable" in output
    relay = manage("outbox_relay")
    wait_for(lambda: pending() == 0)
    stop(relay)
    assert rabbit.message_count() == 6


def test_two_relays_share_the_work_and_keep_each_order_in_sequence(rabbit, manage):
    relays = [manage("outbox_relay", OUTBOX_BATCH_SIZE="7") for _ in range(2)]
    consumer = manage("audit_consume")
    total = emit_orders(4, 15)
    wait_for(lambda: AuditLogEntry.objects.count() == total, timeout=40)
    for process in (*relays, consumer):
        stop(process)
    for order in range(1, 5):
        steps = [
            d["step"]
            for d in AuditLogEntry.objects.filter(order_id=order).order_by("pk").values_list("data", flat=True)
        ]
        assert steps == list(range(15))


def test_audit_consumer_without_a_broker_waits_and_stops_on_sigterm(rabbit, manage):
    consumer = manage("audit_consume", amqp_url=CLOSED_AMQP_URL)
    time.sleep(1.5)
    assert consumer.poll() is None
    assert "Broker unavailable" in stop(consumer)


def _autogroup_nice(pid="self") -> str:
    """The nice value of the process's autogroup; "" for a process still in
    the default group, the one of a session that never called setsid (a CI
    runner, a container's first process), for which the file is empty."""
    with open(f"/proc/{pid}/autogroup") as fh:
        return (fh.read().split() or [""])[-1]


def _nice_of(process) -> tuple[int, str]:
    return os.getpriority(os.PRIO_PROCESS, process.pid), _autogroup_nice(process.pid)


def test_relay_gives_way_to_the_web_workers(rabbit, manage):
    """OUTBOX_RELAY_NICE lowers the relay's priority; in a session of its own
    (as a service runs) its autogroup too, which is what counts against the
    web workers' group. Started from this session it leaves the session's
    group alone, whether or not that session has a group of its own."""
    base = os.getpriority(os.PRIO_PROCESS, 0)
    ours = _autogroup_nice()
    service = manage("outbox_relay", new_session=True, OUTBOX_RELAY_NICE="7")
    assert f"at nice {min(base + 7, 19)}" in service.head
    assert _nice_of(service) == (min(base + 7, 19), str(min(base + 7, 19)))
    from_shell = manage("outbox_relay", OUTBOX_RELAY_NICE="3")
    assert _nice_of(from_shell) == (min(base + 3, 19), ours)
    unniced = manage("outbox_relay", new_session=True, OUTBOX_RELAY_NICE="0")
    assert _nice_of(unniced)[0] == base
    for process in (service, from_shell, unniced):
        assert "stopped" in stop(process)
