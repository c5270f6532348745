"""The rows only services write (seats, show seats, idempotency records) are
visible to staff in admin, but never editable there."""

import pytest

from booking.services import seats_hold
from tests.factories import IdempotencyRecordFactory, ShowFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory(is_superuser=True))
    return client


def test_show_seats_list_shows_holders_and_is_read_only(staff_client, django_assert_max_num_queries):
    show = ShowFactory()
    holder = UserFactory(email="holder@example.com")
    seat = show.show_seats.order_by("pk").first()
    seats_hold(user=holder, show=show, seat_ids=[seat.pk])
    with django_assert_max_num_queries(10):
        page = staff_client.get("/admin/booking/showseat/", {"q": "holder@example.com"})
    assert page.status_code == 200
    assert b"holder@example.com" in page.content and b"Held" in page.content
    assert staff_client.get("/admin/booking/showseat/add/").status_code == 403
    detail = staff_client.get(f"/admin/booking/showseat/{seat.pk}/change/")
    assert detail.status_code == 200 and b'name="status"' not in detail.content
    staff_client.post(f"/admin/booking/showseat/{seat.pk}/change/", {"status": "AVAILABLE"})
    seat.refresh_from_db()
    assert seat.status == "LOCKED"


def test_seats_and_idempotency_records_are_listed_read_only(staff_client):
    show = ShowFactory()
    record = IdempotencyRecordFactory(key="retry-me")
    assert b"retry-me" in staff_client.get("/admin/booking/idempotencyrecord/").content
    assert staff_client.get(f"/admin/booking/idempotencyrecord/{record.pk}/delete/").status_code == 403
    seats = staff_client.get("/admin/catalog/seat/", {"screen__id__exact": show.screen_id})
    assert seats.status_code == 200 and b"A1" in seats.content
    assert staff_client.get("/admin/catalog/seat/add/").status_code == 403
