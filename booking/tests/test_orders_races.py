"""Orders racing on real row locks (MariaDB/MySQL only): real threads, each
with its own connection, released together (booking/tests/test_races.py)."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from booking.models import Booking, BookingSeat, BookingStatus, SeatStatus, ShowSeat
from booking.services import (
    booking_cancel,
    booking_confirm,
    order_pay,
    orders_expire_overdue,
    payment_webhook_receive,
    seats_hold,
    show_cancel,
)
from booking.tests.helpers import make_show, seat_ids
from booking.tests.test_races import run_together
from events.models import OutboxEvent
from payments.models import Payment, PaymentStatus, Refund
from payments.testing import sign, webhook_body
from tests.factories import StaffFactory, UserFactory

pytestmark = [
    pytest.mark.mysql_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("payments_on"),
]

CARD_OK = "4242424242424242"


def _pending(user, show, names=("A1", "A2")):
    ids = seat_ids(show, *names)
    seats_hold(user=user, show=show, seat_ids=ids)
    return booking_confirm(user=user, show=show, seat_ids=ids).booking


def _deliver(payment, event="evt_1"):
    body = webhook_body(
        event_id=event, type="payment.succeeded", payment_id=payment.pk, amount=payment.amount, currency="INR"
    )
    return payment_webhook_receive(provider_name="test", body=body, headers={"Payment-Signature": sign(body)})


def _expire(order):
    past = timezone.now() - timedelta(seconds=1)
    ShowSeat.objects.filter(held_until=order.expires_at, held_by_id=order.user_id).update(held_until=past)
    Booking.objects.filter(pk=order.pk).update(expires_at=past)


def _no_double_sale(show):
    active = Counter(
        BookingSeat.objects.filter(show_seat__show=show, active=True).values_list("show_seat_id", flat=True)
    )
    assert all(n == 1 for n in active.values()), "a seat is in two active orders"
    for order in Booking.objects.filter(show=show, status=BookingStatus.CONFIRMED):
        ids = set(order.lines.values_list("show_seat_id", flat=True))
        assert set(order.lines.filter(active=True).values_list("show_seat_id", flat=True)) == ids
        assert ShowSeat.objects.filter(pk__in=ids, status=SeatStatus.SOLD, held_until__isnull=True).count() == len(ids)


def _no_money_kept_for_unsold_seats():
    for payment in Payment.objects.filter(status__in=[PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED]):
        order = Booking.objects.get(pk=payment.order_id)
        if order.status != BookingStatus.CONFIRMED:
            assert Refund.objects.filter(payment=payment).exists(), f"order {order.pk} kept money, sold nothing"


def test_a_webhook_racing_confirm_payment_confirms_once_and_emails_once():
    show = make_show()
    for _ in range(3):
        mail.outbox.clear()
        order = _pending(UserFactory(), show, names=("A1", "A2"))
        payment = Payment.objects.get(order_id=order.pk)
        results = run_together(
            [
                lambda order=order: order_pay(order=order, card_number=CARD_OK),
                lambda payment=payment, event=f"evt_{order.pk}": _deliver(payment, event),
            ]
        )
        assert all(ok for ok, _ in results), results
        order.refresh_from_db()
        assert order.status == BookingStatus.CONFIRMED
        assert OutboxEvent.objects.filter(type="booking.confirmed", data__order_id=order.pk).count() == 1
        assert len([m for m in mail.outbox if order.code in m.body]) == 1
        _no_double_sale(show)
        booking_cancel(booking=order, by=order.user)


def test_the_same_webhook_delivered_twice_at_once_is_applied_once():
    show = make_show()
    order = _pending(UserFactory(), show)
    payment = Payment.objects.get(order_id=order.pk)
    results = run_together([lambda: _deliver(payment), lambda: _deliver(payment)])
    assert all(ok for ok, _ in results), results
    assert sorted(r.applied for _, r in results) == [False, True]
    assert OutboxEvent.objects.filter(type="payment.succeeded").count() == 1
    assert Booking.objects.get(pk=order.pk).status == BookingStatus.CONFIRMED


def test_late_money_racing_a_new_buyer_sells_each_seat_once_and_keeps_no_money_for_unsold_seats():
    for round_ in range(3):
        show = make_show("SSSS")
        late = _pending(UserFactory(), show, names=("A1", "A2"))
        _expire(late)
        buyer = UserFactory()
        payment = Payment.objects.get(order_id=late.pk)

        def new_buyer(buyer=buyer, show=show):
            ids = seat_ids(show, "A2", "A3")
            seats_hold(user=buyer, show=show, seat_ids=ids)
            order = booking_confirm(user=buyer, show=show, seat_ids=ids).booking
            return order_pay(order=order, card_number=CARD_OK)

        results = run_together([lambda payment=payment, event=f"late_{round_}": _deliver(payment, event), new_buyer])
        late.refresh_from_db()
        assert results[0][0], results[0]
        if late.status == BookingStatus.CONFIRMED:
            assert not results[1][0]  # the new buyer found A2 sold
        else:
            assert late.status == BookingStatus.EXPIRED
            assert Refund.objects.get(payment=payment).amount == payment.amount
        _no_double_sale(show)
        _no_money_kept_for_unsold_seats()


def test_show_cancel_racing_orders_leaves_no_live_order_on_the_show():
    show = make_show("SSSSSSSS")
    staff = StaffFactory()
    buyers = [UserFactory() for _ in range(6)]
    for i, buyer in enumerate(buyers):
        seats_hold(user=buyer, show=show, seat_ids=seat_ids(show, f"A{i + 1}"))

    def order(buyer, i):
        placed = booking_confirm(user=buyer, show=show, seat_ids=seat_ids(show, f"A{i + 1}")).booking
        return order_pay(order=placed, card_number=CARD_OK)

    jobs = [lambda b=b, i=i: order(b, i) for i, b in enumerate(buyers)] + [lambda: show_cancel(show=show, by=staff)]
    results = run_together(jobs)
    assert results[-1][0], results[-1]
    for ok, value in results[:-1]:
        assert ok or getattr(value, "code", "") in ("SHOW_CANCELLED", "ORDER_NOT_PAYABLE"), value
    # Whatever was paid is refunded; nothing stands on the show.
    live = Booking.objects.filter(show=show).exclude(status=BookingStatus.CANCELLED)
    assert not live.filter(status__in=[BookingStatus.CONFIRMED]).exists()
    _no_money_kept_for_unsold_seats()
    assert not BookingSeat.objects.filter(show_seat__show=show, active=True).exists()


def test_two_sweeps_at_once_expire_each_order_once():
    show = make_show("SSSSSSSS")
    for i in range(4):
        _expire(_pending(UserFactory(), show, names=(f"A{i + 1}",)))
    results = run_together([orders_expire_overdue, orders_expire_overdue])
    assert all(ok for ok, _ in results), results
    assert sum(n for _, n in results) == 4
    assert OutboxEvent.objects.filter(type="order.expired").count() == 4
    assert connection.vendor == "mysql"


def test_two_orders_of_one_show_are_locked_side_by_side_and_show_cancel_waits_for_both():
    """booking_lock shares the show row: two payments' locks are held at once
    (each waits at the barrier inside its transaction), while show_cancel's
    exclusive lock waits until both have committed."""
    import threading
    import time

    from django.db import transaction

    from booking.services.locking import booking_lock

    show = make_show("SSSS")
    orders = [_pending(UserFactory(), show, names=(name,)) for name in ("A1", "A2")]
    inside = threading.Barrier(2, timeout=5)
    finished = []

    def pay_lock(order):
        with transaction.atomic():
            booking_lock(order.pk, order.show_id)
            inside.wait()  # a BrokenBarrierError here: the second lock waited for the first
            time.sleep(0.3)
            finished.append(("order", time.monotonic()))

    def cancel():
        time.sleep(0.1)  # both order locks are taken by now
        show_cancel(show=show, by=StaffFactory())
        finished.append(("cancel", time.monotonic()))

    results = run_together([lambda o=o: pay_lock(o) for o in orders] + [cancel])
    assert all(ok for ok, _ in results), results
    assert [kind for kind, _ in sorted(finished, key=lambda f: f[1])] == ["order", "order", "cancel"]
    assert Booking.objects.filter(show=show, status=BookingStatus.CANCELLED).count() == 2


def test_locking_an_orders_seats_leaves_the_shows_other_seats_free_to_hold():
    """order_seats_lock reads the lines in a subquery: the plan must lock only
    the order's seats, not every seat of the show it scanned past."""
    import threading

    from django.db import transaction

    from booking.services.locking import order_seats_lock

    show = make_show("SSSSSSSS")
    order = _pending(UserFactory(), show, names=("A4", "A5"))
    locked_in, done = threading.Event(), threading.Event()

    def pay_side():
        with transaction.atomic():
            seats = order_seats_lock(order)
            assert [s.pk for s in seats] == seat_ids(show, "A4", "A5")
            locked_in.set()
            done.wait(timeout=10)

    def other_buyer():
        locked_in.wait(timeout=5)
        try:
            for name in ("A1", "A8"):
                seats_hold(user=UserFactory(), show=show, seat_ids=seat_ids(show, name))
        finally:
            done.set()

    results = run_together([pay_side, other_buyer])
    assert all(ok for ok, _ in results), results  # a lock wait here would be a LockTimeout
