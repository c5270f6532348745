"""The rush's two requests, kept lean: what they answer equals what the
database holds, and they stay within a fixed number of queries
(docs/performance.md: each query is CPU on a saturated 2-core box)."""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework import serializers

from booking.api.serializers import (
    BookingOutputSerializer,
    CancelOutputSerializer,
    StaffBookingOutputSerializer,
    hold_body,
    hold_body_serialized,
)
from booking.models import Booking, IdempotencyRecord, SeatStatus, ShowSeat
from booking.services import booking_cancel, seats_hold, seats_hold_best
from booking.tests.helpers import make_show
from booking.tests.helpers import seat_ids as seats_named
from tests.api import client_for, seat_ids
from tests.factories import ShowFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_best_hold_answers_from_memory_what_the_database_says(user, show, django_assert_max_num_queries):
    client = client_for(user)
    # user, show, begin, user lock, on sale, map, holds and bought (one query), lock, update, seat.held event, commit
    with django_assert_max_num_queries(11):
        r = client.post(f"/api/v1/shows/{show.pk}/holds", {"quantity": 2}, format="json")
    assert r.status_code == 201
    body = r.json()
    seats = {s.pk: s for s in ShowSeat.objects.select_related("seat").filter(held_by=user)}
    assert sorted(seats) == [s["id"] for s in body["seats"]]
    for item in body["seats"]:
        seat = seats[item["id"]]
        assert seat.status == SeatStatus.LOCKED
        assert (item["name"], item["row"], item["number"], item["type"]) == (
            seat.seat.name,
            seat.seat.row_label,
            seat.seat.number,
            seat.seat.seat_type,
        )
        assert item["expires_at"] == seat.held_until.isoformat().replace("+00:00", "Z")
    assert body["expires_at"] == body["seats"][0]["expires_at"]
    # The same holds, read back by the list endpoint.
    assert client.get(f"/api/v1/shows/{show.pk}/holds").json() == body
    # The hand-built body is what the documented serializer gives.
    held = list(ShowSeat.objects.select_related("seat").filter(held_by=user).order_by("pk"))
    assert body.pop("id") == f"{show.pk}-{user.pk}"  # the hold's id (SPEC 7.4), added by the view
    assert hold_body(show=show, seats=held) == hold_body_serialized(show=show, seats=held) == body
    assert hold_body(show=show, seats=[]) == hold_body_serialized(show=show, seats=[])


def test_best_hold_counts_only_unexpired_own_holds_towards_the_limit(settings):
    settings.MAX_SEATS_PER_BOOKING = 3
    show = ShowFactory()
    user = UserFactory()
    now = timezone.now()
    seats_hold(user=user, show=show, seat_ids=seat_ids(show, 2), now=now - timedelta(hours=1))  # expired
    seats_hold(user=UserFactory(), show=show, seat_ids=seat_ids(show)[2:4], now=now)  # someone else's
    hold = seats_hold_best(user=user, show=show, quantity=3, now=now)
    assert len(hold.seats) == 3


