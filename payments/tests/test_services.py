from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from django.db import transaction

from payments.exceptions import PaymentMismatch, ProviderUnavailable, RefundNotAllowed, UnknownPayment
from payments.models import Payment, PaymentStatus, ProcessedWebhook, Refund, RefundStatus
from payments.money import PriceBreakdown
from payments.providers import FAILED, SUCCEEDED, TestProvider, WebhookNotice
from payments.services import (
    order_price,
    order_refund_amount,
    payment_apply_notice,
    payment_create,
    payment_record_checkout,
    payment_record_outcome,
    refund_perform,
    refund_record,
    refund_record_result,
    refunded_total,
    webhook_mark_processed,
)
from tests.factories import PaymentFactory, RefundFactory

pytestmark = pytest.mark.django_db


def test_order_price_uses_the_settings(settings):
    settings.BOOKING_FEE_PER_SEAT = "20.00"
    settings.TAX_RATE = "0.05"
    b = order_price(line_prices=[D("100"), D("150.50")], currency="INR")
    assert (b.subtotal, b.fees, b.tax, b.total) == (D("250.50"), D("40.00"), D("2.00"), D("292.50"))


def test_order_refund_amount_uses_the_policy_setting(settings):
    settings.CANCELLATION_POLICY = "48h:80"
    b = PriceBreakdown(subtotal=D("100.00"), fees=D("30.00"), tax=D("5.40"), total=D("135.40"), currency="INR")
    show = datetime(2026, 12, 24, 18, tzinfo=UTC)
    assert order_refund_amount(
        breakdown=b, show_starts_at=show, now=datetime(2026, 12, 20, tzinfo=UTC), by_staff=False
    ) == D("80.00")


def test_payment_create_is_pending_with_the_configured_provider():
    payment = payment_create(order_id=5, amount=D("770.8"), currency="INR")
    assert (payment.status, payment.provider, payment.amount, payment.order_id) == ("PENDING", "test", D("770.80"), 5)
    assert len(payment.checkout_token) >= 32 and payment.is_payable and not payment.is_paid
    with pytest.raises(ValueError):
        payment_create(order_id=5, amount=D("0"), currency="INR")


def test_payment_record_checkout():
    payment = payment_record_checkout(payment=PaymentFactory(), checkout_url="/pay/x/", reference="cs_1")
    payment.refresh_from_db()
    assert (payment.checkout_url, payment.reference) == ("/pay/x/", "cs_1")


def test_success_is_recorded_once():
    payment = PaymentFactory()
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert payment_record_outcome(payment=payment, succeeded=True, reference="ch_1", now=now) is True
    assert payment_record_outcome(payment=payment, succeeded=True, reference="ch_2") is False
    payment.refresh_from_db()
    assert (payment.status, payment.reference, payment.succeeded_at) == ("SUCCEEDED", "ch_1", now)


def test_a_decline_leaves_the_payment_payable_and_a_failure_never_undoes_a_success():
    payment = PaymentFactory()
    assert payment_record_outcome(payment=payment, succeeded=False, message="Declined.") is True
    payment.refresh_from_db()
    assert payment.status == "FAILED" and payment.failure_message == "Declined." and payment.is_payable
    assert payment_record_outcome(payment=payment, succeeded=False, message="Declined.") is False
    assert payment_record_outcome(payment=payment, succeeded=True) is True
    assert payment_record_outcome(payment=payment, succeeded=False, message="late failure") is False
    payment.refresh_from_db()
    assert payment.status == "SUCCEEDED" and payment.failure_message == ""


@pytest.mark.parametrize("amount, currency", [(D("770.79"), "INR"), (D("770.80"), "USD"), (D("7708"), "INR")])
def test_a_notice_with_the_wrong_amount_or_currency_changes_nothing(amount, currency):
    payment = PaymentFactory(amount=D("770.80"), currency="INR")
    with pytest.raises(PaymentMismatch) as exc:
        payment_record_outcome(payment=payment, succeeded=True, amount=amount, currency=currency)
    assert exc.value.status == 400 and exc.value.code == "PAYMENT_MISMATCH"
    payment.refresh_from_db()
    assert payment.status == "PENDING"
    assert payment_record_outcome(payment=payment, succeeded=True, amount=D("770.8"), currency="inr") is True


def test_refund_is_recorded_once_per_key():
    payment = PaymentFactory(paid=True, amount=D("500.00"))
    first = refund_record(payment=payment, amount=D("250"), key="cancel:1", reason="Cancelled by the buyer")
    again = refund_record(payment=payment, amount=D("250.00"), key="cancel:1", reason="retry")
    assert first.pk == again.pk and Refund.objects.count() == 1
    assert (first.status, first.amount, first.currency, first.reason) == (
        "PENDING",
        D("250.00"),
        "INR",
        "Cancelled by the buyer",
    )
    with pytest.raises(RefundNotAllowed):
        refund_record(payment=payment, amount=D("100"), key="cancel:1")  # same key, another refund
    with pytest.raises(RefundNotAllowed, match="250.00"):
        refund_record(payment=payment, amount=D("250.01"), key="cancel:2")
    assert refunded_total(payment=payment) == D("250.00")


