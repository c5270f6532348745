"""Writes of the payments layer. They run INSIDE the caller's transaction
(booking's durable one, which locks the order first): none is durable, none
talks to the network. Each still works alone (it opens its own transaction).
Lock order everywhere: order (caller) → payment → refund.

The one exception is `refund_perform`, which calls the provider and must be
called OUTSIDE any transaction (e.g. from `transaction.on_commit`)."""

from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from cinema.prepared import Prepared, insert_rows, update_row
from payments import conf
from payments.exceptions import PaymentMismatch, ProviderUnavailable, RefundNotAllowed, UnknownPayment
from payments.models import Payment, PaymentStatus, ProcessedWebhook, Refund, RefundStatus
from payments.money import PriceBreakdown, price_breakdown, refund_amount, to_money
from payments.providers import WebhookNotice, get_provider


def order_price(*, line_prices: list[Decimal], currency: str) -> PriceBreakdown:
    """The breakdown of an order of these seat prices under today's
    BOOKING_FEE_PER_SEAT and TAX_RATE (store its four figures on the order)."""
    return price_breakdown(
        line_prices=line_prices, currency=currency, fee_per_seat=conf.fee_per_seat(), tax_rate=conf.tax_rate()
    )


def order_refund_amount(
    *, breakdown: PriceBreakdown, show_starts_at: datetime, now: datetime, by_staff: bool
) -> Decimal:
    """What cancelling now gives back under CANCELLATION_POLICY (staff: everything)."""
    return refund_amount(
        breakdown=breakdown,
        show_starts_at=show_starts_at,
        now=now,
        by_staff=by_staff,
        policy=conf.cancellation_policy(),
    )


# savepoint=False: inside the caller's transaction an error here fails all of
# it anyway (nobody catches and goes on), so the SAVEPOINT round trips buy nothing.
@transaction.atomic(savepoint=False)
def payment_create(*, order_id: int, amount: Decimal, currency: str, provider: str | None = None, urls=None) -> Payment:
    """A PENDING payment of `amount` for the order (provider: PAYMENT_PROVIDER).
    Locks nothing. ``urls(payment) -> (page_url, return_url)``: for a provider
    that answers offline (``starts_offline``), where to pay is asked now and
    stored in the same INSERT; otherwise the caller asks after commit
    (``provider.start`` may use the network)."""
    amount = to_money(amount)
    if amount <= 0:
        raise ValueError("A payment is for a positive amount; a free order needs none.")
    payment = Payment(order_id=order_id, amount=amount, currency=currency, provider=provider or conf.provider_name())
    backend = get_provider(payment.provider) if urls is not None else None
    if backend is not None and backend.starts_offline:
        page_url, return_url = urls(payment)
        checkout = backend.start(payment, page_url=page_url, return_url=return_url)
        payment.checkout_url, payment.reference = checkout.url, checkout.reference or ""
    insert_rows([payment])  # the ORM's INSERT without its compiler (cinema.prepared)
    return payment


def _locked(payment: Payment) -> Payment:
    return Payment.objects.select_for_update().get(pk=payment.pk)


@transaction.atomic(savepoint=False)
def payment_record_checkout(*, payment: Payment, checkout_url: str, reference: str = "") -> Payment:
    """Store what `provider.start` answered. Locks the payment."""
    payment = _locked(payment)
    payment.checkout_url = checkout_url
    if reference:
        payment.reference = reference
    payment.save(update_fields=["checkout_url", "reference", "updated_at"])
    return payment


def payment_check_amount(*, payment: Payment, amount: Decimal, currency: str) -> None:
    """Raise PaymentMismatch unless `amount currency` is exactly what the payment asks."""
    if currency.upper() != payment.currency.upper() or to_money(amount) != payment.amount:
        raise PaymentMismatch(
            "The amount or currency does not match the payment.",
            expected={"amount": str(payment.amount), "currency": payment.currency},
            received={"amount": str(amount), "currency": currency},
        )


_NOT_LOCKED = object()  # payment_record_outcome's: lock it here


