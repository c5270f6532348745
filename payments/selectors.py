"""Reads of the payments layer."""

from cinema.prepared import Prepared
from payments.exceptions import UnknownPayment
from payments.models import Payment, Refund, RefundStatus


def payment_for_notice(*, provider: str, payment_id: int) -> Payment:
    """The payment a webhook speaks of, made with that provider. Raises UnknownPayment."""
    payment = Payment.objects.filter(pk=payment_id, provider=provider).first()
    if payment is None:
        raise UnknownPayment("No such payment.", payment_id=payment_id)
    return payment


def payment_by_checkout_token(*, token: str) -> Payment | None:
    """The payment behind a hosted payment page, or None (→ 404)."""
    return Payment.objects.filter(checkout_token=token).first() if token else None


# Read before every payment: compiled once per process (cinema.prepared).
_LATEST_PAYMENT = Prepared(Payment, lambda order_id: Payment.objects.filter(order_id=order_id).order_by("-pk")[:1])


def payment_for_order(*, order_id: int) -> Payment | None:
    """The order's latest payment."""
    return _LATEST_PAYMENT.first(order_id)


def refunds_to_retry() -> list[Refund]:
    """Refunds the provider has not paid yet (pending after a crash, or failed)."""
    return list(Refund.objects.exclude(status=RefundStatus.SUCCEEDED).select_related("payment").order_by("pk"))
