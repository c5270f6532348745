"""Holds, the seed-compatible seat lock, bookings, idempotency and cancel over HTTP."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from booking.exceptions import LockTimeout
from booking.models import Booking, IdempotencyRecord, SeatStatus, ShowSeat
from booking.services import booking_confirm, request_fingerprint, seats_hold
from tests.api import client_for, seat_ids
from tests.factories import ShowFactory

pytestmark = pytest.mark.django_db


def _hold(user, show, ids):
    return seats_hold(user=user, show=show, seat_ids=ids)


def _book(user, show, ids):
    _hold(user, show, ids)
    return booking_confirm(user=user, show=show, seat_ids=ids).booking


# -- PATCH /seats/{id}/lock ---------------------------------------------------
def test_lock_and_release_one_seat(user, show):
    client, seat = client_for(user), seat_ids(show, 1)[0]
    r = client.patch(f"/api/v1/seats/{seat}/lock", {"status": "LOCKED"}, format="json")
    assert r.status_code == 200
    assert r.json()["message"] == "Locked" and r.json()["expires_at"].endswith("Z")
    assert ShowSeat.objects.get(pk=seat).held_by == user

    r = client.patch(f"/api/v1/seats/{seat}/lock", {"status": "AVAILABLE"}, format="json")
    assert r.status_code == 200 and r.json()["message"] == "Released"
    assert ShowSeat.objects.get(pk=seat).status == SeatStatus.AVAILABLE


def test_lock_taken_seat_is_409(user, other, show):
    seat = seat_ids(show, 1)[0]
    _hold(other, show, [seat])
    r = client_for(user).patch(f"/api/v1/seats/{seat}/lock", {"status": "LOCKED"}, format="json")
    assert r.status_code == 409
    assert r.json()["error"] == {"code": "SEAT_UNAVAILABLE", "message": mock.ANY, "seats": [seat]}
    r = client_for(user).patch(f"/api/v1/seats/{seat}/lock", {"status": "AVAILABLE"}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "SEAT_NOT_HELD"


def test_lock_errors(user, show):
    client = client_for(user)
    seat = seat_ids(show, 1)[0]
    assert client.patch("/api/v1/seats/999999/lock", {"status": "LOCKED"}, format="json").status_code == 404
    r = client.patch(f"/api/v1/seats/{seat}/lock", {"status": "SOLD"}, format="json")
    assert r.status_code == 400 and "status" in r.json()["error"]["fields"]
    r = client_for().patch(f"/api/v1/seats/{seat}/lock", {"status": "LOCKED"}, format="json")
    assert r.status_code == 401 and r.json()["error"]["code"] == "NOT_AUTHENTICATED"
    assert client.get(f"/api/v1/seats/{seat}/lock").json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_lock_on_started_show_is_409(user):
    show = ShowFactory(start_time=timezone.now() - timedelta(minutes=5))
    r = client_for(user).patch(f"/api/v1/seats/{seat_ids(show, 1)[0]}/lock", {"status": "LOCKED"}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "SHOW_STARTED"


def test_lock_timeout_is_503_with_retry_after(user, show):
    with mock.patch("booking.services.seats_hold", side_effect=LockTimeout("busy")):
        r = client_for(user).patch(f"/api/v1/seats/{seat_ids(show, 1)[0]}/lock", {"status": "LOCKED"}, format="json")
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "LOCK_TIMEOUT" and r["Retry-After"] == "2"


# -- /shows/{id}/holds -------------------------------------------------------------
def test_hold_seats_then_list_and_release_all(user, show):
    client, ids = client_for(user), seat_ids(show, 2)
    r = client.post(f"/api/v1/shows/{show.pk}/holds", {"seat_ids": ids}, format="json")
    assert r.status_code == 201
    body = r.json()
    assert [s["id"] for s in body["seats"]] == ids and body["seats"][0]["name"] == "A1"
    assert body["total"] == "400.00" and body["currency"] == "INR" and body["expires_at"]

    assert [s["id"] for s in client.get(f"/api/v1/shows/{show.pk}/holds").json()["seats"]] == ids
    r = client.delete(f"/api/v1/shows/{show.pk}/holds")
    assert r.status_code == 200 and r.json()["released"] == ids
    assert not ShowSeat.objects.filter(held_by=user).exists()


def test_hold_best_available(user, show):
    r = client_for(user).post(f"/api/v1/shows/{show.pk}/holds", {"quantity": 3}, format="json")
    assert r.status_code == 201
    assert len(r.json()["seats"]) == 3
    r = client_for(user).post(f"/api/v1/shows/{show.pk}/holds", {"quantity": 2, "seat_type": "RECLINER"}, format="json")
    assert r.status_code == 201 and {s["type"] for s in r.json()["seats"]} == {"RECLINER"}


def test_hold_conflict_lists_taken_seats(user, other, show):
    ids = seat_ids(show, 3)
    _hold(other, show, ids[1:2])
    r = client_for(user).post(f"/api/v1/shows/{show.pk}/holds", {"seat_ids": ids}, format="json")
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "SEAT_UNAVAILABLE" and r.json()["error"]["seats"] == [ids[1]]
    assert not ShowSeat.objects.filter(held_by=user).exists()  # all or nothing


def test_hold_limit(user, show, settings):
    settings.MAX_SEATS_PER_BOOKING = 2
    r = client_for(user).post(f"/api/v1/shows/{show.pk}/holds", {"seat_ids": seat_ids(show, 3)}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "HOLD_LIMIT"


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"seat_ids": [], "quantity": 1},
        {"seat_ids": "1,2"},
        {"seat_ids": [None]},
        {"seat_ids": [-1]},
        {"seat_ids": [2**80]},
        {"quantity": -1},
        {"quantity": "many"},
        {"quantity": 2, "seat_type": "SOFA"},
        [1, 2],
        None,
    ],
)
def test_hold_bad_input_is_400(user, show, payload):
    r = client_for(user).post(f"/api/v1/shows/{show.pk}/holds", payload, format="json")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "INVALID"


def test_hold_seat_of_another_show_is_400(user, show):
    foreign = seat_ids(ShowFactory(), 1)
    r = client_for(user).post(f"/api/v1/shows/{show.pk}/holds", {"seat_ids": foreign}, format="json")
    assert r.status_code == 400 and r.json()["error"]["seats"] == foreign


def test_holds_need_login_and_a_show(user):
    assert client_for().post("/api/v1/shows/1/holds", {"quantity": 1}, format="json").status_code == 401
    assert client_for(user).post("/api/v1/shows/999999/holds", {"quantity": 1}, format="json").status_code == 404
    assert client_for(user).delete("/api/v1/shows/999999/holds").status_code == 404


# -- POST /bookings -------------------------------------------------------------------
def test_book_held_seat_seed_shape(user, show, django_capture_on_commit_callbacks):
    seat = seat_ids(show, 1)[0]
    _hold(user, show, [seat])
    with django_capture_on_commit_callbacks(execute=True):
        r = client_for(user).post("/api/v1/bookings", {"show_id": show.pk, "seat_id": seat}, format="json")
    assert r.status_code == 201
    body = r.json()
    booking = Booking.objects.get()
    assert body["booking_id"] == booking.pk and body["status"] == "CONFIRMED" and body["message"]
    assert body["code"] == booking.code
    assert body["seats"] == [{"id": seat, "name": "A1", "type": "STANDARD", "price": "200.00"}]
    assert body["total"] == "200.00" and body["currency"] == "INR"
    assert body["show"]["movie"] == show.movie.title
    assert ShowSeat.objects.get(pk=seat).status == SeatStatus.SOLD

    assert len(mail.outbox) == 1
    text = mail.outbox[0].subject + mail.outbox[0].body
    local = timezone.localtime(show.start_time)
    for expected in (booking.code, show.movie.title, show.screen.theatre.name, "A1", f"{local:%H:%M}"):
        assert expected in text, expected


def test_book_without_hold_or_expired_hold(user, show):
    ids = seat_ids(show, 2)
    client = client_for(user)
    r = client.post("/api/v1/bookings", {"show_id": show.pk, "seat_ids": ids}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "SEAT_NOT_HELD"
    seats_hold(user=user, show=show, seat_ids=ids, now=timezone.now() - timedelta(hours=1))
    r = client.post("/api/v1/bookings", {"show_id": show.pk, "seat_ids": ids}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "HOLD_EXPIRED"


@pytest.mark.parametrize(
    "payload",
    [{"show_id": 1}, {"show_id": 1, "seat_id": 1, "seat_ids": [1]}, {"show_id": "x", "seat_id": 1}, {"seat_id": 1}],
)
def test_book_bad_input(user, payload):
    r = client_for(user).post("/api/v1/bookings", payload, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID"


def test_book_unknown_show_is_404_and_anonymous_401(user):
    assert client_for(user).post("/api/v1/bookings", {"show_id": 99999, "seat_id": 1}, format="json").status_code == 404
    assert client_for().post("/api/v1/bookings", {"show_id": 1, "seat_id": 1}, format="json").status_code == 401


def test_idempotency_replay_reuse_and_bad_key(user, show):
    ids = seat_ids(show, 2)
    _hold(user, show, ids)
    client = client_for(user)
    body = {"show_id": show.pk, "seat_ids": ids}
    first = client.post("/api/v1/bookings", body, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert first.status_code == 201
    again = client.post(
        "/api/v1/bookings", {"show_id": show.pk, "seat_ids": ids[::-1]}, format="json", HTTP_IDEMPOTENCY_KEY="abc"
    )
    assert again.status_code == 201 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Booking.objects.count() == 1
    assert IdempotencyRecord.objects.get().response_status == 201

    other_body = {"show_id": show.pk, "seat_ids": ids[:1]}
    r = client.post("/api/v1/bookings", other_body, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert r.status_code == 422 and r.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    r = client.post("/api/v1/bookings", body, format="json", HTTP_IDEMPOTENCY_KEY="k" * 256)
    assert r.status_code == 400 and "Idempotency-Key" in r.json()["error"]["fields"]


def test_idempotency_failures_are_not_stored(user, show):
    ids = seat_ids(show, 1)
    client = client_for(user)
    body = {"show_id": show.pk, "seat_ids": ids}
    r = client.post("/api/v1/bookings", body, format="json", HTTP_IDEMPOTENCY_KEY="retry-me")
    assert r.status_code == 409
    assert not IdempotencyRecord.objects.exists()
    _hold(user, show, ids)
    assert client.post("/api/v1/bookings", body, format="json", HTTP_IDEMPOTENCY_KEY="retry-me").status_code == 201


def test_idempotency_replay_renders_when_no_body_was_stored(user, show):
    # A key used by a caller that stores no response (e.g. the checkout page):
    # an API retry with the same key and body still answers with the booking.
    ids = seat_ids(show, 1)
    _hold(user, show, ids)
    body = {"show_id": show.pk, "seat_ids": ids}
    first = booking_confirm(
        user=user, show=show, seat_ids=ids, idempotency_key="x", fingerprint=request_fingerprint(body)
    ).booking
    assert IdempotencyRecord.objects.get(key="x").response_body is None
    again = client_for(user).post("/api/v1/bookings", body, format="json", HTTP_IDEMPOTENCY_KEY="x")
    assert again.status_code == 201 and again.json()["booking_id"] == first.pk
    assert again["Idempotent-Replayed"] == "true"


# -- GET /bookings, /bookings/{id}, cancel --------------------------------------------
def test_list_and_detail_own_bookings_only(user, other, show, django_assert_max_num_queries):
    ids = seat_ids(show, 4)
    older = _book(user, show, ids[:1])
    newer = _book(user, show, ids[1:2])
    theirs = _book(other, show, ids[2:3])
    client = client_for(user)
    with django_assert_max_num_queries(4):
        r = client.get("/api/v1/bookings")
    assert [b["booking_id"] for b in r.json()] == [newer.pk, older.pk]
    assert client.get(f"/api/v1/bookings/{older.pk}").json()["code"] == older.code
    r = client.get(f"/api/v1/bookings/{theirs.pk}")
    assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND"
    assert client_for().get("/api/v1/bookings").status_code == 401


def test_bookings_list_query_count_is_constant(user, django_assert_max_num_queries):
    for _ in range(3):
        show = ShowFactory()
        _book(user, show, seat_ids(show, 2))
    with django_assert_max_num_queries(4):
        assert len(client_for(user).get("/api/v1/bookings").json()) == 3


def test_cancel_twice_and_by_others(user, other, staff, show):
    ids = seat_ids(show, 1)
    booking = _book(user, show, ids)
    assert client_for(other).post(f"/api/v1/bookings/{booking.pk}/cancel").status_code == 404
    r = client_for(user).post(f"/api/v1/bookings/{booking.pk}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "CANCELLED"
    assert ShowSeat.objects.get(pk=ids[0]).status == SeatStatus.AVAILABLE
    again = client_for(user).post(f"/api/v1/bookings/{booking.pk}/cancel")
    assert again.status_code == 200 and again.json()["cancelled_at"] == r.json()["cancelled_at"]

    second = _book(user, show, ids)
    assert client_for(staff).post(f"/api/v1/bookings/{second.pk}/cancel").json()["status"] == "CANCELLED"


def test_cancel_after_start_is_409(user, show):
    booking = _book(user, show, seat_ids(show, 1))
    from catalog.models import Show

    Show.objects.filter(pk=show.pk).update(start_time=timezone.now() - timedelta(minutes=1))
    r = client_for(user).post(f"/api/v1/bookings/{booking.pk}/cancel")
    assert r.status_code == 409 and r.json()["error"]["code"] == "CANCELLATION_CLOSED"


def test_show_bookings_is_staff_only(user, staff, show):
    booking = _book(user, show, seat_ids(show, 1))
    assert client_for(user).get(f"/api/v1/shows/{show.pk}/bookings").status_code == 403
    r = client_for(staff).get(f"/api/v1/shows/{show.pk}/bookings")
    assert r.status_code == 200 and r.json()[0]["code"] == booking.code and r.json()[0]["user_email"] == user.email