def payment_record_outcome(
    *,
    payment: Payment,
    succeeded: bool,
    reference: str = "",
    message: str = "",
    amount: Decimal | None = None,
    currency: str | None = None,
    now: datetime | None = None,
    locked=_NOT_LOCKED,
) -> bool:
    """Record a charge's or a webhook's outcome. Locks the payment (``locked``:
    the caller already did, with payment_lock_statement: its answer).

    With `amount`/`currency` (a webhook's figures), first checks them against
    the payment: PaymentMismatch, nothing written. A success moves a payable
    (PENDING/FAILED) payment to SUCCEEDED; a failure marks it FAILED with the
    message. Anything else — a second success, a failure after a success — changes
    nothing. Returns True if this call changed the status (the caller confirms
    the order, or says "declined", only then). ``payment`` itself is locked
    and brought up to date in place (the row as locked, and written, here)."""
    if amount is not None or currency is not None:
        # Before any write or lock: a payment's amount and currency never change.
        payment_check_amount(payment=payment, amount=amount, currency=currency or "")
    return _record_outcome(
        payment=payment, succeeded=succeeded, reference=reference, message=message, now=now, locked=locked
    )


_PAYMENT_LOCKED = Prepared(Payment, lambda pk: Payment.objects.select_for_update().filter(pk=pk), for_update=True)


def payment_lock_statement(payment: Payment):
    """The payment's row lock as a statement (cinema.prepared.statements_run),
    for a caller that takes it in one round trip with the locks before it;
    its answer goes to payment_record_outcome as ``locked``."""
    return _PAYMENT_LOCKED.statement(payment.pk, first=True)


def _refresh_locked(payment: Payment, locked=_NOT_LOCKED) -> None:
    """``payment`` locked and brought up to date in place (refresh_from_db
    of a select_for_update, compiled once: cinema.prepared). ``locked``: the
    row as the caller's payment_lock_statement read it (None: gone)."""
    if locked is _NOT_LOCKED:
        locked = _PAYMENT_LOCKED.first(payment.pk)
    if locked is None:
        raise Payment.DoesNotExist
    for field in Payment._meta.concrete_fields:
        setattr(payment, field.attname, getattr(locked, field.attname))


@transaction.atomic(savepoint=False)
def _record_outcome(
    *, payment: Payment, succeeded: bool, reference: str, message: str, now: datetime | None, locked=_NOT_LOCKED
) -> bool:
    _refresh_locked(payment, locked)
    if not payment.is_payable:
        return False
    if succeeded:
        payment.status = PaymentStatus.SUCCEEDED
        payment.succeeded_at = now or timezone.now()
        payment.failure_message = ""
        payment.reference = reference or payment.reference
    else:
        if payment.status == PaymentStatus.FAILED and payment.failure_message == message[:255]:
            return False
        payment.status = PaymentStatus.FAILED
        payment.failure_message = message[:255]
    # As save(update_fields=...) writes it, without building the UPDATE
    # compiler (cinema.prepared). At once, not batched with the next round
    # trip: a late payment's refund reads the row back in this transaction.
    update_row(payment, ["status", "succeeded_at", "failure_message", "reference", "updated_at"])
    return True


@transaction.atomic
def refund_record(*, payment: Payment, amount: Decimal, key: str, reason: str = "") -> Refund:
    """Record (PENDING) a refund of `amount` of a paid payment, once per `key`.
    Locks the payment. The same key again returns the refund already recorded
    (whatever its status); a key recorded for another payment or amount is
    RefundNotAllowed, as is more than what is left to refund or an unpaid
    payment. The money moves later, in `refund_perform`, outside the lock.

    Two racing callers with one key: the unique key decides; the loser gets the
    winner's row."""
    amount = to_money(amount)
    if amount <= 0:
        raise ValueError("A refund is of a positive amount; refund nothing by not calling this.")
    payment = _locked(payment)
    existing = Refund.objects.filter(key=key).first()
    if existing is None:
        if not payment.is_paid:
            raise RefundNotAllowed("Only a paid payment can be refunded.", payment_id=payment.pk)
        left = payment.amount - refunded_total(payment=payment)
        if amount > left:
            raise RefundNotAllowed(
                f"Only {left} {payment.currency} is left to refund.", payment_id=payment.pk, left=str(left)
            )
        try:
            with transaction.atomic():
                return Refund.objects.create(
                    payment=payment, amount=amount, currency=payment.currency, key=key, reason=reason[:255]
                )
        except IntegrityError:
            existing = Refund.objects.get(key=key)
    if existing.payment_id != payment.pk or existing.amount != amount:
        raise RefundNotAllowed("This refund key was used for another refund.", key=key)
    return existing


