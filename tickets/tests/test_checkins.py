"""Check-in: the service's every answer, the API's envelope, the page, the QR."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from booking.models import BookingStatus
from booking.services import booking_cancel
from events.models import OutboxEvent
from tests.api import client_for
from tests.factories import ShowFactory, StaffFactory, UserFactory
from tickets.exceptions import AlreadyCheckedIn, NotAdmissible, TicketNotFound
from tickets.models import CheckIn
from tickets.services import checkin_record, code_clean


@pytest.mark.django_db
class TestService:
    def test_admits_once_and_emits_the_event(self, user, staff, tonight, order_for):
        order = order_for(user, tonight)
        admission = checkin_record(code=order.code.lower(), staff=staff)
        assert admission.first and admission.booking == order
        assert len(admission.seats) == 2
        event = OutboxEvent.objects.get(type="checkin.recorded")
        assert event.aggregate_id == str(order.pk)
        assert event.data["order_code"] == order.code and event.data["staff_id"] == staff.pk
        assert len(event.data["seat_ids"]) == 2
        with pytest.raises(AlreadyCheckedIn) as again:
            checkin_record(code=order.code, staff=staff)
        assert again.value.details["admitted_at"] == admission.admitted_at
        assert CheckIn.objects.count() == 1
        assert OutboxEvent.objects.filter(type="checkin.recorded").count() == 1

    def test_unknown_code(self, staff):
        with pytest.raises(TicketNotFound):
            checkin_record(code="NOPE1234", staff=staff)

    def test_cancelled_order_is_not_admissible(self, user, staff, tonight, order_for):
        order = order_for(user, tonight)
        booking_cancel(booking=order, by=user)
        with pytest.raises(NotAdmissible, match="cancelled"):
            checkin_record(code=order.code, staff=staff)
        assert not CheckIn.objects.exists()

    def test_other_days_show_is_not_admissible(self, user, staff, order_for):
        # 20:00 local time, two days ahead: the door opens on the show's own day
        # whatever time the suite runs (at 00:10 local a show 48 h ahead, let in
        # 20 min before it starts, would be the day before).
        evening = timezone.localtime().replace(hour=20, minute=0, second=0, microsecond=0) + timedelta(days=2)
        order = order_for(user, ShowFactory(start_time=evening))
        with pytest.raises(NotAdmissible, match="not today"):
            checkin_record(code=order.code, staff=staff)
        # ...and on the day it is fine.
        admission = checkin_record(code=order.code, staff=staff, now=order.show.start_time - timedelta(minutes=20))
        assert admission.first

    def test_unpaid_status_is_not_admissible(self, user, staff, tonight, order_for):
        order = order_for(user, tonight)
        type(order).objects.filter(pk=order.pk).update(status="EXPIRED")
        with pytest.raises(NotAdmissible):
            checkin_record(code=order.code, staff=staff)

    def test_code_clean(self):
        assert code_clean(" ab-cd 23\n") == "ABCD23"


@pytest.mark.django_db
class TestApi:
    url = "/api/v1/checkins"

    def test_answers(self, user, staff, tonight, order_for):
        order = order_for(user, tonight)
        api = client_for(staff)
        first = api.post(self.url, {"code": order.code}, format="json")
        assert first.status_code == 200, first.content
        body = first.json()
        assert body["first"] is True and body["order"]["code"] == order.code
        assert sorted(body["seats"]) == sorted(line.seat_name for line in order.lines.all())
        assert body["admitted_at"].endswith("Z")
        again = api.post(self.url, {"code": order.code}, format="json")
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "ALREADY_CHECKED_IN"
        assert again.json()["error"]["admitted_at"]
        unknown = api.post(self.url, {"code": "ZZZZ9999"}, format="json")
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "NOT_FOUND"
        bad = api.post(self.url, {}, format="json")
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "INVALID"

    def test_not_admissible(self, user, staff, tonight, order_for):
        order = order_for(user, tonight)
        booking_cancel(booking=order, by=staff)
        r = client_for(staff).post(self.url, {"code": order.code}, format="json")
        assert r.status_code == 409 and r.json()["error"]["code"] == "NOT_ADMISSIBLE"

    def test_customers_and_staff_without_permission_are_refused(self, user, tonight, order_for):
        order = order_for(user, tonight)
        assert client_for(user).post(self.url, {"code": order.code}, format="json").status_code == 403
        clerk = StaffFactory(permissions=["catalog.view_show"])
        assert client_for(clerk).post(self.url, {"code": order.code}, format="json").status_code == 403
        assert not CheckIn.objects.exists()

    def test_box_office_group_may_check_in(self, user, tonight, order_for, box_office):
        clerk = StaffFactory(permissions=[])
        clerk.groups.add(box_office)
        order = order_for(user, tonight)
        assert client_for(clerk).post(self.url, {"code": order.code}, format="json").status_code == 200


@pytest.mark.django_db
class TestPage:
    def test_typed_code_without_javascript(self, client, user, staff, tonight, order_for):
        order = order_for(user, tonight)
        client.force_login(staff)
        page = client.get(reverse("tickets:checkin"))
        assert page.status_code == 200 and "Today's shows" in page.content.decode()
        assert b"0 / 1" in page.content  # admitted / sold
        r = client.post(reverse("tickets:checkin"), {"code": order.code})
        assert r.status_code == 200 and "Admitted" in r.content.decode()
        assert b"1 / 1" in r.content
        r = client.post(reverse("tickets:checkin"), {"code": order.code})
        assert r.status_code == 409 and "Already admitted" in r.content.decode()
        r = client.post(reverse("tickets:checkin"), {"code": "nope"})
        assert r.status_code == 404 and "Unknown code" in r.content.decode()

    def test_only_staff_with_permission(self, client, user):
        r = client.get(reverse("tickets:checkin"))
        assert r.status_code == 302
        client.force_login(user)
        assert client.get(reverse("tickets:checkin")).status_code == 403


@pytest.mark.django_db
class TestQr:
    def test_owner_and_staff_see_it_others_do_not(self, client, user, other, staff, order_for, show):
        import segno.helpers  # noqa: F401  (segno is installed)

        order = order_for(user, show)
        url = reverse("tickets:ticket_qr", args=[order.code])
        client.force_login(user)
        r = client.get(url)
        assert r.status_code == 200 and r["Content-Type"] == "image/svg+xml"
        assert r.content.startswith(b"<svg") and order.code.encode() in r.content  # the title names it
        client.force_login(other)
        assert client.get(url).status_code == 404
        client.force_login(staff)
        assert client.get(url).status_code == 200

    def test_confirmation_page_shows_it(self, client, user, order_for, show):
        order = order_for(user, show)
        client.force_login(user)
        r = client.get(order.get_absolute_url())
        assert reverse("tickets:ticket_qr", args=[order.code]).encode() in r.content


@pytest.mark.mysql_only
@pytest.mark.django_db(transaction=True)
def test_two_scanners_one_admission(tonight, order_for):
    """Two doors scan one code at the same moment: exactly one admits."""
    order = order_for(UserFactory(), tonight)
    staff = [StaffFactory(), StaffFactory()]
    barrier = threading.Barrier(2)
    outcomes = []

    def scan(who):
        try:
            barrier.wait()
            checkin_record(code=order.code, staff=who)
            outcomes.append("admitted")
        except AlreadyCheckedIn:
            outcomes.append("already")
        finally:
            connection.close()

    threads = [threading.Thread(target=scan, args=(s,)) for s in staff]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["admitted", "already"]
    assert CheckIn.objects.filter(booking=order).count() == 1
    assert OutboxEvent.objects.filter(type="checkin.recorded").count() == 1
    assert order.status == BookingStatus.CONFIRMED
