"""Orders and payments (SPEC 7.1) through the API, the pages and the services,
with the product's payment settings (the `test` provider, 30.00 fee per seat,
18 % tax on the fee, policy 24h:100,2h:50)."""

import json
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from booking.models import Booking, BookingSeat, BookingStatus, SeatStatus, ShowSeat
from booking.services import booking_cancel, booking_confirm, orders_expire_overdue, seats_hold, show_cancel
from booking.tests.helpers import make_show, seat_ids
from events.models import OutboxEvent
from payments.models import Payment, PaymentStatus, Refund, RefundStatus
from payments.testing import sign, webhook_body
from tests.api import client_for
from tests.factories import StaffFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("payments_on")]

CARD_OK = "4242 4242 4242 4242"
CARD_DECLINED = "4000 0000 0000 0002"


def _order(user, show, names=("A1", "A2"), client=None, **extra):
    ids = seat_ids(show, *names)
    seats_hold(user=user, show=show, seat_ids=ids)
    client = client or client_for(user)
    r = client.post("/api/v1/orders", {"show_id": show.pk, "seat_ids": ids, **extra}, format="json")
    assert r.status_code == 201, r.content
    return r.json()


def _expire(order_id, *, ago=timedelta(seconds=1)):
    """Move an order's payment deadline into the past (its seats' claim with it)."""
    order = Booking.objects.get(pk=order_id)
    past = timezone.now() - ago
    ShowSeat.objects.filter(status=SeatStatus.SOLD, held_until=order.expires_at, held_by_id=order.user_id).update(
        held_until=past
    )
    Booking.objects.filter(pk=order_id).update(expires_at=past)


def _webhook(client, payment_id, *, type="payment.succeeded", amount="470.80", currency="INR", event="evt_1", **kw):
    body = webhook_body(event_id=event, type=type, payment_id=payment_id, amount=amount, currency=currency)
    header = kw.pop("header", None) or sign(body, **kw)
    return client.post(
        "/payments/webhooks/test", data=body, content_type="application/json", HTTP_PAYMENT_SIGNATURE=header
    )


def _events(kind):
    return list(OutboxEvent.objects.filter(type=kind))


# --------------------------------------------------------------------------
# creating an order
# --------------------------------------------------------------------------
def test_an_order_is_pending_with_its_breakdown_payment_and_deadline(user):
    show = make_show()
    before = timezone.now()
    body = _order(user, show, customer={"name": "Asha", "email": "asha@example.com", "phone": "+91 98 7654 3210"})
    assert body["status"] == "PAYMENT_PENDING"
    assert (body["subtotal"], body["fees"], body["tax"], body["total"], body["currency"]) == (
        "400.00",
        "60.00",
        "10.80",
        "470.80",
        "INR",
    )
    assert body["code"] and [s["name"] for s in body["seats"]] == ["A1", "A2"]
    expires = timezone.datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert before + timedelta(seconds=599) <= expires <= timezone.now() + timedelta(seconds=601)
    payment = body["payment"]
    assert payment["provider"] == "test" and payment["status"] == "PENDING" and payment["amount"] == "470.80"
    token = Payment.objects.get(pk=payment["id"]).checkout_token
    assert payment["checkout_url"].endswith(reverse("booking:pay", args=[token]))
    assert payment["checkout_url"].startswith("http")
    order = Booking.objects.get(pk=body["id"])
    assert order.customer_name == "Asha" and order.customer_phone == "+91 98 7654 3210"
    assert not mail.outbox  # no ticket before the money
    # The same resource under both names.
    client = client_for(user)
    assert client.get(f"/api/v1/bookings/{body['id']}").json() == client.get(f"/api/v1/orders/{body['id']}").json()
    assert [o["id"] for o in client.get("/api/v1/orders").json()] == [body["id"]]
    created = _events("order.created")
    assert len(created) == 1 and created[0].data["total"] == "470.80" and created[0].data["status"] == "PAYMENT_PENDING"