def test_only_paid_payments_are_refunded():
    with pytest.raises(RefundNotAllowed):
        refund_record(payment=PaymentFactory(), amount=D("1"), key="k")
    with pytest.raises(ValueError):
        refund_record(payment=PaymentFactory(paid=True), amount=D("0"), key="k0")


def test_refund_perform_pays_back_and_moves_the_payment_status():
    payment = PaymentFactory(paid=True, amount=D("500.00"))
    part = refund_record(payment=payment, amount=D("200"), key="a")
    done = refund_perform(refund_id=part.pk)
    payment.refresh_from_db()
    assert (done.status, done.reference, payment.status) == ("SUCCEEDED", "test_re_a", "PARTIALLY_REFUNDED")
    assert refund_perform(refund_id=part.pk).reference == "test_re_a"  # repeat: unchanged
    rest = refund_record(payment=payment, amount=D("300"), key="b")
    refund_perform(refund_id=rest.pk)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED


def test_a_provider_that_is_down_leaves_the_refund_owed(monkeypatch):
    def down(self, payment, amount, key):
        raise ProviderUnavailable("timed out")

    monkeypatch.setattr(TestProvider, "refund", down)
    refund = RefundFactory(payment__amount=D("100.00"), amount=D("100.00"))
    failed = refund_perform(refund_id=refund.pk)
    assert (failed.status, failed.failure_message) == (RefundStatus.FAILED, "timed out")
    with pytest.raises(RefundNotAllowed):  # still owed: nothing more to refund
        refund_record(payment=refund.payment, amount=D("1"), key="other")
    monkeypatch.undo()
    assert refund_perform(refund_id=refund.pk).status == RefundStatus.SUCCEEDED
    assert Payment.objects.get().status == PaymentStatus.REFUNDED


def test_refund_record_result_keeps_a_success():
    refund = RefundFactory()
    refund_record_result(refund=refund, succeeded=True, reference="r1")
    again = refund_record_result(refund=refund, succeeded=False, message="late error")
    assert (again.status, again.reference) == ("SUCCEEDED", "r1")


def test_webhook_events_are_claimed_once_per_provider():
    assert webhook_mark_processed(provider="test", event_id="evt_1") is True
    assert webhook_mark_processed(provider="test", event_id="evt_1") is False
    assert webhook_mark_processed(provider="stripe", event_id="evt_1") is True


def test_a_rolled_back_claim_can_be_claimed_again():
    with pytest.raises(RuntimeError), transaction.atomic():
        assert webhook_mark_processed(provider="test", event_id="evt_9")
        raise RuntimeError("the event's changes failed")
    assert not ProcessedWebhook.objects.exists()
    assert webhook_mark_processed(provider="test", event_id="evt_9") is True


def test_services_run_inside_the_callers_durable_transaction():
    with transaction.atomic(durable=True):
        payment = payment_create(order_id=1, amount=D("10"), currency="INR")
        assert payment_record_outcome(payment=payment, succeeded=True)
        refund = refund_record(payment=payment, amount=D("10"), key="in-txn")
        assert webhook_mark_processed(provider="test", event_id="evt_txn")
    assert Refund.objects.get().pk == refund.pk


def notice(payment, **overrides):
    fields = dict(
        provider="test", event_id="evt_1", type=SUCCEEDED, payment_id=payment.pk, amount=payment.amount, currency="INR"
    )
    return WebhookNotice(**{**fields, **overrides})


def test_a_notice_is_applied_once():
    payment = PaymentFactory()
    assert payment_apply_notice(payment=payment, notice=notice(payment)) == (False, True)
    assert payment_apply_notice(payment=payment, notice=notice(payment)) == (True, False)
    # another event saying the same: applied, changes nothing
    assert payment_apply_notice(payment=payment, notice=notice(payment, event_id="evt_2")) == (False, False)
    payment.refresh_from_db()
    assert payment.status == "SUCCEEDED"


def test_a_failed_notice_marks_the_payment_failed():
    payment = PaymentFactory()
    assert payment_apply_notice(payment=payment, notice=notice(payment, type=FAILED)).changed
    payment.refresh_from_db()
    assert (payment.status, payment.failure_message) == ("FAILED", "The payment failed.")


def test_a_mismatched_notice_changes_nothing_and_is_not_claimed():
    payment = PaymentFactory(amount=D("770.80"))
    with pytest.raises(PaymentMismatch), transaction.atomic():
        payment_apply_notice(payment=payment, notice=notice(payment, amount=D("1.00")))
    payment.refresh_from_db()
    assert payment.status == "PENDING" and not ProcessedWebhook.objects.exists()


def test_a_notice_for_another_payment_or_provider_is_unknown():
    payment, other = PaymentFactory(), PaymentFactory()
    with pytest.raises(UnknownPayment):
        payment_apply_notice(payment=payment, notice=notice(other))
    with pytest.raises(UnknownPayment):
        payment_apply_notice(payment=payment, notice=notice(payment, provider="stripe"))


def test_retry_refunds_command_pays_what_is_owed():
    from django.core.management import call_command

    owed = RefundFactory(payment__amount=D("100.00"), amount=D("100.00"))
    call_command("retry_refunds")
    owed.refresh_from_db()
    assert owed.status == "SUCCEEDED" and owed.payment.status == "REFUNDED"
