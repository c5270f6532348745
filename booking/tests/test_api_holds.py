"""Holds as objects (SPEC 7.4) and the inventory limits of issue 18."""

import pytest

from booking.models import SeatStatus, ShowSeat
from booking.tests.helpers import make_show, seat_ids
from events.models import OutboxEvent
from tests.api import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_hold_lifecycle_create_read_change_release(user):
    show = make_show("SSSS\nSSSS")
    client = client_for(user)
    a1, a2, b1 = seat_ids(show, "A1", "A2", "B1")
    r = client.post("/api/v1/holds", {"show_id": show.pk, "seat_ids": [a1, a2]}, format="json")
    assert r.status_code == 201, r.json()
    hold = r.json()
    assert hold["status"] == "HELD" and hold["show_id"] == show.pk
    assert [s["id"] for s in hold["seats"]] == [a1, a2] and hold["expires_at"]
    hold_id = hold["id"]

    # A second POST replaces the earlier seats, with the same id.
    r = client.post("/api/v1/holds", {"show_id": show.pk, "seat_ids": [b1]}, format="json")
    assert r.status_code == 201 and r.json()["id"] == hold_id
    assert set(ShowSeat.objects.filter(held_by=user).values_list("pk", flat=True)) == {b1}

    # The per-seat endpoint changes the same hold.
    assert client.patch(f"/api/v1/seats/{a1}/lock", {"status": "LOCKED"}, format="json").status_code == 200
    body = client.get(f"/api/v1/holds/{hold_id}").json()
    assert sorted(s["id"] for s in body["seats"]) == sorted([a1, b1])
    assert client.get(f"/api/v1/shows/{show.pk}/holds").json()["id"] == hold_id

    r = client.patch(f"/api/v1/holds/{hold_id}", {"seat_ids": [a2]}, format="json")
    assert r.status_code == 200 and [s["id"] for s in r.json()["seats"]] == [a2]

    r = client.post(f"/api/v1/holds/{hold_id}/release")
    assert r.status_code == 200 and r.json()["status"] == "RELEASED" and r.json()["seats"] == []
    assert client.get(f"/api/v1/holds/{hold_id}").json()["status"] == "RELEASED"
    assert not ShowSeat.objects.filter(held_by=user).exists()
    types = list(OutboxEvent.objects.order_by("pk").values_list("type", flat=True))
    assert types.count("seat.held") == 4 and "seat.released" in types


