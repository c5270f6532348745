"""Does the relay slow the seat transactions? (By hand; not part of the suite.)

    DATABASE_URL=mysql://root@127.0.0.1:3306/cinema_perf \\
        .venv/bin/pytest events/tests/measure_outbox_cost.py -p no:randomly -s -q

One show, users one after another (no contention between them): each holds
two seats and books them through the services (``seats_hold``,
``booking_confirm``: three outbox rows). Rounds alternate between three
states: the relay publishing to a broker (a RabbitMQ node of the test's own),
that broker stopped (the relay retrying), and no relay at all. Prints, per
state, the median and p95 of the hold and the booking (whole call), of the
row locks' life (first ``SELECT … FOR UPDATE`` to the return after COMMIT),
of the outbox INSERTs (the one statement a relay could make wait), and the
test thread's CPU per hold + booking.
"""

import os
import statistics
import time

import pytest
from django.db import connection

from booking import services
from events.models import OutboxEvent
from tests.factories import ScreenFactory, ShowFactory, UserFactory

from .conftest import rabbit_on, stop, wait_for

pytestmark = [pytest.mark.mysql_only, pytest.mark.django_db(transaction=True)]

USERS = int(os.environ.get("MEASURE_USERS", "100"))  # per round
ROUNDS = int(os.environ.get("MEASURE_ROUNDS", "3"))  # of each state
STATES = ("publishing", "broker stopped", "no relay")
LAYOUT = "\n".join(["S" * 20 + "_" + "S" * 20] * 52)  # 2080 seats


class _Statements:
    """When the current call sent its first SELECT … FOR UPDATE, and how long
    its outbox INSERTs took."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.first_lock, self.outbox = None, 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        if self.first_lock is None and "FOR UPDATE" in sql:
            self.first_lock = started
        try:
            return execute(sql, params, many, context)
        finally:
            if sql.startswith("INSERT INTO `events_outboxevent`"):
                self.outbox += time.perf_counter() - started


def _round(show, seats, statements) -> dict[str, list[float]]:
    times = {"hold": [], "book": [], "locked": [], "outbox insert": [], "cpu": []}
    for user in UserFactory.create_batch(USERS):
        pair = [seats.pop(), seats.pop()]
        cpu = time.thread_time()
        for name, call in (("hold", services.seats_hold), ("book", services.booking_confirm)):
            statements.reset()
            started = time.perf_counter()
            call(user=user, show=show, seat_ids=pair)
            ended = time.perf_counter()
            times[name].append((ended - started) * 1000)
            times["locked"].append((ended - statements.first_lock) * 1000)
            times["outbox insert"].append(statements.outbox * 1000)
        times["cpu"].append((time.thread_time() - cpu) * 1000)
    return times


def _summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    return f"{statistics.median(ordered):5.2f} / {ordered[int(len(ordered) * 0.95)]:5.2f}"


def _caught_up():
    return not OutboxEvent.objects.filter(published_at__isnull=True).exists()


@pytest.fixture
def rabbit(rabbit_node, settings):
    yield from rabbit_on(rabbit_node.url, settings, clean_up=False)


def test_measure_seat_transactions_with_the_relay_publishing_and_without(rabbit_node, rabbit, manage, settings):
    settings.MAX_SEATS_PER_USER_PER_SHOW = 10_000
    show = ShowFactory(screen=ScreenFactory(layout=LAYOUT))
    seats = list(show.show_seats.order_by("-pk").values_list("pk", flat=True))
    assert len(seats) >= 2 * USERS * ROUNDS * len(STATES)
    statements = _Statements()
    results = {state: {} for state in STATES}
    relay = None
    with connection.execute_wrapper(statements):
        for _ in range(ROUNDS):
            for state in STATES:
                if state == "publishing":
                    if rabbit_node.process.poll() is not None:
                        rabbit_node.start(timeout=60)
                    if relay is None:
                        relay = manage("outbox_relay")
                    wait_for(_caught_up, timeout=60)  # connected again and idle before timing
                elif state == "broker stopped":
                    rabbit_node.stop()
                    time.sleep(1)  # the relay has noticed and backs off
                else:
                    stop(relay)
                    relay = None
                for name, samples in _round(show, seats, statements).items():
                    results[state].setdefault(name, []).extend(samples)
    print(f"\n{USERS * ROUNDS} users per state, {ROUNDS} alternating rounds; median / p95 in ms:")
    for state, times in results.items():
        print(f"  {state:15} " + "; ".join(f"{name} {_summary(samples)}" for name, samples in times.items()))
