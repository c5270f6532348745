"""How long a hold and a booking keep their row locks (docs/scaling.md's hot-row bound).

    DATABASE_URL=mysql://root@127.0.0.1:3306/cinema_perf \\
        .venv/bin/pytest bench/measure_lock_hold.py -p no:randomly -s -q [--create-db]

Not part of the test suite. One 220-seat show, MEASURE_USERS users one after
another (no contention, so the figure is the work done under the locks, not
time spent waiting for them): each holds the best two seats, then books them.
The lock-hold time is measured from the moment the first ``SELECT … FOR
UPDATE`` of the service's transaction is sent to the moment the service
returns (after COMMIT), via ``connection.execute_wrapper``; the whole call is
printed beside it.
"""

import os
import statistics
import time

import pytest
from django.db import connection

from booking import services
from tests.factories import ShowFactory, UserFactory

LAYOUT = "\n".join(
    ["SSSS_SSSSSSSSSS_SSSS"] * 4
    + ["PPPP_PPPPPPPPPP_PPPP"] * 4
    + ["RRRR_RRRRRRRRRR_RRRR"] * 2
    + ["AASS_SSSSSSSSSS_SSAA"] * 1
)
USERS = int(os.environ.get("MEASURE_USERS", "100"))


class _FirstLock:
    def __init__(self):
        self.at = None

    def __call__(self, execute, sql, params, many, context):
        if self.at is None and "FOR UPDATE" in sql:
            self.at = time.perf_counter()
        return execute(sql, params, many, context)


def _timed(fn, **kwargs):
    probe = _FirstLock()
    start = time.perf_counter()
    with connection.execute_wrapper(probe):
        result = fn(**kwargs)
    end = time.perf_counter()
    return result, (end - (probe.at or start)) * 1000, (end - start) * 1000


def _summary(name, values):
    values = sorted(values)
    p = lambda q: values[min(len(values) - 1, int(q * len(values)))]  # noqa: E731
    print(
        f"{name:28s} median {statistics.median(values):6.2f} ms  p90 {p(0.9):6.2f}  p99 {p(0.99):6.2f}  n={len(values)}"
    )


@pytest.mark.django_db(transaction=True)
def test_lock_hold_times():
    assert connection.vendor == "mysql", "measure on MariaDB/MySQL: SQLite has no row locks"
    show = ShowFactory(screen__layout=LAYOUT)
    users = UserFactory.create_batch(USERS)
    hold_lock, hold_call, book_lock, book_call = [], [], [], []
    for user in users:
        hold, locked, total = _timed(services.seats_hold_best, user=user, show=show, quantity=2)
        hold_lock.append(locked)
        hold_call.append(total)
        _, locked, total = _timed(
            services.booking_confirm,
            user=user,
            show=show,
            seat_ids=[s.pk for s in hold.seats],
            idempotency_key=f"k-{user.pk}",
            fingerprint="f",
        )
        book_lock.append(locked)
        book_call.append(total)
    print()
    _summary("hold best 2: locks held", hold_lock)
    _summary("hold best 2: whole call", hold_call)
    _summary("booking: locks held", book_lock)
    _summary("booking: whole call", book_call)