def test_patch_is_all_or_nothing(user, other):
    show = make_show("SSSS")
    a1, a2, a3 = seat_ids(show, "A1", "A2", "A3")
    client_for(other).post("/api/v1/holds", {"show_id": show.pk, "seat_ids": [a3]}, format="json")
    hold_id = client_for(user).post("/api/v1/holds", {"show_id": show.pk, "seat_ids": [a1]}, format="json").json()["id"]
    r = client_for(user).patch(f"/api/v1/holds/{hold_id}", {"seat_ids": [a2, a3]}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "SEAT_UNAVAILABLE"
    assert list(ShowSeat.objects.filter(held_by=user).values_list("pk", flat=True)) == [a1]


def test_quantity_replaces_and_another_users_hold_is_404(user, other):
    show = make_show("SSSSSS\nSSSSSS")
    client = client_for(user)
    first = client.post("/api/v1/holds", {"show_id": show.pk, "quantity": 2}, format="json").json()
    second = client.post("/api/v1/holds", {"show_id": show.pk, "quantity": 3}, format="json")
    assert second.status_code == 201 and second.json()["id"] == first["id"]
    assert ShowSeat.objects.filter(held_by=user, status=SeatStatus.LOCKED).count() == 3
    for path in (f"/api/v1/holds/{first['id']}", "/api/v1/holds/nonsense", "/api/v1/holds/1-999999"):
        assert client_for(other).get(path).status_code == 404
    assert client_for(other).post(f"/api/v1/holds/{first['id']}/release").status_code == 404


def test_unknown_seat_type_for_the_screen_says_so(user):
    show = make_show("SSSS")
    r = client_for(user).post(
        "/api/v1/holds", {"show_id": show.pk, "quantity": 2, "seat_type": "RECLINER"}, format="json"
    )
    assert r.status_code == 400 and "no recliner seats" in r.json()["error"]["message"]


def test_unverified_users_may_not_hold(settings):
    settings.REQUIRE_EMAIL_VERIFICATION = True
    show = make_show("SSSS")
    r = client_for(UserFactory(email_verified=False)).post(
        "/api/v1/holds", {"show_id": show.pk, "quantity": 1}, format="json"
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "EMAIL_NOT_VERIFIED"


def test_a_deactivated_movies_show_is_not_on_sale(user):
    show = make_show("SSSS")
    show.movie.is_active = False
    show.movie.save()
    client = client_for(user)
    r = client.post("/api/v1/holds", {"show_id": show.pk, "quantity": 1}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "SHOW_NOT_ON_SALE"
    assert client.get(f"/api/v1/shows/{show.pk}").status_code == 404
    assert client.get(f"/api/v1/shows/{show.pk}/seats").status_code == 404
    assert not ShowSeat.objects.filter(held_by=user).exists()


def test_one_account_cannot_hold_seats_across_many_shows(settings):
    """Issue 18: one account held 1,130 seats in 113 shows."""
    settings.MAX_HELD_SEATS_PER_USER = 20
    settings.HOLD_RATE = ""
    attacker = client_for(UserFactory())
    shows = [make_show("SSSSSSSSSS") for _ in range(4)]
    codes = [
        attacker.post("/api/v1/holds", {"show_id": s.pk, "quantity": 10}, format="json").status_code for s in shows
    ]
    assert codes == [201, 201, 409, 409]
    r = attacker.post("/api/v1/holds", {"show_id": shows[2].pk, "quantity": 1}, format="json")
    assert r.json()["error"]["code"] == "HOLD_LIMIT" and "across all shows" in r.json()["error"]["message"]
    assert ShowSeat.objects.filter(status=SeatStatus.LOCKED).count() == 20
    buyer = client_for(UserFactory())
    assert buyer.post("/api/v1/holds", {"show_id": shows[3].pk, "quantity": 2}, format="json").status_code == 201


def test_held_and_bought_seats_of_one_show_are_limited(user, settings):
    settings.MAX_SEATS_PER_USER_PER_SHOW = 4
    show = make_show("SSSSSSSS")
    client = client_for(user)
    ids = seat_ids(show, "A1", "A2", "A3")
    client.post("/api/v1/holds", {"show_id": show.pk, "seat_ids": ids}, format="json")
    assert client.post("/api/v1/bookings", {"show_id": show.pk, "seat_ids": ids}, format="json").status_code == 201
    r = client.post("/api/v1/holds", {"show_id": show.pk, "quantity": 2}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "HOLD_LIMIT"
    assert r.json()["error"]["bought"] == 3
    assert client.post("/api/v1/holds", {"show_id": show.pk, "quantity": 1}, format="json").status_code == 201


def test_many_accounts_need_verified_addresses_to_empty_a_show(settings):
    """Issue 18: 24 throwaway accounts held all 220 seats of a show. Registration
    is limited per address; unverified accounts hold nothing."""
    settings.REQUIRE_EMAIL_VERIFICATION = True
    show = make_show("\n".join(["SSSSSSSSSS"] * 22))
    codes = {
        client_for(UserFactory(email_verified=False))
        .post("/api/v1/holds", {"show_id": show.pk, "quantity": 10}, format="json")
        .status_code
        for _ in range(24)
    }
    assert codes == {403}
    assert not ShowSeat.objects.filter(show=show, status=SeatStatus.LOCKED).exists()
    assert (
        client_for(UserFactory()).post("/api/v1/holds", {"show_id": show.pk, "quantity": 2}, format="json").status_code
        == 201
    )


def test_holding_too_fast_is_429_with_retry_after(user, settings):
    settings.HOLD_RATE = "1/min,3"
    show = make_show("SSSSSSSS")
    client = client_for(user)
    codes = [client.post("/api/v1/holds", {"show_id": show.pk, "quantity": 1}, format="json") for _ in range(4)]
    assert [r.status_code for r in codes] == [201, 201, 201, 429]
    assert codes[-1].json()["error"]["code"] == "THROTTLED" and int(codes[-1]["Retry-After"]) >= 1
    # Another user has a bucket of their own.
    assert (
        client_for(UserFactory()).post("/api/v1/holds", {"show_id": show.pk, "quantity": 1}, format="json").status_code
        == 201
    )


def test_a_deactivated_movies_seat_picker_is_404(client, user):
    show = make_show("SSSS")
    assert client.get(f"/shows/{show.pk}/").status_code == 200
    show.movie.is_active = False
    show.movie.save()
    assert client.get(f"/shows/{show.pk}/").status_code == 404