def test_a_pending_orders_seats_are_the_buyers_until_the_deadline_then_free(user, other):
    show = make_show()
    body = _order(user, show)
    ids = [s["id"] for s in body["seats"]]
    seats = client_for(other).get(f"/api/v1/shows/{show.pk}/seats").json()
    assert {s["status"] for s in seats if s["id"] in ids} == {"SOLD"}
    r = client_for(other).post(f"/api/v1/shows/{show.pk}/holds", {"seat_ids": ids}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "SEAT_UNAVAILABLE"
    _expire(body["id"])
    assert client_for(user).get(f"/api/v1/orders/{body['id']}").json()["status"] == "EXPIRED"
    assert ShowSeat.objects.filter(pk__in=ids).free(timezone.now()).count() == 2
    # Someone else can hold and buy them: the unpaid order's lines block no sale.
    r = client_for(other).post(f"/api/v1/shows/{show.pk}/holds", {"seat_ids": ids}, format="json")
    assert r.status_code in (200, 201)
    second = client_for(other).post("/api/v1/orders", {"show_id": show.pk, "seat_ids": ids}, format="json")
    assert second.status_code == 201
    r = client_for(other).post(
        f"/api/v1/orders/{second.json()['id']}/confirm-payment", {"card_number": CARD_OK}, format="json"
    )
    assert r.status_code == 200 and r.json()["status"] == "CONFIRMED"
    assert BookingSeat.objects.filter(show_seat_id__in=ids, active=True).count() == 2


def test_provider_none_confirms_at_once(user, settings, django_capture_on_commit_callbacks):
    settings.PAYMENT_PROVIDER = "none"
    with django_capture_on_commit_callbacks(execute=True):
        body = _order(user, make_show())
    assert body["status"] == "CONFIRMED" and body["payment"] is None and body["total"] == "470.80"
    assert len(mail.outbox) == 1


def test_a_free_order_confirms_at_once(user, settings):
    settings.BOOKING_FEE_PER_SEAT = "0"
    show = make_show(prices={"STANDARD": "0.00", "PREMIUM": "0", "RECLINER": "0", "ACCESSIBLE": "0"})
    body = _order(user, show)
    assert body["status"] == "CONFIRMED" and body["total"] == "0.00" and body["payment"] is None


def test_idempotent_order_creation_replays_the_same_order(user):
    show = make_show()
    ids = seat_ids(show, "A1")
    seats_hold(user=user, show=show, seat_ids=ids)
    client = client_for(user)
    payload = {"show_id": show.pk, "seat_ids": ids}
    first = client.post("/api/v1/orders", payload, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = client.post("/api/v1/orders", payload, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]
    assert again.json()["payment"]["checkout_url"] == first.json()["payment"]["checkout_url"]
    assert Booking.objects.count() == 1 and Payment.objects.count() == 1


# --------------------------------------------------------------------------
# paying: confirm-payment and the hosted page share one code path
# --------------------------------------------------------------------------
def test_confirm_payment_confirms_once_and_again_is_unchanged(user, django_capture_on_commit_callbacks):
    body = _order(user, make_show())
    client = client_for(user)
    url = f"/api/v1/orders/{body['id']}/confirm-payment"
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(url, {"card_number": CARD_OK}, format="json")
    assert r.status_code == 200
    paid = r.json()
    assert paid["status"] == "CONFIRMED" and paid["code"] == body["code"] and paid["payment"]["status"] == "SUCCEEDED"
    assert len(mail.outbox) == 1 and body["code"] in mail.outbox[0].body and "470.80" in mail.outbox[0].body
    again = client.post(url, {"card_number": CARD_OK}, format="json")
    assert again.status_code == 200 and again.json()["status"] == "CONFIRMED"
    assert len(mail.outbox) == 1
    assert BookingSeat.objects.filter(booking_id=body["id"], active=True).count() == 2
    assert set(
        ShowSeat.objects.filter(pk__in=[s["id"] for s in body["seats"]]).values_list("held_until", flat=True)
    ) == {None}
    assert len(_events("booking.confirmed")) == 1 and len(_events("payment.succeeded")) == 1


def test_a_decline_is_402_and_the_order_can_be_paid_again(user):
    body = _order(user, make_show())
    client = client_for(user)
    url = f"/api/v1/orders/{body['id']}/confirm-payment"
    r = client.post(url, {"card_number": CARD_DECLINED}, format="json")
    assert r.status_code == 402 and r.json()["error"]["code"] == "PAYMENT_DECLINED"
    order = client.get(f"/api/v1/orders/{body['id']}").json()
    assert order["status"] == "PAYMENT_PENDING" and order["payment"]["status"] == "FAILED"
    assert client.post(url, {"card_number": CARD_DECLINED}, format="json").status_code == 402
    assert len(_events("payment.failed")) == 1
    assert client.post(url, {"card_number": CARD_OK}, format="json").json()["status"] == "CONFIRMED"


def test_paying_after_the_deadline_is_409_order_expired_and_charges_nothing(user):
    body = _order(user, make_show())
    _expire(body["id"])
    r = client_for(user).post(f"/api/v1/orders/{body['id']}/confirm-payment", {"card_number": CARD_OK}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "ORDER_EXPIRED"
    assert Payment.objects.get().status == PaymentStatus.PENDING


def test_bad_cards_and_other_peoples_orders(user, other):
    body = _order(user, make_show())
    url = f"/api/v1/orders/{body['id']}/confirm-payment"
    r = client_for(user).post(url, {"card_number": "1234"}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_CARD"
    assert client_for(other).post(url, {"card_number": CARD_OK}, format="json").status_code == 404
    cancelled = client_for(user).post(f"/api/v1/orders/{body['id']}/cancel")
    assert cancelled.json()["status"] == "CANCELLED"
    r = client_for(user).post(url, {"card_number": CARD_OK}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "ORDER_NOT_PAYABLE"


def test_the_hosted_page_pays_declines_and_returns_to_the_order(client, user):
    show = make_show()
    ids = seat_ids(show, "A1", "A2")
    client.force_login(user)
    r = client.post(reverse("booking:seat_picker", args=[show.pk]), {"seats": ids})
    checkout = client.get(r["Location"]).content.decode()
    assert "₹470.80" in checkout and "₹60" in checkout and "₹10.80" in checkout
    form_key = checkout.split('name="idempotency_key" value="')[1].split('"')[0]
    r = client.post(r["Location"], {"seats": ids, "idempotency_key": form_key})
    assert r.status_code == 302 and "/payments/test/" in r["Location"]
    pay_url = r["Location"]
    page = client.get(pay_url)
    assert page.status_code == 200 and "470.80 INR" in page.content.decode()
    declined = client.post(pay_url, {"card_number": CARD_DECLINED})
    assert declined.status_code == 402 and "declined" in declined.content.decode()
    order = Booking.objects.get()
    detail = client.get(order.get_absolute_url()).content.decode()
    assert "Pay now" in detail and "left" in detail
    mine = client.get(reverse("booking:my_bookings")).content.decode()
    assert "Resume payment" in mine
    paid = client.post(pay_url, {"card_number": CARD_OK}, format="json")
    assert paid.status_code == 302 and paid["Location"] == order.get_absolute_url()
    order.refresh_from_db()
    assert order.status == BookingStatus.CONFIRMED
    assert order.code in client.get(order.get_absolute_url()).content.decode()


def test_an_expired_order_says_the_seats_were_released(client, user):
    body = _order(user, make_show())
    _expire(body["id"])
    client.force_login(user)
    order = Booking.objects.get(pk=body["id"])
    detail = client.get(order.get_absolute_url()).content.decode()
    assert "seats were released" in detail and "Pick seats again" in detail
    mine = client.get(reverse("booking:my_bookings")).content.decode()
    assert "seats were released" in mine


# --------------------------------------------------------------------------
# webhooks
# --------------------------------------------------------------------------
def test_a_signed_webhook_confirms_and_a_duplicate_is_applied_once(client, user, django_capture_on_commit_callbacks):
    body = _order(user, make_show())
    pid = body["payment"]["id"]
    with django_capture_on_commit_callbacks(execute=True):
        r = _webhook(client, pid)
    assert r.status_code == 200 and r.json()["applied"] is True
    assert Booking.objects.get().status == BookingStatus.CONFIRMED
    r = _webhook(client, pid)
    assert r.status_code == 200 and r.json()["applied"] is False
    assert len(mail.outbox) == 1 and len(_events("booking.confirmed")) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"secret": "whsec_wrong"},
        {"t": int(timezone.now().timestamp()) - 301},
        {"header": "t=1,v1=deadbeef"},
        {"amount": "470.79"},
        {"currency": "USD"},
        {"payment_id": 999999},
    ],
    ids=["bad-signature", "stale", "garbage", "wrong-amount", "wrong-currency", "unknown-payment"],
)
def test_bad_webhooks_are_400_and_change_nothing(client, user, change):
    body = _order(user, make_show())
    pid = change.pop("payment_id", body["payment"]["id"])
    r = _webhook(client, pid, **change)
    assert r.status_code == 400
    assert Booking.objects.get().status == BookingStatus.PAYMENT_PENDING
    assert Payment.objects.get().status == PaymentStatus.PENDING
    assert not _events("payment.succeeded")
    # Not claimed: the genuine event still applies afterwards.
    assert _webhook(client, body["payment"]["id"]).json()["applied"] is True


def test_webhooks_for_a_provider_not_configured_are_404(client, user):
    body = _order(user, make_show())
    r = client.post("/payments/webhooks/stripe", data=b"{}", content_type="application/json")
    assert r.status_code == 404
    assert Booking.objects.get(pk=body["id"]).status == BookingStatus.PAYMENT_PENDING


def test_a_failed_payment_webhook_keeps_the_order_pending(client, user):
    body = _order(user, make_show())
    r = _webhook(client, body["payment"]["id"], type="payment.failed")
    assert r.status_code == 200
    assert Booking.objects.get().effective_status() == BookingStatus.PAYMENT_PENDING
    assert Payment.objects.get().status == PaymentStatus.FAILED


# --------------------------------------------------------------------------
# late payment
# --------------------------------------------------------------------------
def test_late_money_with_the_seats_still_free_confirms(client, user, django_capture_on_commit_callbacks):
    body = _order(user, make_show())
    _expire(body["id"])
    with django_capture_on_commit_callbacks(execute=True):
        assert _webhook(client, body["payment"]["id"]).status_code == 200
    order = Booking.objects.get()
    assert order.status == BookingStatus.CONFIRMED and not Refund.objects.exists()
    assert len(mail.outbox) == 1


def test_late_money_with_the_seats_gone_expires_and_refunds_in_full(
    client, user, other, django_capture_on_commit_callbacks
):
    show = make_show()
    body = _order(user, show)
    _expire(body["id"])
    taken = _order(other, show, names=("A2",))  # someone else's order claims a seat
    with django_capture_on_commit_callbacks(execute=True):
        assert _webhook(client, body["payment"]["id"]).status_code == 200
    order = Booking.objects.get(pk=body["id"])
    assert order.status == BookingStatus.EXPIRED
    refund = Refund.objects.get()
    assert refund.amount == D("470.80") and refund.key == f"late:{order.pk}" and refund.status == RefundStatus.SUCCEEDED
    assert Payment.objects.get(pk=body["payment"]["id"]).status == PaymentStatus.REFUNDED
    # A1 went back to the pool; A2 stays with the other buyer.
    a1, a2 = seat_ids(show, "A1", "A2")
    assert ShowSeat.objects.get(pk=a1).status == SeatStatus.AVAILABLE
    assert ShowSeat.objects.get(pk=a2).held_by_id == other.pk
    assert Booking.objects.get(pk=taken["id"]).status == BookingStatus.PAYMENT_PENDING
    assert [e.data["amount"] for e in _events("refund.created")] == ["470.80"]
    assert len(_events("order.expired")) == 1
    # The same notice again refunds nothing more.
    assert _webhook(client, body["payment"]["id"]).json()["applied"] is False
    assert Refund.objects.count() == 1


# --------------------------------------------------------------------------
# cancel and refunds
# --------------------------------------------------------------------------
def _paid(user, show, names=("A1", "A2")):
    body = _order(user, show, names=names)
    r = client_for(user).post(f"/api/v1/orders/{body['id']}/confirm-payment", {"card_number": CARD_OK}, format="json")
    assert r.status_code == 200
    return Booking.objects.get(pk=body["id"])


@pytest.mark.parametrize(
    "starts_in, refund",
    [
        (timedelta(days=3), "400.00"),  # full seats price, fee and its tax kept
        (timedelta(hours=5), "200.00"),  # half
        (timedelta(hours=1), None),  # none
    ],
)
def test_cancel_refunds_per_policy_to_the_cent(user, starts_in, refund, django_capture_on_commit_callbacks):
    order = _paid(user, make_show(starts_in=starts_in))
    client = client_for(user)
    preview = client.get(f"/api/v1/orders/{order.pk}/cancel").json()
    assert preview["refund"] == {"id": None, "amount": refund or "0.00", "status": "PREVIEW"}
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/api/v1/orders/{order.pk}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "CANCELLED"
    if refund:
        assert r.json()["refund"]["amount"] == refund
        assert Refund.objects.get().amount == D(refund)
    else:
        assert r.json()["refund"]["status"] == "NONE" and not Refund.objects.exists()
    # Retried: nothing more.
    client.post(f"/api/v1/orders/{order.pk}/cancel")
    assert Refund.objects.count() == (1 if refund else 0)
    assert len(_events("booking.cancelled")) == 1


def test_staff_cancelling_someones_order_refunds_the_fees_too(user):
    order = _paid(user, make_show(starts_in=timedelta(days=3)))
    booking_cancel(booking=order, by=StaffFactory())
    assert Refund.objects.get().amount == D("470.80")


def test_cancelling_a_pending_order_frees_its_seats_and_late_money_goes_back(client, user):
    show = make_show()
    body = _order(user, show)
    client_for(user).post(f"/api/v1/orders/{body['id']}/cancel")
    assert ShowSeat.objects.filter(show=show).free(timezone.now()).count() == ShowSeat.objects.filter(show=show).count()
    _webhook(client, body["payment"]["id"])
    assert Booking.objects.get().status == BookingStatus.CANCELLED
    assert Refund.objects.get().amount == D("470.80")


# --------------------------------------------------------------------------
# expiry sweep
# --------------------------------------------------------------------------
def test_the_sweep_records_expiry_once(user):
    show = make_show()
    body = _order(user, show)
    assert orders_expire_overdue() == 0
    _expire(body["id"])
    assert orders_expire_overdue() == 1
    assert orders_expire_overdue() == 0
    assert Booking.objects.get().status == BookingStatus.EXPIRED
    assert len(_events("order.expired")) == 1
    released = _events("seat.released")
    assert released and released[-1].data["reason"] == "order_expired"
    assert ShowSeat.objects.filter(show=show, status=SeatStatus.SOLD).count() == 0


def test_the_sweep_is_registered_with_the_relay():
    from events.periodic import periodic_tasks

    assert "orders_expire_overdue" in {t.name for t in periodic_tasks()}


# --------------------------------------------------------------------------
# staff cancel a show
# --------------------------------------------------------------------------
def test_staff_cancel_a_show_refunds_everything_releases_holds_and_emails(
    user, other, django_capture_on_commit_callbacks
):
    show = make_show("SSSS\nSSSS", starts_in=timedelta(hours=1))  # inside "no refund" for a buyer
    paid = _paid(user, show)
    pending = _order(other, show, names=("B1",))
    holder = UserFactory()
    seats_hold(user=holder, show=show, seat_ids=seat_ids(show, "B4"))
    mail.outbox.clear()
    staff = StaffFactory()
    with django_capture_on_commit_callbacks(execute=True):
        r = client_for(staff).post(f"/api/v1/shows/{show.pk}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "CANCELLED" and r.json()["orders_cancelled"] == 2
    assert set(Booking.objects.values_list("status", flat=True)) == {BookingStatus.CANCELLED}
    refund = Refund.objects.get()
    assert refund.payment.order_id == paid.pk and refund.amount == D("470.80") and refund.status == "SUCCEEDED"
    assert ShowSeat.objects.filter(show=show).exclude(status=SeatStatus.AVAILABLE).count() == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted([user.email, other.email])
    assert len(_events("show.cancelled")) == 1
    # Again: nothing new.
    assert client_for(staff).post(f"/api/v1/shows/{show.pk}/cancel").status_code == 200
    assert Refund.objects.count() == 1
    # Holding and ordering refuse it.
    r = client_for(holder).post(f"/api/v1/shows/{show.pk}/holds", {"seat_ids": seat_ids(show, "A3")}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "SHOW_CANCELLED"
    assert Booking.objects.get(pk=pending["id"]).status == BookingStatus.CANCELLED


def test_show_cancel_needs_the_change_show_permission(user):
    show = make_show()
    assert client_for(user).post(f"/api/v1/shows/{show.pk}/cancel").status_code == 403
    weak = StaffFactory(permissions=["catalog.view_show"])
    assert client_for(weak).post(f"/api/v1/shows/{show.pk}/cancel").status_code == 403
    show.refresh_from_db()
    assert show.cancelled_at is None


def test_ordering_on_a_cancelled_show_is_409(user):
    show = make_show()
    ids = seat_ids(show, "A1")
    seats_hold(user=user, show=show, seat_ids=ids)
    show_cancel(show=show, by=StaffFactory())
    show.refresh_from_db()
    with pytest.raises(Exception) as exc:
        booking_confirm(user=user, show=show, seat_ids=ids)
    assert getattr(exc.value, "code", None) == "SHOW_CANCELLED"


# --------------------------------------------------------------------------
# the schema names every new code
# --------------------------------------------------------------------------
def test_the_schema_documents_orders_and_their_errors(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    doc = json.loads(schema) if schema.lstrip().startswith("{") else None
    text = schema if doc is None else json.dumps(doc)
    for needle in ("/api/v1/orders", "confirm-payment", "/api/v1/shows/{show_id}/cancel", "PAYMENT_DECLINED"):
        assert needle in text
    for code in ("ORDER_EXPIRED", "ORDER_NOT_PAYABLE", "SHOW_CANCELLED"):
        assert code in text


# --------------------------------------------------------------------------
# staff admin
# --------------------------------------------------------------------------
def test_the_order_admin_shows_payment_refunds_and_history(client, user, django_capture_on_commit_callbacks):
    from events.services import audit_record

    order = _paid(user, make_show(starts_in=timedelta(days=3)))
    for event in OutboxEvent.objects.order_by("pk"):
        audit_record(envelope=event.envelope(), aggregate=event.aggregate_type, aggregate_id=event.aggregate_id)
    staff = StaffFactory(is_superuser=True)
    client.force_login(staff)
    listing = client.get(reverse("admin:booking_booking_changelist")).content.decode()
    assert "Succeeded" in listing
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(reverse("admin:booking_booking_cancel", args=[order.pk]))
    assert r.status_code == 302
    page = client.get(reverse("admin:booking_booking_change", args=[order.pk])).content.decode()
    assert "470.80 INR" in page and "booking.confirmed" in page and "cancel:" in page


def test_the_show_admin_action_cancels_the_show(client, user, django_capture_on_commit_callbacks):
    show = make_show()
    order = _paid(user, show)
    client.force_login(StaffFactory(is_superuser=True))
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            reverse("admin:catalog_show_changelist"),
            {"action": "cancel_shows", "_selected_action": [show.pk]},
        )
    assert r.status_code == 302
    order.refresh_from_db()
    show.refresh_from_db()
    assert show.cancelled_at and order.status == BookingStatus.CANCELLED
    assert Refund.objects.get().amount == D("470.80")


def test_orders_and_payments_are_counted_for_metrics(user, django_capture_on_commit_callbacks):
    from prometheus_client import REGISTRY

    def value(name, **labels):
        return REGISTRY.get_sample_value(name, labels) or 0

    created, confirmed = (
        value("cinema_orders_total", outcome="created"),
        value("cinema_orders_total", outcome="confirmed"),
    )
    paid = value("cinema_payments_total", provider="test", outcome="succeeded")
    with django_capture_on_commit_callbacks(execute=True):
        _paid(user, make_show())
    assert value("cinema_orders_total", outcome="created") == created + 1
    assert value("cinema_orders_total", outcome="confirmed") == confirmed + 1
    assert value("cinema_payments_total", provider="test", outcome="succeeded") == paid + 1


def test_an_order_from_a_hold_id_with_a_retry(user, other):
    show = make_show()
    seats_hold(user=user, show=show, seat_ids=seat_ids(show, "A1", "A2"))
    client = client_for(user)
    hold_id = f"{show.pk}-{user.pk}"
    r = client.post("/api/v1/orders", {"hold_id": hold_id}, format="json", HTTP_IDEMPOTENCY_KEY="h1")
    assert r.status_code == 201 and [s["name"] for s in r.json()["seats"]] == ["A1", "A2"]
    again = client.post("/api/v1/orders", {"hold_id": hold_id}, format="json", HTTP_IDEMPOTENCY_KEY="h1")
    assert again.status_code == 201 and again.json()["id"] == r.json()["id"]
    assert client_for(other).post("/api/v1/orders", {"hold_id": hold_id}, format="json").status_code == 404
    assert client.post("/api/v1/orders", {"hold_id": hold_id}, format="json").status_code == 400  # nothing held now


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("offline", [False, True])
def test_no_provider_call_happens_inside_a_transaction(user, monkeypatch, offline):
    """charge before the order's transaction, refund after it commits, and
    start after it too, unless the provider says it answers without the
    network (the test provider's own page: then in the payment's INSERT)."""
    from django.db import transaction

    from payments.providers import TestProvider

    monkeypatch.setattr(TestProvider, "starts_offline", offline)

    calls = []

    def outside(name, original):
        def wrapper(self, *args, **kwargs):
            calls.append((name, transaction.get_connection().in_atomic_block))
            return original(self, *args, **kwargs)

        return wrapper

    for name in ("start", "charge", "refund"):
        monkeypatch.setattr(TestProvider, name, outside(name, getattr(TestProvider, name)))
    order = _paid(user, make_show(starts_in=timedelta(days=3)))  # real commits: on_commit runs for real
    booking_cancel(booking=order, by=user)
    assert calls == [("start", offline), ("charge", False), ("refund", False)]
    assert Payment.objects.get().checkout_url.endswith(f"/payments/test/{Payment.objects.get().checkout_token}/")
    assert Refund.objects.get().status == RefundStatus.SUCCEEDED


def test_late_money_refused_by_the_one_active_sale_constraint_expires_and_refunds(
    client, user, other, monkeypatch, django_capture_on_commit_callbacks
):
    """When the seats look free to the read but another sale stands in the
    database (the race _settle cannot see), the constraint refuses the lines
    and the same transaction goes on to expire and refund: the failed
    statement alone is undone (services/locking.py one_statement)."""
    from booking.services import orders

    show = make_show()
    body = _order(user, show)
    _expire(body["id"])
    winner = _paid(other, show, names=("A2",))
    monkeypatch.setattr(orders, "_seat_is_ours", lambda seat, order, now: True)
    with django_capture_on_commit_callbacks(execute=True):
        assert _webhook(client, body["payment"]["id"]).status_code == 200
    order = Booking.objects.get(pk=body["id"])
    assert order.status == BookingStatus.EXPIRED
    assert not BookingSeat.objects.filter(booking=order, active=True).exists()
    refund = Refund.objects.get(payment_id=body["payment"]["id"])
    assert refund.amount == D("470.80") and refund.status == RefundStatus.SUCCEEDED
    assert len(_events("order.expired")) == 1 and len(_events("refund.created")) == 1
    winner.refresh_from_db()
    assert winner.status == BookingStatus.CONFIRMED
    assert BookingSeat.objects.filter(booking=winner, active=True).count() == 1
    assert ShowSeat.objects.get(pk=seat_ids(show, "A2")[0]).status == SeatStatus.SOLD
