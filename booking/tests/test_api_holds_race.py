"""The hold lifecycle under concurrent PATCHes from one user (real threads on
MariaDB): every PATCH is all or nothing, so the hold ends as exactly one of
the seat sets asked for, and no seat is left held outside it."""

import threading

import pytest
from django.db import connection

from booking.models import SeatStatus, ShowSeat
from booking.tests.helpers import make_show, seat_ids
from tests.api import client_for
from tests.factories import UserFactory

THREADS = 8


@pytest.mark.mysql_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_patches_from_one_user_leave_one_whole_seat_set(settings):
    settings.HOLD_RATE = ""
    show = make_show("\n".join(["SSSSSSSS"] * 4))
    user = UserFactory()
    client = client_for(user)
    ids = seat_ids(show, *[f"{row}{n}" for row in "ABCD" for n in range(1, 9)])
    hold_id = client.post("/api/v1/holds", {"show_id": show.pk, "seat_ids": ids[:2]}, format="json").json()["id"]
    # Overlapping wishes: thread i wants seats 3i .. 3i+3 (shares one with its neighbours).
    wishes = [ids[3 * i : 3 * i + 4] for i in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    results = []

    def attempt(wish):
        try:
            barrier.wait()
            r = client_for(user).patch(f"/api/v1/holds/{hold_id}", {"seat_ids": wish}, format="json")
            results.append((r.status_code, wish, r.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(w,)) for w in wishes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert {status for status, _, _ in results} <= {200, 503}, results
    assert any(status == 200 for status, _, _ in results)
    held = sorted(
        ShowSeat.objects.filter(show=show, held_by=user, status=SeatStatus.LOCKED).values_list("pk", flat=True)
    )
    # The user row lock orders the PATCHes: the last to commit wins whole.
    assert held in [sorted(w) for status, w, _ in results if status == 200]
    assert client.get(f"/api/v1/holds/{hold_id}").json()["status"] == "HELD"
    assert ShowSeat.objects.filter(show=show, status=SeatStatus.LOCKED).count() == 4


@pytest.mark.mysql_only
@pytest.mark.django_db(transaction=True)
def test_one_account_racing_across_shows_stays_within_the_overall_limit(settings):
    """Issue 18's first attack, in parallel: the user row lock orders the holds,
    so the across-shows limit holds however many arrive at once."""
    settings.HOLD_RATE = ""
    settings.MAX_HELD_SEATS_PER_USER = 20
    shows = [make_show("SSSSSSSSSS") for _ in range(THREADS)]
    user = UserFactory()
    barrier = threading.Barrier(THREADS)
    codes = []

    def attempt(show):
        try:
            barrier.wait()
            r = client_for(user).post("/api/v1/holds", {"show_id": show.pk, "quantity": 10}, format="json")
            codes.append((r.status_code, r.json().get("error", {}).get("code")))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(s,)) for s in shows]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(c for c, _ in codes) == [201, 201] + [409] * (THREADS - 2), codes
    assert ShowSeat.objects.filter(held_by=user, status=SeatStatus.LOCKED).count() == 20
