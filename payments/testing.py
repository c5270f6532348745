"""Helpers for tests and black-box clients of the `test` provider's webhooks."""

import json
import time
from decimal import Decimal

import stripe
from django.conf import settings


def sign(body: bytes | str, secret: str | None = None, t: int | None = None) -> str:
    """The `Payment-Signature` header for `body`: `t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`
    (secret: PAYMENT_WEBHOOK_SECRET; t: now)."""
    if isinstance(body, bytes):
        body = body.decode()
    return stripe.WebhookSignature.generate_signature_header(
        body, secret if secret is not None else settings.PAYMENT_WEBHOOK_SECRET, int(time.time()) if t is None else t
    )


def webhook_body(*, event_id: str, type: str, payment_id: int, amount: Decimal | str, currency: str) -> bytes:
    """A `test` provider webhook body as the SPEC shapes it."""
    return json.dumps(
        {"id": event_id, "type": type, "payment_id": payment_id, "amount": str(amount), "currency": currency}
    ).encode()
