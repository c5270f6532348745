"""RabbitMQ stopped and started again in the middle of a rush, for real: a
RabbitMQ node of the test's own (``rabbit_node``; the shared
broker on 5672 is never touched), MariaDB, buyers on threads going through
the API, and the relay and the audit consumer as real processes.

While the broker is down the app keeps selling seats (the outbox is a table
written in the seat transaction; no request talks to the broker); once it is
back, every committed change's event reaches the exchange at least once, each
order's and each seat's events in the order they were written, and the audit
log stores each event once.

Each buyer books seats of its own, so no request can fail for losing a seat
race (booking/tests/test_races.py is about those), and never cancels (a
cancel locks the show's row today, so cancels and bookings of one show queue
behind each other): any failed request here would be the outbox's or the
broker's doing."""

import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from booking.models import Booking
from events.consumer import audit_queue_declare
from events.models import AuditLogEntry, OutboxEvent
from tests.api import client_for, seat_ids
from tests.factories import ScreenFactory, ShowFactory, UserFactory

from .conftest import pending, rabbit_on, stop, wait_for
from .rabbitnode import port_open

pytestmark = [pytest.mark.mysql_only, pytest.mark.django_db(transaction=True)]

BUYERS = 30
WARM_UP_BOOKINGS = 30  # sold, and some events published, before the broker is stopped
DOWN_SECONDS = 3.0  # the broker stays stopped this long before it is started again
AFTER_SECONDS = 1.0  # the rush goes on this long once it is back
LAYOUT = "\n".join(["SSSSSSSSSSSS_SSSSSSSSSSSS"] * 50)  # 1200 seats: 20 pairs a buyer


@pytest.fixture
def rabbit(rabbit_node, settings):
    """This module's broker is the private node: overriding conftest's
    ``rabbit`` points ``manage`` (the relay and consumer processes) at it."""
    yield from rabbit_on(rabbit_node.url, settings, clean_up=False)


@dataclass
class Call:
    action: str
    status: int
    code: str
    started: float
    ended: float


def request(calls: list[Call], action: str, send, url: str, data=None):
    """One API call, recorded; the body of a success, else None."""
    started = time.monotonic()
    try:
        response = send(url, data, format="json")
    except Exception as exc:  # the test client re-raises a view's exception: a failed request
        calls.append(Call(action, 500, repr(exc), started, time.monotonic()))
        return None
    body = response.json()
    code = "" if response.status_code < 300 else str(body.get("error", {}).get("code", ""))
    calls.append(Call(action, response.status_code, code, started, time.monotonic()))
    return body if response.status_code < 300 else None


def buyer(client, show_id: int, pairs: list[list[int]], done: threading.Event, calls: list[Call]) -> None:
    """Book the buyer's pairs of seats one after the other; every other pair
    is held, released and held again first (its seats' events come from three
    transactions). Out of pairs, hold and release the last one until done."""
    holds = f"/api/v1/shows/{show_id}/holds"
    try:
        for n, pair in enumerate(pairs):
            last = n == len(pairs) - 1
            while not done.is_set():
                if request(calls, "hold", client.post, holds, {"seat_ids": pair}) is None:
                    continue
                if n % 2 or last:
                    if request(calls, "release", client.delete, holds) is None or last:
                        continue
                    if request(calls, "hold", client.post, holds, {"seat_ids": pair}) is None:
                        continue
                body = {"show_id": show_id, "seat_ids": pair}
                if request(calls, "book", client.post, "/api/v1/bookings", body) is not None:
                    break
            if done.is_set():
                return
    finally:
        connection.close()


def booked(calls: list[Call], start: float = 0.0, end: float = float("inf")) -> int:
    """Bookings committed by a request that began and ended in [start, end]."""
    return sum(1 for c in calls if c.action == "book" and c.status == 201 and start <= c.started and c.ended <= end)


def histories(rows: list[tuple]) -> dict[tuple, list[str]]:
    """The event ids, in ``seq`` order, of each history a consumer can rely
    on: an order's events (written in one transaction here) and each seat's
    (under the seat's row lock). Holds of different seats of one show are
    concurrent: they may commit, and so arrive, in either order."""
    found = defaultdict(list)
    for event_id, kind, ident, data in rows:  # in seq order
        if kind == "show":
            for seat in data.get("seat_ids", []):
                found[("seat", seat)].append(str(event_id))
        else:
            found[(kind, ident)].append(str(event_id))
    return found


def out_of_order(arrivals: list[str], expected: dict[tuple, list[str]]) -> dict:
    """The histories whose events did not first arrive in ``seq`` order."""
    position = {event_id: i for i, event_id in enumerate(dict.fromkeys(arrivals))}
    ranks = {key: [position[event_id] for event_id in ids] for key, ids in expected.items()}
    return {key: r for key, r in ranks.items() if r != sorted(r)}