def test_booking_with_a_key_stores_its_answer_in_the_same_transaction(
    user, show, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    ids = seat_ids(show, 2)
    seats_hold(user=user, show=show, seat_ids=ids)
    client = client_for(user)
    payload = {"show_id": show.pk, "seat_ids": ids}
    with (
        django_capture_on_commit_callbacks(execute=True),
        django_assert_max_num_queries(17),
    ):  # + cancelled-show check and two events
        r = client.post("/api/v1/bookings", payload, format="json", HTTP_IDEMPOTENCY_KEY="rush-1")
    assert r.status_code == 201
    record = IdempotencyRecord.objects.get()
    booking = Booking.objects.get()
    assert record.booking == booking and record.response_status == 201
    assert record.response_body == r.json()
    # The answer built from memory is the one a fresh read gives.
    assert client.get(f"/api/v1/bookings/{booking.pk}").json() == r.json()
    assert len(mail.outbox) == 1 and booking.code in mail.outbox[0].body
    again = client.post("/api/v1/bookings", payload, format="json", HTTP_IDEMPOTENCY_KEY="rush-1")
    assert again.json() == r.json() and again["Idempotent-Replayed"] == "true"


def test_booking_without_a_key_answers_without_reading_back(user, show, django_assert_max_num_queries):
    ids = seat_ids(show, 2)
    seats_hold(user=user, show=show, seat_ids=ids)
    client = client_for(user)
    with django_assert_max_num_queries(15):  # + cancelled-show check, order.created, booking.confirmed
        r = client.post("/api/v1/bookings", {"show_id": show.pk, "seat_ids": ids}, format="json")
    assert r.status_code == 201
    assert client.get(f"/api/v1/bookings/{r.json()['id']}").json() == r.json()
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.usefixtures("payments_on")
def test_paying_an_order_by_card_stays_within_its_queries(user, show, settings, django_assert_max_num_queries):
    """The rush's third request (the bench's order+pay variant), emails left
    to the relay as in production under a rush (EMAIL_SEND_AFTER_COMMIT off)."""
    settings.EMAIL_SEND_AFTER_COMMIT = False
    ids = seat_ids(show, 2)
    seats_hold(user=user, show=show, seat_ids=ids)
    client = client_for(user)
    # user, show; (begin), user lock, key, seat lock, cancelled-show check, seat names, order
    # (in a savepoint: a code collision retries), lines, seats claimed, payment with its
    # checkout URL (the test provider answers offline), order.created, key record, (commit):
    # one transaction
    with django_assert_max_num_queries(17):
        order = client.post(
            "/api/v1/bookings", {"show_id": show.pk, "seat_ids": ids}, format="json", HTTP_IDEMPOTENCY_KEY="pay-1"
        ).json()
    assert order["status"] == "PAYMENT_PENDING" and order["payment"]["checkout_url"]
    # user, the buyer's order (as the answer shows it) and its lines, its payment; (begin),
    # user lock, show (shared lock), order lock, payment lock and update, payment.succeeded,
    # the lines' seats locked, lines active (savepoint), seats SOLD, order CONFIRMED,
    # booking.confirmed, (commit); the email row
    with django_assert_max_num_queries(19):  # the answer from the rows read first and locked
        r = client.post(
            f"/api/v1/orders/{order['id']}/confirm-payment", {"card_number": "4242 4242 4242 4242"}, format="json"
        )
    assert r.status_code == 200 and r.json()["status"] == "CONFIRMED"
    assert client.get(f"/api/v1/bookings/{order['id']}").json() == r.json()


def _generic(serializer_class, booking, context):
    """What DRF's field walk gives for the serializer's declared fields: the
    reference the hand-built ``to_representation`` must equal."""
    return serializers.Serializer.to_representation(serializer_class(context=context), booking)


@pytest.mark.usefixtures("payments_on")
def test_the_hand_built_order_body_is_what_the_serializer_fields_give(user, settings):
    """BookingOutputSerializer and its two subclasses build their answer by
    hand; for an order in every state (with and without a payment, a failure
    message, a refund, a customer), both give the same JSON, key for key."""
    show = make_show("SSSSSS\nSSSSSS", starts_in=timedelta(days=3))
    client = client_for(user)
    orders = {}
    for name, seats in {"pending": ("A1",), "paid": ("A2", "A3"), "declined": ("A4",), "expired": ("A5",)}.items():
        ids = seats_named(show, *seats)
        seats_hold(user=user, show=show, seat_ids=ids)
        body = {"show_id": show.pk, "seat_ids": ids, "customer": {"name": "Asha Rao", "email": "asha@example.com"}}
        orders[name] = client.post("/api/v1/orders", body, format="json").json()["id"]
    pay = f"/api/v1/orders/{orders['paid']}/confirm-payment"
    assert client.post(pay, {"card_number": "4242 4242 4242 4242"}, format="json").status_code == 200
    declined = f"/api/v1/orders/{orders['declined']}/confirm-payment"
    assert client.post(declined, {"card_number": "4000 0000 0000 0002"}, format="json").status_code == 402
    Booking.objects.filter(pk=orders["expired"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    cancelled = booking_cancel(booking=Booking.objects.get(pk=orders["paid"]), by=user)
    settings.PAYMENT_PROVIDER = "none"
    ids = seats_named(show, "B1", "B2")
    seats_hold(user=user, show=show, seat_ids=ids)
    orders["unpaid provider"] = client.post("/api/v1/orders", {"show_id": show.pk, "seat_ids": ids}, format="json")
    orders["unpaid provider"] = orders["unpaid provider"].json()["id"]

    read = Booking.objects.select_related("show__movie", "show__screen__theatre", "user").prefetch_related("lines")
    seen = set()
    for pk in orders.values():
        booking = read.get(pk=pk)
        seen.add(booking.effective_status())
        for context in ({}, {"payments": {}}):
            for serializer_class in (BookingOutputSerializer, StaffBookingOutputSerializer, CancelOutputSerializer):
                built = serializer_class(booking, context=context).data
                assert json.dumps(built) == json.dumps(_generic(serializer_class, booking, context)), (
                    serializer_class,
                    booking.effective_status(),
                )
    assert seen == {"PAYMENT_PENDING", "CANCELLED", "EXPIRED", "CONFIRMED"}
    # The cancel answer with its refund, as the service hands it over.
    assert cancelled.__dict__.get("refund") is not None
    built = CancelOutputSerializer(cancelled).data
    assert json.dumps(built) == json.dumps(_generic(CancelOutputSerializer, cancelled, {}))
    assert built["refund"]["amount"] == "400.00"
