"""Tickets meets orders: the emails orders sends are tickets' emails, the door
admits only paid orders, staff scoping covers the orders endpoints, and the
reports read the order's fees and payments.Refund."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.utils import timezone

from booking.models import Booking, BookingStatus
from booking.services import booking_cancel, seats_hold
from booking.tests.helpers import make_show, seat_ids
from booking.tests.test_orders import CARD_OK, _expire, _order, _webhook
from tests.api import client_for
from tests.factories import ScreenFactory, ShowFactory, StaffFactory, TheatreFactory
from tickets.exceptions import NotAdmissible
from tickets.models import StaffTheatre
from tickets.reports import report_rows
from tickets.services import checkin_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("payments_on")]


def _pay(user, body):
    r = client_for(user).post(f"/api/v1/orders/{body['id']}/confirm-payment", {"card_number": CARD_OK}, format="json")
    assert r.status_code == 200, r.content
    return Booking.objects.get(pk=body["id"])


def test_paying_sends_the_html_ticket_once(user, django_capture_on_commit_callbacks):
    body = _order(user, make_show())
    assert not mail.outbox
    with django_capture_on_commit_callbacks(execute=True):
        _pay(user, body)
    (message,) = mail.outbox
    assert body["code"] in message.subject and message.alternatives[0][1] == "text/html"
    assert any(a.get_content_type() == "image/png" for a in message.attachments if hasattr(a, "get_content_type"))


def test_cancelling_a_paid_order_emails_its_refund(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = _pay(user, _order(user, make_show(starts_in=timedelta(days=3))))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=order, by=user)
    (message,) = mail.outbox
    assert message.subject.startswith("Booking cancelled") and "Refund:       400.00 INR" in message.body
    assert "(succeeded)" in message.body  # read after the refund was paid back


def test_show_cancel_emails_each_buyer_the_show_cancelled_email(user, django_capture_on_commit_callbacks):
    show = make_show()
    with django_capture_on_commit_callbacks(execute=True):
        _pay(user, _order(user, show))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        r = client_for(StaffFactory(is_superuser=True)).post(f"/api/v1/shows/{show.pk}/cancel")
    assert r.status_code == 200
    (message,) = mail.outbox
    assert message.subject.startswith("Show cancelled") and "470.80 INR" in message.body


def test_late_money_refunded_is_emailed(client, user, other, django_capture_on_commit_callbacks):
    show = make_show()
    body = _order(user, show)
    _expire(body["id"])
    _order(other, show, names=("A2",))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert _webhook(client, body["payment"]["id"]).status_code == 200
    (message,) = mail.outbox
    assert message.to == [user.email] and message.subject.startswith("Paid too late, refunded")
    assert "470.80 INR" in message.body


def test_the_door_admits_only_confirmed_orders(user, tonight):
    staff = StaffFactory(is_superuser=True)
    pending = _order(user, tonight, names=("A1",))
    with pytest.raises(NotAdmissible):
        checkin_record(code=pending["code"], staff=staff)
    _expire(pending["id"])  # deadline passed, not yet swept: still PAYMENT_PENDING
    assert Booking.objects.get(pk=pending["id"]).status == BookingStatus.PAYMENT_PENDING
    with pytest.raises(NotAdmissible):
        checkin_record(code=pending["code"], staff=staff)


def test_scoped_staff_get_404_for_another_theatres_order_and_show_cancel(user):
    mine = make_show()
    theirs = ShowFactory(
        screen=ScreenFactory(layout="SSSS\nSSSS", theatre=TheatreFactory(name="Elsewhere")), start_time=mine.start_time
    )
    order = _order(user, theirs)
    manager = StaffFactory(is_superuser=False)
    manager.user_permissions.add(
        *Permission.objects.filter(codename__in=["change_show", "view_show", "view_booking", "change_booking"])
    )
    StaffTheatre.objects.create(user=manager, theatre=mine.screen.theatre)
    api = client_for(manager)
    assert api.get(f"/api/v1/orders/{order['id']}").status_code == 404
    assert api.post(f"/api/v1/orders/{order['id']}/cancel").status_code == 404
    assert api.post(f"/api/v1/shows/{theirs.pk}/cancel").status_code == 404
    assert theirs.__class__.objects.get(pk=theirs.pk).cancelled_at is None
    assert Booking.objects.get(pk=order["id"]).status == BookingStatus.PAYMENT_PENDING


def test_reports_use_fees_and_refunds_and_skip_unpaid_orders(user, other):
    show = make_show("SSSS\nSSSS", starts_in=timedelta(days=3))
    paid = _pay(user, _order(user, show))  # 2 seats: 400 + 60 fees + 10.80 tax = 470.80
    unpaid = _order(other, show, names=("B1",))
    booking_cancel(booking=Booking.objects.get(pk=unpaid["id"]), by=other)  # never sold
    ids = seat_ids(show, "B2")
    seats_hold(user=other, show=show, seat_ids=ids)
    day = timezone.localdate(show.start_time)
    (row,) = report_rows(user=StaffFactory(is_superuser=True), date_from=day, date_to=day, group="day")
    assert row.gross == paid.total == D("470.80") and row.fees == paid.fees == D("60.00")
    assert row.refunds == D("0.00") and row.tickets_sold == 2
    booking_cancel(booking=paid, by=user)  # 3 days ahead: all but the fee back
    (row,) = report_rows(user=StaffFactory(is_superuser=True), date_from=day, date_to=day, group="day")
    assert row.gross == D("470.80") and row.refunds == D("400.00") and row.net == D("70.80")
