import json
import time
from decimal import Decimal as D

import pytest
import stripe

from payments.exceptions import InvalidCard, InvalidSignature, InvalidWebhook, PaymentNotSupported
from payments.forms import CardForm
from payments.providers import (
    FAILED,
    SUCCEEDED,
    NoProvider,
    StripeProvider,
    TestProvider,
    get_provider,
    webhook_provider,
)
from payments.testing import sign, webhook_body
from tests.factories import PaymentFactory

SECRET = "whsec_test_secret"


@pytest.fixture
def provider():
    return TestProvider(webhook_secret=SECRET)


def body(**overrides):
    fields = {"event_id": "evt_1", "type": SUCCEEDED, "payment_id": 7, "amount": "770.80", "currency": "INR"}
    return webhook_body(**{**fields, **overrides})


# --- cards -------------------------------------------------------------------


@pytest.mark.parametrize("number", ["4242 4242 4242 4242", "4242424242424242", " 4242-4242-4242-4242 "])
def test_the_success_card_is_paid(provider, number, db):
    result = provider.charge(PaymentFactory.build(), number)
    assert result.succeeded and result.reference.startswith("test_ch_")


def test_the_decline_card_is_declined_with_a_message(provider):
    result = provider.charge(PaymentFactory.build(), "4000 0000 0000 0002")
    assert not result.succeeded and "declined" in result.message


@pytest.mark.parametrize("number", ["1234 5678 9012 3456", "4242 4242 4242 4241"])
def test_other_card_numbers_name_the_test_cards(provider, number):
    with pytest.raises(InvalidCard, match="4242 4242 4242 4242") as exc:
        provider.charge(PaymentFactory.build(), number)
    assert exc.value.status == 400 and exc.value.code == "INVALID_CARD"


@pytest.mark.parametrize(
    "number", ["", "abcd efgh ijkl mnop", "4242", "4242 4242 4242 4242 4242", "４２４２４２４２４２４２４２４２"]
)
def test_what_is_not_a_card_number_is_refused(provider, number):
    with pytest.raises(InvalidCard, match="12 to 19 digits"):
        provider.charge(PaymentFactory.build(), number)


def test_card_form_cleans_to_digits_and_explains_errors():
    form = CardForm(data={"card_number": "4242 4242 4242 4242"})
    assert form.is_valid() and form.cleaned_data["card_number"] == "4242424242424242"
    form = CardForm(data={"card_number": "nope"})
    assert not form.is_valid() and "12 to 19 digits" in form.errors["card_number"][0]
    assert form.fields["card_number"].label == "Card number"


# --- the test provider's signed webhooks --------------------------------------


def test_a_signed_webhook_parses(provider):
    raw = body()
    notice = provider.parse_webhook(raw, {"Payment-Signature": sign(raw, SECRET)})
    assert notice.event_id == "evt_1" and notice.succeeded
    assert (notice.payment_id, notice.amount, notice.currency) == (7, D("770.80"), "INR")


def test_header_name_is_case_insensitive(provider):
    raw = body(type=FAILED)
    notice = provider.parse_webhook(raw, {"payment-signature": sign(raw, SECRET)})
    assert not notice.succeeded


def test_the_signature_format_is_stripes(provider):
    import hashlib
    import hmac

    raw, t = body(), int(time.time())
    digest = hmac.new(SECRET.encode(), f"{t}.".encode() + raw, hashlib.sha256).hexdigest()
    assert sign(raw, SECRET, t) == f"t={t},v1={digest}"
    assert provider.parse_webhook(raw, {"Payment-Signature": f"t={t},v1={digest}"}).event_id == "evt_1"


@pytest.mark.parametrize(
    "make_header",
    [
        lambda raw: sign(raw, "whsec_other"),  # wrong secret
        lambda raw: sign(raw + b" ", SECRET),  # body changed after signing
        lambda raw: sign(raw, SECRET, int(time.time()) - 301),  # stale
        lambda raw: "garbage",
        lambda raw: "t=abc,v1=00",
        lambda raw: f"t={int(time.time())}",  # no v1
        lambda raw: sign(raw, SECRET).replace("v1=", "v0="),
        lambda raw: "",
        lambda raw: None,
    ],
)
def test_bad_stale_or_malformed_signatures_are_refused(provider, make_header):
    raw = body()
    header = make_header(raw)
    headers = {} if header is None else {"Payment-Signature": header}
    with pytest.raises(InvalidSignature) as exc:
        provider.parse_webhook(raw, headers)
    assert exc.value.status == 400 and exc.value.code == "INVALID_SIGNATURE"


