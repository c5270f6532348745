"""One HTTP-level race: many clients PATCH the same seat at once; exactly one wins."""

import threading

import pytest
from django.db import connection

from booking.models import SeatStatus, ShowSeat
from tests.api import client_for, seat_ids
from tests.factories import ShowFactory, UserFactory

THREADS = 20


@pytest.mark.mysql_only
@pytest.mark.django_db(transaction=True)
def test_twenty_clients_lock_one_seat_one_wins():
    show = ShowFactory()
    seat = seat_ids(show, 1)[0]
    clients = [client_for(UserFactory()) for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    statuses = []

    def attempt(client):
        try:
            barrier.wait()
            r = client.patch(f"/api/v1/seats/{seat}/lock", {"status": "LOCKED"}, format="json")
            statuses.append((r.status_code, r.json().get("error", {}).get("code")))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(s for s, _ in statuses) == [200] + [409] * (THREADS - 1), statuses
    assert {code for s, code in statuses if s == 409} == {"SEAT_UNAVAILABLE"}
    assert ShowSeat.objects.get(pk=seat).status == SeatStatus.LOCKED