def refunded_total(*, payment: Payment) -> Decimal:
    """Money given back or owed back: every refund recorded (a FAILED one is
    still owed; `refund_perform` retries it)."""
    total = payment.refunds.aggregate(total=Sum("amount"))["total"]
    return to_money(total or 0)


@transaction.atomic
def refund_record_result(*, refund: Refund, succeeded: bool, reference: str = "", message: str = "") -> Refund:
    """Store the provider's answer to a refund and bring the payment's status
    along (REFUNDED when everything went back, else PARTIALLY_REFUNDED).
    Locks the payment, then the refund. A refund already SUCCEEDED stays so."""
    payment = _locked(refund.payment)
    refund = Refund.objects.select_for_update().get(pk=refund.pk)
    if refund.status == RefundStatus.SUCCEEDED:
        return refund
    refund.status = RefundStatus.SUCCEEDED if succeeded else RefundStatus.FAILED
    refund.reference = reference or refund.reference
    refund.failure_message = "" if succeeded else message[:255]
    refund.save(update_fields=["status", "reference", "failure_message", "updated_at"])
    if succeeded:
        done = payment.refunds.filter(status=RefundStatus.SUCCEEDED).aggregate(total=Sum("amount"))["total"]
        payment.status = PaymentStatus.REFUNDED if done >= payment.amount else PaymentStatus.PARTIALLY_REFUNDED
        payment.save(update_fields=["status", "updated_at"])
    return refund


def refund_perform(*, refund_id: int) -> Refund:
    """Ask the provider to pay the refund back, then record its answer.
    Calls the network: run it OUTSIDE any transaction (`transaction.on_commit`
    or a retry job). Safe to repeat: a succeeded refund is left alone and the
    provider gets the refund's key as its idempotency key. A provider that is
    down leaves the refund FAILED with the message: it is still owed (retry
    by calling again; `selectors.refunds_to_retry`)."""
    refund = Refund.objects.select_related("payment").get(pk=refund_id)
    if refund.status == RefundStatus.SUCCEEDED:
        return refund
    try:
        reference = get_provider(refund.payment.provider).refund(refund.payment, refund.amount, refund.key)
    except ProviderUnavailable as exc:
        return refund_record_result(refund=refund, succeeded=False, message=exc.message)
    return refund_record_result(refund=refund, succeeded=True, reference=reference)


def webhook_mark_processed(*, provider: str, event_id: str) -> bool:
    """Claim a provider event: True the first time, False if it was already
    applied. Call it inside the transaction that applies the event, so a
    rollback un-claims it. The unique constraint decides between racing
    deliveries (the second waits for the first's commit, then gets False)."""
    try:
        with transaction.atomic():
            ProcessedWebhook.objects.create(provider=provider, event_id=event_id)
    except IntegrityError:
        return False
    return True


class NoticeApplied(NamedTuple):
    duplicate: bool  # this event was applied before: do nothing, answer 200
    changed: bool  # this call moved the payment (confirm the order / note the failure only then)


@transaction.atomic
def payment_apply_notice(*, payment: Payment, notice: WebhookNotice) -> NoticeApplied:
    """Apply a verified webhook to its payment, once per event. Locks the
    payment; call it inside the transaction that locked the order first, and
    let any exception roll that transaction back (the event is then unclaimed
    and a redelivery is judged afresh).

    Raises UnknownPayment if the notice names another payment or provider,
    PaymentMismatch if its amount or currency is not the payment's."""
    if notice.payment_id != payment.pk or notice.provider != payment.provider:
        raise UnknownPayment("No such payment.", payment_id=notice.payment_id)
    if not webhook_mark_processed(provider=notice.provider, event_id=notice.event_id):
        return NoticeApplied(duplicate=True, changed=False)
    changed = payment_record_outcome(
        payment=payment,
        succeeded=notice.succeeded,
        reference=notice.reference,
        message=notice.message or "The payment failed.",
        amount=notice.amount,
        currency=notice.currency,
    )
    return NoticeApplied(duplicate=False, changed=changed)