def test_a_signature_within_five_minutes_is_fresh(provider):
    raw = body()
    assert provider.parse_webhook(raw, {"Payment-Signature": sign(raw, SECRET, int(time.time()) - 290)})


def test_a_body_that_is_not_utf8_is_a_bad_signature(provider):
    raw = b"\xff\xfe{}"
    with pytest.raises(InvalidSignature):
        provider.parse_webhook(raw, {"Payment-Signature": "t=1,v1=00"})


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[]",
        json.dumps({"id": "e", "type": SUCCEEDED}).encode(),
        json.dumps({"id": "e", "type": "payment.refunded", "payment_id": 1, "amount": "1", "currency": "INR"}).encode(),
        json.dumps({"id": "e", "type": SUCCEEDED, "payment_id": "x", "amount": "1", "currency": "INR"}).encode(),
        json.dumps({"id": "e", "type": SUCCEEDED, "payment_id": 1, "amount": "lots", "currency": "INR"}).encode(),
        json.dumps({"id": "e", "type": SUCCEEDED, "payment_id": 1, "amount": "NaN", "currency": "INR"}).encode(),
        json.dumps({"id": "", "type": SUCCEEDED, "payment_id": 1, "amount": "1", "currency": "INR"}).encode(),
    ],
)
def test_signed_but_malformed_bodies_are_invalid(provider, raw):
    with pytest.raises(InvalidWebhook) as exc:
        provider.parse_webhook(raw, {"Payment-Signature": sign(raw, SECRET)})
    assert exc.value.status == 400


# --- choosing providers -------------------------------------------------------


def test_get_provider_follows_the_setting(settings):
    assert isinstance(get_provider(), TestProvider)
    assert get_provider().webhook_secret == settings.PAYMENT_WEBHOOK_SECRET
    settings.PAYMENT_PROVIDER = "none"
    none = get_provider()
    assert isinstance(none, NoProvider) and not none.takes_payment
    with pytest.raises(PaymentNotSupported):
        none.charge(PaymentFactory.build(), "4242424242424242")


def test_only_the_configured_provider_takes_webhooks(settings):
    assert isinstance(webhook_provider("test"), TestProvider)
    assert webhook_provider("stripe") is None
    assert webhook_provider("nope") is None
    settings.PAYMENT_PROVIDER = "none"
    assert webhook_provider("test") is None and webhook_provider("none") is None


def test_the_test_provider_hosts_its_own_page(provider):
    checkout = provider.start(PaymentFactory.build(), page_url="/pay/abc/", return_url="/bookings/X/")
    assert checkout.url == "/pay/abc/"


# --- stripe: the webhook side runs offline (Stripe's own signature code) ------


def stripe_event(kind, **session):
    return json.dumps(
        {
            "id": "evt_stripe_1",
            "object": "event",
            "type": kind,
            "data": {
                "object": {
                    "client_reference_id": "42",
                    "amount_total": 77080,
                    "currency": "inr",
                    "payment_status": "paid",
                    "payment_intent": "pi_123",
                    **session,
                }
            },
        }
    ).encode()


def stripe_headers(raw):
    return {"Stripe-Signature": stripe.WebhookSignature.generate_signature_header(raw.decode(), "whsec_s")}


def test_stripe_checkout_completed_is_a_success_notice():
    provider = StripeProvider(api_key="sk_test_unused", webhook_secret="whsec_s")
    raw = stripe_event("checkout.session.completed")
    notice = provider.parse_webhook(raw, stripe_headers(raw))
    assert (notice.event_id, notice.type, notice.payment_id) == ("evt_stripe_1", SUCCEEDED, 42)
    assert (notice.amount, notice.currency, notice.reference) == (D("770.80"), "INR", "pi_123")


def test_stripe_events_that_are_no_outcome_are_ignored_and_forgeries_refused():
    provider = StripeProvider(api_key="sk_test_unused", webhook_secret="whsec_s")
    unpaid = stripe_event("checkout.session.completed", payment_status="unpaid")
    assert provider.parse_webhook(unpaid, stripe_headers(unpaid)) is None
    other = stripe_event("customer.created")
    assert provider.parse_webhook(other, stripe_headers(other)) is None
    failed = stripe_event("checkout.session.async_payment_failed")
    assert provider.parse_webhook(failed, stripe_headers(failed)).type == FAILED
    with pytest.raises(InvalidSignature):
        provider.parse_webhook(other, {"Stripe-Signature": sign(other, "whsec_wrong")})
