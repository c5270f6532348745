"""Payment providers: the small interface a real PSP drops into.

    provider = get_provider()                 # from PAYMENT_PROVIDER
    provider.takes_payment                    # False for `none`: orders confirm at once
    provider.start(payment, page_url=…, return_url=…) -> Checkout(url, reference)
    provider.charge(payment, card_number) -> ChargeResult   # card form providers only
    provider.parse_webhook(body, headers) -> WebhookNotice | None
    provider.refund(payment, amount, key) -> reference

`start`, `charge` and `refund` may talk to the network: call them OUTSIDE any
locked transaction and record what they answer with the services. None of
them writes to the database. `parse_webhook` only checks and parses.

`test` is a built-in card processor (the model is django-payments' dummy
provider): a hosted page we serve, two test cards, Stripe-style signed
webhooks. `stripe` is the production example, driven by the `stripe` library
(Checkout Sessions, `Stripe-Signature` webhooks, refunds with an idempotency
key); it is configured by settings and not exercised against Stripe here.
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings

from payments import conf
from payments.exceptions import (
    InvalidCard,
    InvalidSignature,
    InvalidWebhook,
    PaymentNotSupported,
    ProviderUnavailable,
)
from payments.models import Payment

# The tolerance the SPEC gives webhook signatures (and Stripe's default).
SIGNATURE_TOLERANCE_SECONDS = 300

SUCCEEDED = "payment.succeeded"
FAILED = "payment.failed"


@dataclass(frozen=True)
class Checkout:
    url: str
    reference: str = ""


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    message: str
    reference: str = ""


@dataclass(frozen=True)
class WebhookNotice:
    """What a verified webhook says happened to one of our payments."""

    provider: str
    event_id: str
    type: str  # SUCCEEDED or FAILED
    payment_id: int
    amount: Decimal
    currency: str
    reference: str = ""
    message: str = ""

    @property
    def succeeded(self) -> bool:
        return self.type == SUCCEEDED


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """A header from a Django `request.headers` or a plain dict, case-insensitively."""
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def _verify_stripe_style(body: bytes, header: str | None, secret: str) -> None:
    """`t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, at most 5 minutes old.
    The `stripe` library implements exactly this scheme (constant-time compare)."""
    import stripe  # on first use: it brings requests, httpx and aiohttp (~28 MB a worker)

    try:
        stripe.WebhookSignature.verify_header(body, header, secret, SIGNATURE_TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as exc:
        raise InvalidSignature(f"The webhook signature is not valid: {exc.user_message or exc}") from None
    except (UnicodeDecodeError, ValueError):
        raise InvalidSignature("The webhook signature is not valid: unreadable body or header.") from None


class PaymentProvider:
    name = ""
    takes_payment = True
    has_card_form = False
    # True when start() answers without the network (our own hosted page): it
    # may then run inside the order's transaction, before the payment's INSERT.
    starts_offline = False

    def start(self, payment: Payment, *, page_url: str, return_url: str) -> Checkout:
        """Where to send the buyer to pay. `page_url` is our own hosted page for
        this payment (providers whose page we serve use it); `return_url` is
        where an off-site provider sends the buyer back."""
        raise PaymentNotSupported(f"The {self.name!r} payment provider takes no payments.")

    def charge(self, payment: Payment, card_number: str) -> ChargeResult:
        raise PaymentNotSupported(f"The {self.name!r} payment provider has no card form.")

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookNotice | None:
        """The verified notice, or None for an event that concerns no payment
        outcome (answer it 200 and do nothing). Raises InvalidSignature or InvalidWebhook."""
        raise InvalidSignature(f"The {self.name!r} payment provider sends no webhooks.")

    def refund(self, payment: Payment, amount: Decimal, key: str) -> str:
        """Give `amount` back; returns the provider's refund reference. The
        same `key` twice must refund once. Raises ProviderUnavailable."""
        raise PaymentNotSupported(f"The {self.name!r} payment provider cannot refund.")


class NoProvider(PaymentProvider):
    """`none`: pay at the cinema. Orders are confirmed at once; no money moves online."""

    name = "none"
    takes_payment = False


# The test provider's cards. Anything else is refused before "contacting the bank".
TEST_CARD_SUCCEEDS = "4242424242424242"
TEST_CARD_DECLINED = "4000000000000002"
_CARD_SEPARATORS = re.compile(r"[\s-]+")


def normalize_card_number(card_number: str) -> str:
    """Digits only; spaces and dashes between groups are allowed. Raises InvalidCard."""
    digits = _CARD_SEPARATORS.sub("", card_number or "")
    if not digits.isdigit() or not 12 <= len(digits) <= 19 or not digits.isascii():
        raise InvalidCard("Enter a card number of 12 to 19 digits.", field="card_number")
    return digits


class TestProvider(PaymentProvider):
    """A stand-in card processor: our hosted page, two cards, signed webhooks."""

    __test__ = False  # not a pytest class
    name = "test"
    has_card_form = True
    starts_offline = True
    signature_header = "Payment-Signature"

    def __init__(self, *, webhook_secret: str):
        self.webhook_secret = webhook_secret

    def start(self, payment, *, page_url, return_url):
        return Checkout(url=page_url)

    def charge(self, payment, card_number):
        digits = normalize_card_number(card_number)
        if digits == TEST_CARD_SUCCEEDS:
            return ChargeResult(succeeded=True, message="Paid.", reference=f"test_ch_{payment.checkout_token[:16]}")
        if digits == TEST_CARD_DECLINED:
            return ChargeResult(succeeded=False, message="Your card was declined. No money was taken.")
        raise InvalidCard(
            "This is the test payment provider: use 4242 4242 4242 4242 (succeeds) "
            "or 4000 0000 0000 0002 (is declined).",
            field="card_number",
        )

    def parse_webhook(self, body, headers):
        _verify_stripe_style(body, _header(headers, self.signature_header), self.webhook_secret)
        try:
            data = json.loads(body)
            event_type = data["type"]
            notice = WebhookNotice(
                provider=self.name,
                event_id=str(data["id"]),
                type=event_type,
                payment_id=int(data["payment_id"]),
                amount=Decimal(str(data["amount"])),
                currency=str(data["currency"]),
                reference=str(data.get("reference") or ""),
                message=str(data.get("message") or ""),
            )
        except (ValueError, KeyError, TypeError, InvalidOperation):
            raise InvalidWebhook(
                'The webhook body must be {"id", "type", "payment_id", "amount", "currency"}.'
            ) from None
        if event_type not in (SUCCEEDED, FAILED) or not notice.event_id or not notice.amount.is_finite():
            raise InvalidWebhook(f"Unknown webhook event type {event_type!r}; expected {SUCCEEDED} or {FAILED}.")
        return notice

    def refund(self, payment, amount, key):
        return f"test_re_{key}"[:255]


class StripeProvider(PaymentProvider):
    """Stripe Checkout. The session carries our payment id as
    `client_reference_id`; `checkout.session.completed` (paid) and
    `checkout.session.async_payment_*` are the notices; refunds go against the
    payment intent with our refund key as Stripe's idempotency key.
    Amounts are sent in the currency's minor unit (×100: two-decimal currencies only)."""

    name = "stripe"
    signature_header = "Stripe-Signature"

    def __init__(self, *, api_key: str, webhook_secret: str):
        import stripe

        self.client = stripe.StripeClient(api_key)
        self.webhook_secret = webhook_secret

    def start(self, payment, *, page_url, return_url):
        import stripe

        try:
            session = self.client.v1.checkout.sessions.create(
                params={
                    "mode": "payment",
                    "client_reference_id": str(payment.pk),
                    "metadata": {"payment_id": str(payment.pk), "order_id": str(payment.order_id)},
                    "line_items": [
                        {
                            "quantity": 1,
                            "price_data": {
                                "currency": payment.currency.lower(),
                                "unit_amount": int(payment.amount * 100),
                                "product_data": {"name": f"Order {payment.order_id}"},
                            },
                        }
                    ],
                    "success_url": return_url,
                    "cancel_url": return_url,
                },
                options={"idempotency_key": f"checkout-{payment.checkout_token}"},
            )
        except stripe.StripeError as exc:
            raise ProviderUnavailable(f"Stripe did not start the payment: {exc.user_message or exc}") from None
        return Checkout(url=session.url, reference=session.id)

    def parse_webhook(self, body, headers):
        _verify_stripe_style(body, _header(headers, self.signature_header), self.webhook_secret)
        try:
            event = json.loads(body)
            session = event["data"]["object"]
            kind = event["type"]
        except (ValueError, KeyError, TypeError):
            raise InvalidWebhook("Not a Stripe event.") from None
        if kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
            if session.get("payment_status") != "paid":
                return None  # completed but paid later (async methods): wait for the next event
            outcome = SUCCEEDED
        elif kind == "checkout.session.async_payment_failed":
            outcome = FAILED
        else:
            return None
        try:
            return WebhookNotice(
                provider=self.name,
                event_id=str(event["id"]),
                type=outcome,
                payment_id=int(session["client_reference_id"]),
                amount=Decimal(int(session["amount_total"])) / 100,
                currency=str(session["currency"]).upper(),
                reference=str(session.get("payment_intent") or ""),
            )
        except (KeyError, TypeError, ValueError):
            raise InvalidWebhook("The Stripe session lacks client_reference_id or amount_total.") from None

    def refund(self, payment, amount, key):
        import stripe

        try:
            refund = self.client.v1.refunds.create(
                params={"payment_intent": payment.reference, "amount": int(amount * 100)},
                options={"idempotency_key": f"refund-{key}"},
            )
        except stripe.StripeError as exc:
            raise ProviderUnavailable(f"Stripe did not refund: {exc.user_message or exc}") from None
        return refund.id


def get_provider(name: str | None = None) -> PaymentProvider:
    """The provider called `name`, or the configured one (PAYMENT_PROVIDER)."""
    name = name or conf.provider_name()
    if name == "test":
        return TestProvider(webhook_secret=settings.PAYMENT_WEBHOOK_SECRET)
    if name == "none":
        return NoProvider()
    if name == "stripe":
        return StripeProvider(api_key=settings.STRIPE_API_KEY, webhook_secret=settings.STRIPE_WEBHOOK_SECRET)
    raise KeyError(name)


def webhook_provider(name: str) -> PaymentProvider | None:
    """The provider that may deliver webhooks at /payments/webhooks/<name>: only
    the configured one (a `test` webhook must never confirm a payment on a
    site that takes real money). None → answer 404."""
    configured = conf.provider_name()
    if name != configured or configured == "none":
        return None
    return get_provider(configured)