def test_broker_restart_during_a_rush_loses_no_event_and_selling_goes_on(rabbit_node, rabbit, manage, settings):
    node = rabbit_node
    settings.HOLD_RATE = ""  # thirty buyers, each far faster than a person
    settings.MAX_SEATS_PER_USER_PER_SHOW = 10_000
    show = ShowFactory(screen=ScreenFactory(layout=LAYOUT))
    ids = seat_ids(show)
    pairs = [ids[i : i + 2] for i in range(0, len(ids) - 1, 2)]
    # A second queue on the exchange, read by the test (the consumer has the first).
    seen = f"{rabbit.queue}.seen"
    channel = rabbit.channel()
    audit_queue_declare(channel, exchange=rabbit.exchange, queue=seen)
    channel.connection.close()

    relay = manage("outbox_relay")
    consumer = manage("audit_consume")
    done, calls = threading.Event(), []
    threads = [
        threading.Thread(target=buyer, args=(client_for(UserFactory()), show.pk, pairs[n::BUYERS], done, calls))
        for n in range(BUYERS)
    ]
    for thread in threads:
        thread.start()
    try:
        wait_for(
            lambda: (
                booked(calls) >= WARM_UP_BOOKINGS and OutboxEvent.objects.filter(published_at__isnull=False).exists()
            )
        )
        stopping = time.monotonic()
        node.stop()  # returns once the broker's process has exited
        down, down_at = time.monotonic(), datetime.now(UTC)
        assert not port_open(node.port)
        pending_when_down = pending()
        time.sleep(DOWN_SECONDS)
        restarting, restarting_at = time.monotonic(), datetime.now(UTC)
        pending_before_restart = pending()
        node.start(timeout=60)
        up = time.monotonic()
        time.sleep(AFTER_SECONDS)
    finally:
        done.set()
        for thread in threads:
            thread.join(timeout=30)
    rush_end = time.monotonic()

    # Seats were sold while the broker was away, and no request failed.
    failed = Counter((c.action, c.status, c.code) for c in calls if c.status >= 300)
    assert not failed, failed
    sold_while_down = booked(calls, down, restarting)
    assert sold_while_down > 0
    assert pending_before_restart > pending_when_down  # their events waited in the outbox...
    published_while_down = OutboxEvent.objects.filter(
        published_at__gt=down_at + timedelta(seconds=0.5), published_at__lt=restarting_at
    ).count()
    assert published_while_down == 0  # ...for nothing could be published

    # The relay drains the outbox and the consumer catches up, in bounded time.
    wait_for(lambda: pending() == 0, timeout=60)
    total = OutboxEvent.objects.count()
    wait_for(lambda: AuditLogEntry.objects.count() >= total, timeout=60)
    drained = time.monotonic()
    assert "Broker unavailable" in stop(relay)
    stop(consumer)

    # Every committed change wrote its event.
    ok = Counter(c.action for c in calls if c.status < 300)
    types = Counter(OutboxEvent.objects.values_list("type", flat=True))
    assert types["seat.held"] == ok["hold"]
    assert types["order.created"] == types["booking.confirmed"] == ok["book"] == Booking.objects.count()
    assert types["seat.released"] == ok["release"]

    # Each event arrived at least once (and nothing else did), each history in order.
    rows = list(OutboxEvent.objects.order_by("seq").values_list("event_id", "aggregate_type", "aggregate_id", "data"))
    expected = histories(rows)
    assert sum(key[0] == "order" for key in expected) == ok["book"]
    arrivals = [properties.message_id for _, properties, _ in rabbit.drain(seen)]
    assert set(arrivals) == {str(row[0]) for row in rows}
    assert out_of_order(arrivals, expected) == {}

    # The audit log has each event once, each history in order.
    audit = [str(event_id) for event_id in AuditLogEntry.objects.order_by("pk").values_list("event_id", flat=True)]
    assert len(audit) == len(set(audit)) == total
    assert set(audit) == {str(row[0]) for row in rows}
    assert out_of_order(audit, expected) == {}

    # For the record (pytest -s): the show's seat events, concurrent, overtaking each other.
    show_seq = {str(row[0]): n for n, row in enumerate(r for r in rows if r[1] == "show")}
    show_arrivals = [show_seq[e] for e in dict.fromkeys(arrivals) if e in show_seq]
    overtaken = sum(a > b for a, b in zip(show_arrivals, show_arrivals[1:], strict=False))
    print(
        f"\nbroker restart: {len(calls)} requests, {ok['book']} bookings, {sold_while_down} of them while the"
        f" broker was stopped ({booked(calls, stopping, up)} from stop to back up, {up - stopping:.1f} s);"
        f" {total} events, {len(arrivals) - total} delivered twice, {overtaken} show events overtaken;"
        f" outbox drained {drained - rush_end:.1f} s after the rush"
    )
