"""Real threads on real row locks and unique indexes (MariaDB/MySQL only;
skipped on SQLite, see conftest.py). Each racer runs the service inside its own
durable transaction, as booking's services will, and holds it open a moment
so the others really collide."""

import threading
import time
from decimal import Decimal as D

import pytest
from django.db import connection, transaction

from payments.exceptions import RefundNotAllowed
from payments.models import ProcessedWebhook, Refund
from payments.providers import SUCCEEDED, WebhookNotice
from payments.services import payment_apply_notice, payment_record_outcome, refund_record, webhook_mark_processed
from tests.factories import PaymentFactory

pytestmark = [pytest.mark.mysql_only, pytest.mark.django_db(transaction=True)]

RACERS = 6


def run_together(job, n=RACERS):
    """`job(i)` in n threads released at once, each in a durable transaction
    kept open 0.2 s after the call. Returns one (ok, value_or_exception) per thread."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def target(i):
        try:
            barrier.wait(timeout=10)
            with transaction.atomic(durable=True):
                value = job(i)
                time.sleep(0.2)
            results[i] = (True, value)
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[i] = (False, exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a racer hung"
    return results


def test_the_same_webhook_delivered_at_once_is_claimed_once():
    results = run_together(lambda i: webhook_mark_processed(provider="test", event_id="evt_race"))
    assert all(ok for ok, _ in results), results
    assert sorted(value for _, value in results) == [False] * (RACERS - 1) + [True]
    assert ProcessedWebhook.objects.count() == 1


def test_a_retried_refund_racing_itself_is_recorded_once():
    payment = PaymentFactory(paid=True, amount=D("500.00"))
    results = run_together(lambda i: refund_record(payment=payment, amount=D("500"), key="cancel:race").pk)
    assert all(ok for ok, _ in results), results
    assert len({value for _, value in results}) == 1
    assert Refund.objects.count() == 1


def test_racing_refunds_never_give_back_more_than_was_paid():
    payment = PaymentFactory(paid=True, amount=D("500.00"))
    results = run_together(lambda i: refund_record(payment=payment, amount=D("200"), key=f"part:{i}").pk)
    assert sum(ok for ok, _ in results) == 2
    assert all(isinstance(value, RefundNotAllowed) for ok, value in results if not ok)
    assert sum(r.amount for r in Refund.objects.all()) == D("400.00")


def test_a_webhook_racing_the_card_charge_succeeds_the_payment_once():
    payment = PaymentFactory(amount=D("770.80"))
    results = run_together(
        lambda i: payment_record_outcome(payment=payment, succeeded=True, amount=D("770.80"), currency="INR")
    )
    assert sorted(value for _, value in results) == [False] * (RACERS - 1) + [True]


def test_one_event_delivered_many_times_at_once_moves_the_payment_once():
    payment = PaymentFactory(amount=D("770.80"))
    notice = WebhookNotice(
        provider="test", event_id="evt_dup", type=SUCCEEDED, payment_id=payment.pk, amount=D("770.80"), currency="INR"
    )
    results = run_together(lambda i: payment_apply_notice(payment=payment, notice=notice))
    assert all(ok for ok, _ in results), results
    outcomes = sorted((value.duplicate, value.changed) for _, value in results)
    assert outcomes == [(False, True)] + [(True, False)] * (RACERS - 1)
