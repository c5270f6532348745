"""The queries of the ticket rush's three requests, pinned: the best two
seats held, ordered with an Idempotency-Key, paid with the test card. On
MariaDB the leading reads of each transaction go in one round trip
(cinema.prepared.statements_run); SQLite runs them one by one. BEGIN and
COMMIT are counted as Django logs them."""

import uuid

import pytest
from django.db import connection

from booking.tests.helpers import make_show
from tests.api import client_for
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("payments_on")]

# hold, order, pay: round trips on MariaDB / statements on SQLite.
EXPECTED = {"mysql": (7, 10, 9), "sqlite": (10, 14, 18)}


def test_the_rush_requests_make_these_queries(django_assert_num_queries, settings):
    settings.EMAIL_SEND_AFTER_COMMIT = False  # as under a rush: the request only queues the email
    show = make_show("SSSSSS\nSSSSSS")
    client = client_for(UserFactory())
    hold, order, pay = EXPECTED[connection.vendor]
    with django_assert_num_queries(hold):
        r = client.post(f"/api/v1/shows/{show.pk}/holds", {"quantity": 2}, format="json")
    assert r.status_code == 201, r.content
    with django_assert_num_queries(order):
        r = client.post(
            "/api/v1/bookings",
            {"show_id": show.pk, "seat_ids": [s["id"] for s in r.json()["seats"]]},
            format="json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )
    assert r.status_code == 201, r.content
    with django_assert_num_queries(pay):
        r = client.post(
            f"/api/v1/orders/{r.json()['id']}/confirm-payment", {"card_number": "4242 4242 4242 4242"}, format="json"
        )
    assert r.status_code == 200 and r.json()["status"] == "CONFIRMED", r.content


# PATCH /seats/{id}/lock (the peer comparison's hold): round trips on MariaDB / statements on SQLite.
SEAT_LOCK_EXPECTED = {"mysql": 6, "sqlite": 10}


def test_holding_one_seat_by_its_id_makes_these_queries(django_assert_num_queries):
    show = make_show("SSSSSS")
    seat = show.show_seats.order_by("pk").first()
    client = client_for(UserFactory())
    with django_assert_num_queries(SEAT_LOCK_EXPECTED[connection.vendor]):
        r = client.patch(f"/api/v1/seats/{seat.pk}/lock", {"status": "LOCKED"}, format="json")
    assert r.status_code == 200, r.content


def test_a_seat_someone_else_holds_is_refused_in_two_queries(django_assert_num_queries):
    """The user and the seat (with its show and movie) are read; the taken
    seat is refused from that reading: no transaction, no lock."""
    show = make_show("SSSSSS")
    seat = show.show_seats.order_by("pk").first()
    assert (
        client_for(UserFactory())
        .patch(f"/api/v1/seats/{seat.pk}/lock", {"status": "LOCKED"}, format="json")
        .status_code
        == 200
    )
    client = client_for(UserFactory())
    with django_assert_num_queries(2):
        r = client.patch(f"/api/v1/seats/{seat.pk}/lock", {"status": "LOCKED"}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "SEAT_UNAVAILABLE", r.content
