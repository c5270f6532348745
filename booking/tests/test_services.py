"""Service tests for holds, releases, bookings, cancellation and the
transaction wrapper. The clock is moved by passing ``now=``, never by sleeping."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import OperationalError, transaction
from django.utils import timezone

from booking import selectors, services
from booking.exceptions import (
    CancellationClosed,
    HoldExpired,
    HoldLimitExceeded,
    IdempotencyKeyReused,
    InvalidRequest,
    LockTimeout,
    NotAllowed,
    SeatNotHeld,
    SeatUnavailable,
    ShowStarted,
)
from booking.models import Booking, BookingSeat, BookingStatus, IdempotencyRecord, SeatStatus, ShowSeat
from booking.services import (
    booking_cancel,
    booking_confirm,
    bookings,
    locking,
    request_fingerprint,
    seats_hold,
    seats_release,
    seats_release_all,
)
from booking.tests.helpers import make_show, seat_ids, snapshot
from catalog.models import Movie, Show
from cinema.errors import DomainError
from tests.factories import BookingFactory, BookingSeatFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

HOLD = timedelta(seconds=600)


@pytest.fixture
def show():
    return make_show("SSSS\nPPPP")


@pytest.fixture
def alice():
    return UserFactory()


@pytest.fixture
def bob():
    return UserFactory()


@pytest.fixture
def now():
    return timezone.now()


def book(user, show, names, now, **kwargs):
    ids = seat_ids(show, *names)
    seats_hold(user=user, show=show, seat_ids=ids, now=now)
    return booking_confirm(user=user, show=show, seat_ids=ids, now=now, **kwargs).booking


# --------------------------------------------------------------------------
# hold
# --------------------------------------------------------------------------
def test_hold_locks_every_seat_for_the_hold_time(show, alice, now):
    ids = seat_ids(show, "A1", "A2")
    hold = seats_hold(user=alice, show=show, seat_ids=ids, now=now)
    assert hold.expires_at == now + HOLD
    assert [s.pk for s in hold.seats] == sorted(ids)
    assert [s.seat.name for s in hold.seats] == ["A1", "A2"]
    for seat in ShowSeat.objects.filter(pk__in=ids):
        assert (seat.status, seat.held_by, seat.held_at, seat.held_until) == (SeatStatus.LOCKED, alice, now, now + HOLD)
        assert seat.version == 1


def test_hold_is_all_or_nothing(show, alice, bob, now):
    seats_hold(user=bob, show=show, seat_ids=seat_ids(show, "A2"), now=now)
    before = snapshot(show)
    with pytest.raises(SeatUnavailable) as exc:
        seats_hold(user=alice, show=show, seat_ids=seat_ids(show, "A1", "A2", "A3"), now=now)
    assert exc.value.details["seats"] == seat_ids(show, "A2")
    assert exc.value.status == 409 and exc.value.code == "SEAT_UNAVAILABLE"
    assert snapshot(show) == before


def test_sold_seat_cannot_be_held(show, alice, bob, now):
    book(bob, show, ["A1"], now)
    with pytest.raises(SeatUnavailable):
        seats_hold(user=alice, show=show, seat_ids=seat_ids(show, "A1"), now=now)


def test_an_expired_hold_is_free_for_anyone(show, alice, bob, now):
    ids = seat_ids(show, "A1")
    seats_hold(user=bob, show=show, seat_ids=ids, now=now)
    with pytest.raises(SeatUnavailable):
        seats_hold(user=alice, show=show, seat_ids=ids, now=now + HOLD - timedelta(seconds=1))
    later = now + HOLD
    hold = seats_hold(user=alice, show=show, seat_ids=ids, now=later)
    assert hold.expires_at == later + HOLD
    assert ShowSeat.objects.get(pk=ids[0]).held_by == alice


def test_re_holding_does_not_extend_the_hold(show, alice, now):
    a1, a2 = seat_ids(show, "A1", "A2")
    seats_hold(user=alice, show=show, seat_ids=[a1], now=now)
    later = now + timedelta(seconds=100)
    hold = seats_hold(user=alice, show=show, seat_ids=[a1, a2], now=later)
    assert ShowSeat.objects.get(pk=a1).held_until == now + HOLD
    assert ShowSeat.objects.get(pk=a2).held_until == later + HOLD
    assert hold.expires_at == now + HOLD  # the earliest of the seats
    assert ShowSeat.objects.get(pk=a1).version == 1  # untouched


def test_re_holding_an_own_expired_hold_starts_a_new_one(show, alice, now):
    ids = seat_ids(show, "A1")
    seats_hold(user=alice, show=show, seat_ids=ids, now=now)
    later = now + HOLD + timedelta(seconds=5)
    assert seats_hold(user=alice, show=show, seat_ids=ids, now=later).expires_at == later + HOLD


def test_hold_limit_is_per_user_and_per_show(show, alice, bob, now, settings):
    settings.MAX_SEATS_PER_BOOKING = 3
    seats_hold(user=alice, show=show, seat_ids=seat_ids(show, "A1", "A2"), now=now)
    before = snapshot(show)
    with pytest.raises(HoldLimitExceeded) as exc:
        seats_hold(user=alice, show=show, seat_ids=seat_ids(show, "A3", "A4"), now=now)
    assert exc.value.details == {"limit": 3, "held": 2}
    assert exc.value.code == "HOLD_LIMIT"
    assert snapshot(show) == before
    # Re-holding what you hold does not count twice.
    seats_hold(user=alice, show=show, seat_ids=seat_ids(show, "A1", "A2", "A3"), now=now)
    # Others and other shows are not affected.
    seats_hold(user=bob, show=show, seat_ids=seat_ids(show, "B1", "B2", "B3"), now=now)
    other = make_show("SSSS")
    seats_hold(user=alice, show=other, seat_ids=seat_ids(other, "A1", "A2", "A3"), now=now)


def test_expired_holds_do_not_count_toward_the_limit(show, alice, now, settings):
    settings.MAX_SEATS_PER_BOOKING = 2
    seats_hold(user=alice, show=show, seat_ids=seat_ids(show, "A1", "A2"), now=now)
    seats_hold(user=alice, show=show, seat_ids=seat_ids(show, "A3", "A4"), now=now + HOLD)


def test_one_request_over_the_limit_is_refused_before_locking(show, alice, now, settings):
    settings.MAX_SEATS_PER_BOOKING = 3
    with pytest.raises(HoldLimitExceeded):
        seats_hold(user=alice, show=show, seat_ids=seat_ids(show, "A1", "A2", "A3", "A4"), now=now)
    assert not ShowSeat.objects.filter(show=show, status=SeatStatus.LOCKED).exists()


def test_no_holds_once_the_show_started(show, alice):
    with pytest.raises(ShowStarted) as exc:
        seats_hold(user=alice, show=show, seat_ids=seat_ids(show, "A1"), now=show.start_time)
    assert exc.value.code == "SHOW_STARTED"


@pytest.mark.parametrize("bad", [[], ["x"], None])
def test_hold_rejects_malformed_seat_lists(show, alice, now, bad):
    with pytest.raises(InvalidRequest):
        seats_hold(user=alice, show=show, seat_ids=bad, now=now)


def test_hold_rejects_seats_of_another_show(show, alice, now):
    other = make_show("SS")
    foreign = seat_ids(other, "A1")
    with pytest.raises(InvalidRequest) as exc:
        seats_hold(user=alice, show=show, seat_ids=seat_ids(show, "A1") + foreign, now=now)
    assert exc.value.details["seats"] == foreign
    assert not ShowSeat.objects.filter(status=SeatStatus.LOCKED).exists()


# --------------------------------------------------------------------------
# release
# --------------------------------------------------------------------------
def test_release_frees_own_seats_only(show, alice, bob, now):
    a1, a2 = seat_ids(show, "A1", "A2")
    seats_hold(user=alice, show=show, seat_ids=[a1], now=now)
    seats_hold(user=bob, show=show, seat_ids=[a2], now=now)
    before = snapshot(show)
    with pytest.raises(SeatNotHeld) as exc:
        seats_release(user=alice, show=show, seat_ids=[a1, a2])
    assert exc.value.details["seats"] == [a2]
    assert snapshot(show) == before
    assert seats_release(user=alice, show=show, seat_ids=[a1]) == [a1]
    seat = ShowSeat.objects.get(pk=a1)
    assert (seat.status, seat.held_by, seat.held_until, seat.version) == (SeatStatus.AVAILABLE, None, None, 2)


def test_release_of_a_free_or_unknown_seat_is_refused(show, alice, now):
    with pytest.raises(SeatNotHeld):
        seats_release(user=alice, show=show, seat_ids=seat_ids(show, "A1"))
    with pytest.raises(InvalidRequest):
        seats_release(user=alice, show=show, seat_ids=seat_ids(make_show("S"), "A1"))


def test_releasing_an_own_expired_hold_is_harmless(show, alice, now):
    ids = seat_ids(show, "A1")
    seats_hold(user=alice, show=show, seat_ids=ids, now=now - HOLD * 2)
    assert seats_release(user=alice, show=show, seat_ids=ids) == ids


def test_release_all_frees_every_own_hold_on_the_show(show, alice, bob, now):
    mine = seat_ids(show, "A1", "A2")
    seats_hold(user=alice, show=show, seat_ids=mine[:1], now=now - HOLD * 2)  # expired
    seats_hold(user=alice, show=show, seat_ids=mine[1:], now=now)
    seats_hold(user=bob, show=show, seat_ids=seat_ids(show, "A3"), now=now)
    other = make_show("SS")
    seats_hold(user=alice, show=other, seat_ids=seat_ids(other, "A1"), now=now)
    assert seats_release_all(user=alice, show=show) == mine
    assert list(ShowSeat.objects.filter(status=SeatStatus.LOCKED).values_list("held_by", flat=True)) == [
        bob.pk,
        alice.pk,
    ]
    assert seats_release_all(user=alice, show=show) == []


# --------------------------------------------------------------------------
# book
# --------------------------------------------------------------------------
def test_confirm_sells_held_seats_and_prices_them(show, alice, now):
    ids = seat_ids(show, "A1", "B1")
    seats_hold(user=alice, show=show, seat_ids=ids, now=now)
    outcome = booking_confirm(user=alice, show=show, seat_ids=ids, now=now)
    booking = outcome.booking
    assert not outcome.replayed and outcome.record is None
    assert booking.status == BookingStatus.CONFIRMED and booking.user == alice
    assert booking.total == Decimal("500.00") and booking.currency == "INR"
    assert len(booking.code) == 8 and set(booking.code) <= set(services.CODE_ALPHABET)
    lines = list(booking.lines.order_by("seat_name").values_list("seat_name", "seat_type", "price", "active"))
    assert lines == [("A1", "STANDARD", Decimal("200.00"), True), ("B1", "PREMIUM", Decimal("300.00"), True)]
    for seat in ShowSeat.objects.filter(pk__in=ids):
        assert (seat.status, seat.held_by, seat.held_until, seat.version) == (SeatStatus.SOLD, None, None, 2)


def test_confirmation_email_is_sent_after_commit(show, alice, now, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(alice, show, ["A1"], now)
    assert len(mail.outbox) == 1
    assert booking.code in mail.outbox[0].subject and mail.outbox[0].to == [alice.email]


def test_confirm_needs_every_seat_held_by_the_caller(show, alice, bob, now):
    a1, a2, a3 = seat_ids(show, "A1", "A2", "A3")
    seats_hold(user=alice, show=show, seat_ids=[a1], now=now)
    seats_hold(user=bob, show=show, seat_ids=[a2], now=now)
    before = snapshot(show)
    with pytest.raises(SeatNotHeld) as exc:
        booking_confirm(user=alice, show=show, seat_ids=[a1, a2, a3], now=now)
    assert exc.value.details["seats"] == [a2, a3]
    assert snapshot(show) == before and not Booking.objects.exists()


def test_confirm_refuses_an_expired_hold(show, alice, now):
    ids = seat_ids(show, "A1")
    seats_hold(user=alice, show=show, seat_ids=ids, now=now)
    with pytest.raises(HoldExpired) as exc:
        booking_confirm(user=alice, show=show, seat_ids=ids, now=now + HOLD)
    assert exc.value.code == "HOLD_EXPIRED" and exc.value.details["seats"] == ids
    assert not Booking.objects.exists()
    assert ShowSeat.objects.get(pk=ids[0]).status == SeatStatus.LOCKED


def test_confirm_refuses_once_the_show_started(show, alice, now):
    ids = seat_ids(show, "A1")
    seats_hold(user=alice, show=show, seat_ids=ids, now=now)
    with pytest.raises(ShowStarted):
        booking_confirm(user=alice, show=show, seat_ids=ids, now=show.start_time + timedelta(seconds=1))


def test_confirm_refuses_unknown_seats(show, alice, now):
    with pytest.raises(InvalidRequest):
        booking_confirm(user=alice, show=show, seat_ids=seat_ids(make_show("S"), "A1"), now=now)


def test_the_database_has_the_last_word_on_a_double_sale(show, alice, now):
    ids = seat_ids(show, "A1")
    # A stray active sale the seat row does not know about (only a bug could do this).
    BookingSeatFactory(booking=BookingFactory(show=show), show_seat_id=ids[0])
    seats_hold(user=alice, show=show, seat_ids=ids, now=now)
    with pytest.raises(SeatUnavailable):
        booking_confirm(user=alice, show=show, seat_ids=ids, now=now)
    assert Booking.objects.count() == 1
    assert ShowSeat.objects.get(pk=ids[0]).status == SeatStatus.LOCKED


def test_booking_codes_are_unique_even_when_the_dice_repeat(show, alice, now, monkeypatch):
    first = book(alice, show, ["A1"], now)
    codes = iter([first.code, first.code, "ZZZZ2222"])
    monkeypatch.setattr(bookings, "_new_code", lambda: next(codes))
    assert book(alice, show, ["A2"], now).code == "ZZZZ2222"


# --------------------------------------------------------------------------
# idempotency
# --------------------------------------------------------------------------
def test_same_key_and_body_replays_the_first_booking(show, alice, now):
    ids = seat_ids(show, "A1")
    fp = request_fingerprint({"show_id": show.pk, "seat_ids": ids})
    respond = lambda booking: (201, {"booking_id": booking.pk})  # noqa: E731
    first = book(alice, show, ["A1"], now, idempotency_key="k1", fingerprint=fp, respond=respond)
    record = IdempotencyRecord.objects.get(user=alice, key="k1")
    assert record.booking == first
    again = booking_confirm(user=alice, show=show, seat_ids=ids, idempotency_key="k1", fingerprint=fp, now=now)
    assert again.replayed and again.booking == first
    assert (again.record.response_status, again.record.response_body) == (201, {"booking_id": first.pk})
    # Replays work even after the show started: the answer is already decided.
    late = booking_confirm(
        user=alice, show=show, seat_ids=ids, idempotency_key="k1", fingerprint=fp, now=show.start_time
    )
    assert late.replayed and Booking.objects.count() == 1


def test_same_key_other_body_is_refused(show, alice, now):
    book(alice, show, ["A1"], now, idempotency_key="k1", fingerprint="a")
    ids = seat_ids(show, "A2")
    seats_hold(user=alice, show=show, seat_ids=ids, now=now)
    before = snapshot(show)
    with pytest.raises(IdempotencyKeyReused) as exc:
        booking_confirm(user=alice, show=show, seat_ids=ids, idempotency_key="k1", fingerprint="b", now=now)
    assert (exc.value.status, exc.value.code) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert snapshot(show) == before and Booking.objects.count() == 1


def test_keys_are_scoped_to_the_user(show, alice, bob, now):
    book(alice, show, ["A1"], now, idempotency_key="k", fingerprint="same")
    theirs = book(bob, show, ["A2"], now, idempotency_key="k", fingerprint="same")
    assert theirs.user == bob and Booking.objects.count() == 2


def test_a_failed_request_stores_no_key(show, alice, now):
    ids = seat_ids(show, "A1")
    with pytest.raises(SeatNotHeld):
        booking_confirm(user=alice, show=show, seat_ids=ids, idempotency_key="k", fingerprint="f", now=now)
    assert not IdempotencyRecord.objects.exists()
    seats_hold(user=alice, show=show, seat_ids=ids, now=now)
    outcome = booking_confirm(user=alice, show=show, seat_ids=ids, idempotency_key="k", fingerprint="f", now=now)
    assert not outcome.replayed


def test_keys_are_kept_a_day_then_forgotten(alice):
    show = make_show("SS", starts_in=timedelta(days=3))
    now = timezone.now()
    first = book(alice, show, ["A1"], now, idempotency_key="k", fingerprint="f")
    ids = seat_ids(show, "A2")
    day = now + timedelta(hours=23, minutes=59)
    seats_hold(user=alice, show=show, seat_ids=ids, now=day)
    replay = booking_confirm(
        user=alice, show=show, seat_ids=seat_ids(show, "A1"), idempotency_key="k", fingerprint="f", now=day
    )
    assert replay.replayed and replay.booking == first
    with pytest.raises(IdempotencyKeyReused):
        booking_confirm(user=alice, show=show, seat_ids=ids, idempotency_key="k", fingerprint="g", now=day)
    later = now + timedelta(hours=24, minutes=1)
    seats_hold(user=alice, show=show, seat_ids=ids, now=later)
    second = booking_confirm(user=alice, show=show, seat_ids=ids, idempotency_key="k", fingerprint="g", now=later)
    assert not second.replayed and second.booking != first
    assert IdempotencyRecord.objects.get(user=alice, key="k").booking == second.booking


def test_overlong_keys_are_refused(show, alice, now):
    ids = seat_ids(show, "A1")
    seats_hold(user=alice, show=show, seat_ids=ids, now=now)
    with pytest.raises(InvalidRequest):
        booking_confirm(user=alice, show=show, seat_ids=ids, idempotency_key="k" * 256, now=now)
    booking_confirm(user=alice, show=show, seat_ids=ids, idempotency_key="k" * 255, now=now)


# --------------------------------------------------------------------------
# cancel
# --------------------------------------------------------------------------
def test_cancel_frees_the_seats_at_once(show, alice, bob, now):
    booking = book(alice, show, ["A1", "A2"], now)
    ids = seat_ids(show, "A1", "A2")
    cancelled = booking_cancel(booking=booking, by=alice, now=now)
    assert (cancelled.status, cancelled.cancelled_at, cancelled.cancelled_by) == (BookingStatus.CANCELLED, now, alice)
    assert set(ShowSeat.objects.filter(pk__in=ids).values_list("status", flat=True)) == {SeatStatus.AVAILABLE}
    assert list(booking.lines.values_list("active", flat=True)) == [None, None]
    # The seats sell again, with the cancelled lines kept as history.
    again = book(bob, show, ["A1", "A2"], now)
    assert BookingSeat.objects.filter(show_seat_id__in=ids, active=True, booking=again).count() == 2


def test_staff_may_cancel_others_may_not(show, alice, bob, now):
    booking = book(alice, show, ["A1"], now)
    before = snapshot(show)
    with pytest.raises(NotAllowed) as exc:
        booking_cancel(booking=booking, by=bob, now=now)
    assert exc.value.status == 403
    assert snapshot(show) == before
    staff = StaffFactory()
    assert booking_cancel(booking=booking, by=staff, now=now).cancelled_by == staff


def test_cancelling_twice_changes_nothing(show, alice, now):
    booking = book(alice, show, ["A1"], now)
    booking_cancel(booking=booking, by=alice, now=now)
    before = snapshot(show)
    again = booking_cancel(booking=booking, by=alice, now=now + timedelta(minutes=1))
    assert again.cancelled_at == now and snapshot(show) == before
    # ...even after the show started.
    assert booking_cancel(booking=booking, by=alice, now=show.start_time).status == BookingStatus.CANCELLED


def test_no_cancelling_after_the_show_started(show, alice, now):
    booking = book(alice, show, ["A1"], now)
    with pytest.raises(CancellationClosed):
        booking_cancel(booking=booking, by=alice, now=show.start_time)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


# --------------------------------------------------------------------------
# the transaction wrapper
# --------------------------------------------------------------------------
def _flaky(errors):
    calls = []

    @services.locked
    def work():
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return "done"

    return work, calls


def test_deadlocks_are_retried(monkeypatch):
    monkeypatch.setattr(locking.time, "sleep", lambda s: None)
    work, calls = _flaky([OperationalError(1213, "Deadlock found"), OperationalError(1213, "Deadlock found")])
    assert work() == "done" and len(calls) == 3


def test_a_lasting_deadlock_becomes_lock_timeout(monkeypatch):
    monkeypatch.setattr(locking.time, "sleep", lambda s: None)
    work, calls = _flaky([OperationalError(1213, "Deadlock found")] * services.DEADLOCK_RETRIES)
    with pytest.raises(LockTimeout) as exc:
        work()
    assert len(calls) == services.DEADLOCK_RETRIES
    assert (exc.value.status, exc.value.code, exc.value.retry_after) == (503, "LOCK_TIMEOUT", 2)


@pytest.mark.parametrize(
    "error", [OperationalError(1205, "Lock wait timeout exceeded"), OperationalError("database is locked")]
)
def test_lock_wait_timeouts_are_not_retried(error):
    work, calls = _flaky([error])
    with pytest.raises(LockTimeout):
        work()
    assert len(calls) == 1


def test_other_database_errors_pass_through():
    work, _ = _flaky([OperationalError(2006, "MySQL server has gone away")])
    with pytest.raises(OperationalError):
        work()


def test_a_failed_service_call_rolls_back_its_writes(show, alice, now):
    @services.locked
    def half_done():
        from booking.services import holds

        holds._seats_hold.__wrapped__(user=alice, show=show, ids=seat_ids(show, "A1"), now=now)
        raise SeatUnavailable("changed my mind")

    before = snapshot(show)
    with pytest.raises(SeatUnavailable):
        half_done()
    assert snapshot(show) == before


def test_services_refuse_to_run_inside_another_transaction(show, alice, now):
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        seats_hold(user=alice, show=show, seat_ids=seat_ids(show, "A1"), now=now)


def test_lock_waits_and_deadlock_retries_are_counted(monkeypatch):
    from prometheus_client import REGISTRY

    def value(name):
        return REGISTRY.get_sample_value(name) or 0

    monkeypatch.setattr(locking.time, "sleep", lambda s: None)
    timeouts, retries = value("cinema_lock_timeouts_total"), value("cinema_deadlock_retries_total")
    work, _ = _flaky([OperationalError(1213, "Deadlock found"), OperationalError(1205, "Lock wait timeout exceeded")])
    with pytest.raises(LockTimeout):
        work()
    assert value("cinema_deadlock_retries_total") == retries + 1
    assert value("cinema_lock_timeouts_total") == timeouts + 1


@pytest.mark.parametrize(
    "case", ["held by another", "sold", "held by me", "hold lapsed", "movie withdrawn", "show cancelled"]
)
def test_a_seat_seen_taken_gets_the_locked_paths_answer(case):
    """seats_hold with the caller's lock-free reading of the seat (``seen``,
    as PATCH /seats/{id}/lock passes it) and without it (the locked path
    decides): the same answer, whatever state the seat and its show are in."""
    now = timezone.now()
    user, other = UserFactory(), UserFactory()

    def arrange() -> int:
        show = make_show("SSSS")
        (pk,) = seat_ids(show, "A1")
        if case in ("held by another", "movie withdrawn", "show cancelled"):
            seats_hold(user=other, show=show, seat_ids=[pk], now=now)
        if case == "sold":
            ShowSeat.objects.filter(pk=pk).update(status=SeatStatus.SOLD)
        if case == "held by me":
            seats_hold(user=user, show=show, seat_ids=[pk], now=now)
        if case == "hold lapsed":
            seats_hold(user=other, show=show, seat_ids=[pk], now=now - timedelta(hours=1))
        if case == "movie withdrawn":
            Movie.objects.filter(pk=show.movie_id).update(is_active=False)
        if case == "show cancelled":
            Show.objects.filter(pk=show.pk).update(cancelled_at=now)
        return pk

    answers = []
    for seen in (False, True):
        pk = arrange()
        seat = selectors.show_seat_with_show(seat_id=pk)
        try:
            hold = seats_hold(user=user, show=seat.show, seat_ids=[pk], now=now, seen=[seat] if seen else ())
            answers.append(("held", [s.pk == pk for s in hold.seats]))
        except DomainError as exc:
            # Each way has its own show: its ids are compared as "this seat", "this show".
            details = {k: v in ([pk], seat.show_id) for k, v in exc.details.items()}
            answers.append((type(exc).__name__, str(exc), details))
    assert answers[0] == answers[1]
    expected = {
        "held by another": "SeatUnavailable",
        "sold": "SeatUnavailable",
        "held by me": "held",
        "hold lapsed": "held",
        "movie withdrawn": "ShowNotOnSale",
        "show cancelled": "ShowCancelled",
    }[case]
    assert answers[0][0] == expected


def test_adding_to_a_hold_answers_with_every_seat_as_written(now):
    """A hold of a seat already held and a new one: the new one's UPDATE
    waits for the transaction's next round trip (cinema.prepared), and the
    answer, read back from the database, sees it written."""
    show = make_show("SSSS")
    a1, a2 = seat_ids(show, "A1", "A2")
    user = UserFactory()
    first = seats_hold(user=user, show=show, seat_ids=[a1], now=now)
    hold = seats_hold(user=user, show=show, seat_ids=[a1, a2], now=now)
    assert [(s.pk, s.status, s.held_by_id) for s in hold.seats] == [
        (a1, SeatStatus.LOCKED, user.pk),
        (a2, SeatStatus.LOCKED, user.pk),
    ]
    assert hold.expires_at == first.expires_at  # the earlier seat's hold is not extended
    stored = {s.pk: s for s in ShowSeat.objects.filter(pk__in=[a1, a2])}
    assert all(stored[s.pk].held_until == s.held_until for s in hold.seats)
