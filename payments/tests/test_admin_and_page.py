from decimal import Decimal as D

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import RequestFactory

from payments.forms import CardForm
from tests.factories import PaymentFactory, RefundFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory(is_superuser=True))
    return client


def test_payments_and_refunds_are_read_only_in_admin(staff_client):
    refund = RefundFactory(payment__amount=D("500.00"), amount=D("100.00"))
    payment = refund.payment
    page = staff_client.get("/admin/payments/payment/")
    assert page.status_code == 200 and b"500.00" in page.content
    detail = staff_client.get(f"/admin/payments/payment/{payment.pk}/change/")
    assert detail.status_code == 200
    assert b'name="amount"' not in detail.content and b"100.00" in detail.content  # refund inline, read-only
    assert staff_client.get("/admin/payments/payment/add/").status_code == 403
    assert staff_client.post(f"/admin/payments/payment/{payment.pk}/delete/").status_code == 403
    assert staff_client.get("/admin/payments/refund/").status_code == 200
    assert staff_client.get(f"/admin/payments/refund/{refund.pk}/change/").status_code == 200
    assert staff_client.get("/admin/payments/refund/add/").status_code == 403


def render_page(**context):
    request = RequestFactory().get("/pay/x/")
    request.user = AnonymousUser()
    return render_to_string("payments/test_checkout.html", context, request=request)


def test_hosted_page_has_a_labelled_card_field_and_a_way_back():
    payment = PaymentFactory.build(amount=D("770.80"))
    html = render_page(payment=payment, form=CardForm(), action_url="/pay/x/", back_url="/bookings/ABC/")
    assert '<label for="id_card_number">Card number</label>' in html
    assert 'autocomplete="cc-number"' in html and 'action="/pay/x/"' in html
    assert 'href="/bookings/ABC/">Back to the order</a>' in html
    assert "770.80 INR" in html and 'role="alert"' not in html


def test_hosted_page_shows_a_decline_as_an_alert():
    payment = PaymentFactory.build()
    html = render_page(
        payment=payment,
        form=CardForm(),
        action_url="/pay/x/",
        back_url="/",
        decline_message="Your card was declined. No money was taken.",
    )
    assert 'role="alert"' in html and "Your card was declined" in html


def test_hosted_page_shows_card_errors_next_to_the_field():
    form = CardForm(data={"card_number": "12"})
    form.is_valid()
    html = render_page(payment=PaymentFactory.build(), form=form, action_url="/pay/x/", back_url="/")
    assert "12 to 19 digits" in html and 'class="field__error" role="alert"' in html
