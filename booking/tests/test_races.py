"""Real threads racing on real row locks (MariaDB/MySQL only).

Every test releases its threads together with a Barrier; each thread uses its
own database connection and closes it at the end. SQLite serializes writers,
so these prove nothing there and are skipped (see conftest.py).
"""

import contextlib
import random
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from booking.exceptions import BookingError, HoldExpired, LockTimeout, SeatNotHeld, SeatUnavailable
from booking.models import Booking, BookingSeat, BookingStatus, SeatStatus, ShowSeat
from booking.services import booking_cancel, booking_confirm, seats_hold, seats_hold_best
from booking.tests.helpers import make_show
from tests.factories import UserFactory

pytestmark = [pytest.mark.mysql_only, pytest.mark.django_db(transaction=True)]

HOLD = timedelta(seconds=600)


def run_together(jobs):
    """Run each callable in its own thread, all released at once.

    Returns one (ok, value_or_exception) per job, in order.
    """
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def target(i, job):
        try:
            barrier.wait(timeout=10)
            results[i] = (True, job())
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[i] = (False, exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a racer hung"
    return results


@contextlib.contextmanager
def row_locked_elsewhere(table: str, pk: int):
    """The row ``pk`` of ``table`` locked FOR UPDATE by another connection
    (a thread's transaction) until the block ends."""
    from django.db import transaction

    locked, done = threading.Event(), threading.Event()

    def blocker():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE", [pk])
                locked.set()
                done.wait(timeout=6)
        finally:
            connection.close()

    thread = threading.Thread(target=blocker)
    thread.start()
    try:
        assert locked.wait(timeout=5)
        yield
    finally:
        done.set()
        thread.join(timeout=10)


def errors(results):
    return [value for ok, value in results if not ok]


def assert_consistent(show):
    """The invariants the whole design exists for."""
    active = Counter(
        BookingSeat.objects.filter(show_seat__show=show, active=True).values_list("show_seat_id", flat=True)
    )
    assert all(n == 1 for n in active.values()), "a seat is in two active bookings"
    sold = set(ShowSeat.objects.filter(show=show, status=SeatStatus.SOLD).values_list("pk", flat=True))
    assert sold == set(active), "SOLD seats and active booking lines disagree"
    assert not BookingSeat.objects.filter(show_seat__show=show, active=True, booking__status=BookingStatus.CANCELLED)
    for seat in ShowSeat.objects.filter(show=show, status=SeatStatus.LOCKED):
        assert seat.held_by_id and seat.held_until


def test_thirty_people_one_seat_exactly_one_wins():
    show = make_show("SSSS")
    seat = show.show_seats.first()
    users = [UserFactory() for _ in range(30)]
    results = run_together([lambda u=u: seats_hold(user=u, show=show, seat_ids=[seat.pk]) for u in users])
    winners = [i for i, (ok, _) in enumerate(results) if ok]
    assert len(winners) == 1
    assert all(isinstance(e, SeatUnavailable) for e in errors(results)), errors(results)
    seat.refresh_from_db()
    assert seat.status == SeatStatus.LOCKED and seat.held_by == users[winners[0]]


def test_overlapping_multi_seat_holds_are_all_or_nothing():
    show = make_show("SSSSSSSS\nSSSSSSSS")
    pks = list(show.show_seats.values_list("pk", flat=True))
    rng = random.Random(7)
    users = [UserFactory() for _ in range(20)]
    wanted = [rng.sample(pks, 3) for _ in users]
    results = run_together(
        [lambda u=u, w=w: seats_hold(user=u, show=show, seat_ids=w) for u, w in zip(users, wanted, strict=True)]
    )
    assert all(isinstance(e, SeatUnavailable) for e in errors(results)), errors(results)
    claimed = []
    for user, want, (ok, _) in zip(users, wanted, results, strict=True):
        held = set(ShowSeat.objects.filter(held_by=user, status=SeatStatus.LOCKED).values_list("pk", flat=True))
        assert held == (set(want) if ok else set())  # every seat, or none at all
        claimed += want if ok else []
    assert len(claimed) == len(set(claimed)) and claimed
    assert_consistent(show)


def test_bookings_and_hold_attempts_on_the_same_seats():
    show = make_show("SSSSSSSS\nSSSSSSSS")
    pks = sorted(show.show_seats.values_list("pk", flat=True))
    now = timezone.now()
    holders = [UserFactory() for _ in range(8)]
    pairs = [pks[2 * i : 2 * i + 2] for i in range(8)]
    for i, (user, pair) in enumerate(zip(holders, pairs, strict=True)):
        # Every other holder's hold has already lapsed, so attackers may take it.
        seats_hold(user=user, show=show, seat_ids=pair, now=now - HOLD if i % 2 else now)
    attackers = [UserFactory() for _ in range(12)]
    rng = random.Random(11)
    targets = [pairs[rng.randrange(8)] for _ in attackers]
    jobs = [
        lambda u=u, p=p: booking_confirm(user=u, show=show, seat_ids=p) for u, p in zip(holders, pairs, strict=True)
    ]
    jobs += [
        lambda u=u, p=p: seats_hold(user=u, show=show, seat_ids=p) for u, p in zip(attackers, targets, strict=True)
    ]
    jobs += [
        lambda u=u, p=p: booking_confirm(user=u, show=show, seat_ids=p)
        for u, p in zip(attackers[:4], pairs[:4], strict=True)
    ]
    results = run_together(jobs)
    assert all(isinstance(e, SeatUnavailable | SeatNotHeld | HoldExpired) for e in errors(results)), errors(results)
    booked = [ok for ok, _ in results[:8]]
    assert booked == [i % 2 == 0 for i in range(8)]  # live holds book; lapsed ones do not
    confirmed = sum(ok for ok, value in results if ok and hasattr(value, "booking"))
    assert confirmed >= 4 and Booking.objects.filter(show=show).count() == confirmed
    assert_consistent(show)


def test_one_idempotency_key_many_requests_one_booking():
    show = make_show("SSSS")
    user = UserFactory()
    ids = list(show.show_seats.values_list("pk", flat=True)[:2])
    seats_hold(user=user, show=show, seat_ids=ids)
    results = run_together(
        [
            lambda: booking_confirm(user=user, show=show, seat_ids=ids, idempotency_key="same", fingerprint="f")
            for _ in range(10)
        ]
    )
    assert not errors(results), errors(results)
    outcomes = [value for _, value in results]
    assert len({o.booking.pk for o in outcomes}) == 1
    assert sorted(o.replayed for o in outcomes) == [False] + [True] * 9
    assert Booking.objects.count() == 1
    assert_consistent(show)


def test_cancel_racing_with_holds_on_the_freed_seats():
    show = make_show("SSSS")
    owner = UserFactory()
    ids = list(show.show_seats.values_list("pk", flat=True)[:2])
    seats_hold(user=owner, show=show, seat_ids=ids)
    booking = booking_confirm(user=owner, show=show, seat_ids=ids).booking
    grabbers = [UserFactory() for _ in range(10)]
    jobs = [lambda: booking_cancel(booking=booking, by=owner)]
    jobs += [lambda u=u: seats_hold(user=u, show=show, seat_ids=ids) for u in grabbers]
    results = run_together(jobs)
    assert results[0][0], results[0]
    assert all(isinstance(e, SeatUnavailable) for e in errors(results)), errors(results)
    winners = [u for u, (ok, _) in zip(grabbers, results[1:], strict=True) if ok]
    assert len(winners) <= 1
    seats = list(ShowSeat.objects.filter(pk__in=ids))
    if winners:
        assert {(s.status, s.held_by_id) for s in seats} == {(SeatStatus.LOCKED, winners[0].pk)}
    else:
        assert {s.status for s in seats} == {SeatStatus.AVAILABLE}
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert_consistent(show)


def test_many_best_available_requests_never_overlap():
    show = make_show("\n".join(["SSSSSSSSSS"] * 5))
    users = [UserFactory() for _ in range(20)]
    results = run_together([lambda u=u: seats_hold_best(user=u, show=show, quantity=2) for u in users])
    assert not errors(results), errors(results)  # 40 of 50 seats: everyone is served
    taken = [s.pk for _, hold in results for s in hold.seats]
    assert len(taken) == len(set(taken)) == 40
    for user, (_, hold) in zip(users, results, strict=True):
        assert {s.held_by_id for s in ShowSeat.objects.filter(pk__in=[s.pk for s in hold.seats])} == {user.pk}
    assert_consistent(show)


def test_a_busy_row_answers_lock_timeout_instead_of_hanging():
    show = make_show("SS")
    seat = show.show_seats.first()
    with row_locked_elsewhere(ShowSeat._meta.db_table, seat.pk):
        started = time.monotonic()
        with pytest.raises(LockTimeout) as exc:
            seats_hold(user=UserFactory(), show=show, seat_ids=[seat.pk])
        waited = time.monotonic() - started
    assert 2 <= waited < 4.5, waited
    assert isinstance(exc.value, BookingError) and exc.value.status == 503
    seat.refresh_from_db()
    assert seat.status == SeatStatus.AVAILABLE


def test_past_a_sell_out_the_refusal_waits_for_no_lock():
    """A latecomer's refusal on a show found short of seats reads without
    locks: a transaction holding the user's row (their other request, say)
    does not make it wait, where the locked search would (the lock order
    starts with the user row)."""
    from booking.services import holds_best

    show = make_show("SS")
    seats_hold(user=UserFactory(), show=show, seat_ids=[s.pk for s in show.show_seats.all()])
    with pytest.raises(SeatUnavailable):
        seats_hold_best(user=UserFactory(), show=show, quantity=2)  # the locked search: remembered as short
    latecomer = UserFactory()
    with row_locked_elsewhere(latecomer._meta.db_table, latecomer.pk):
        started = time.monotonic()
        with pytest.raises(SeatUnavailable):
            seats_hold_best(user=latecomer, show=show, quantity=2)
        waited = time.monotonic() - started
        holds_best._SHORT.clear()  # forgotten: the locked search waits on the user row
        with pytest.raises(LockTimeout):
            seats_hold_best(user=latecomer, show=show, quantity=2)
    assert waited < 1, waited


def test_a_seat_seen_taken_is_refused_without_waiting_for_its_lock():
    """PATCH /seats/{id}/lock on a seat someone holds: the refusal comes
    from the reading that found the seat's show, so a transaction holding
    the seat's row (its holder buying it, say) does not make it wait, where
    the locked path would."""
    from booking import selectors

    show = make_show("SS")
    seat = show.show_seats.order_by("pk").first()
    seats_hold(user=UserFactory(), show=show, seat_ids=[seat.pk])
    latecomer = UserFactory()
    with row_locked_elsewhere(ShowSeat._meta.db_table, seat.pk):
        seen = selectors.show_seat_with_show(seat_id=seat.pk)
        started = time.monotonic()
        with pytest.raises(SeatUnavailable):
            seats_hold(user=latecomer, show=seen.show, seat_ids=[seat.pk], seen=[seen])
        waited = time.monotonic() - started
        with pytest.raises(LockTimeout):
            seats_hold(user=latecomer, show=seen.show, seat_ids=[seat.pk])
    assert waited < 1, waited
