"""A property-based walk through the seat services with a controlled clock.

A few users hold, release, book and cancel seats of one small show while the
clock jumps forward (sometimes past a hold's expiry). After every step the
invariants the product promises must hold, and a step that failed must have
changed nothing.
"""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from booking.exceptions import BookingError
from booking.models import Booking, BookingSeat, BookingStatus, IdempotencyRecord, SeatStatus, ShowSeat
from booking.selectors import seat_map_for_show
from booking.services import (
    booking_cancel,
    booking_confirm,
    seats_hold,
    seats_hold_best,
    seats_release,
    seats_release_all,
)
from booking.tests.helpers import make_show, snapshot
from tests.factories import UserFactory

LIMIT = 3
SEATS = 8
USERS = 3

users = st.integers(0, USERS - 1)
picks = st.lists(st.integers(0, SEATS - 1), min_size=1, max_size=4, unique=True)


class SeatMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.show = make_show("SSS_S\nSSSS", starts_in=timedelta(hours=1))
        self.seats = sorted(self.show.show_seats.values_list("pk", flat=True))
        self.users = [UserFactory() for _ in range(USERS)]
        self.now = timezone.now()
        self.bookings: list[Booking] = []

    # -- helpers -----------------------------------------------------------
    def state(self):
        return (
            snapshot(self.show),
            Booking.objects.filter(show=self.show).count(),
            IdempotencyRecord.objects.filter(user__in=self.users).count(),
        )

    def attempt(self, call):
        """Run a service call; if it fails with a domain error, nothing may have changed."""
        before = self.state()
        try:
            return call()
        except BookingError:
            assert self.state() == before, "a failed call changed something"
            return None

    def ids(self, indexes):
        return [self.seats[i] for i in indexes]

    def live_holds(self, user):
        return list(
            ShowSeat.objects.filter(
                show=self.show, held_by=user, status=SeatStatus.LOCKED, held_until__gt=self.now
            ).values_list("pk", flat=True)
        )

    def assert_held(self, hold, user):
        for seat in ShowSeat.objects.filter(pk__in=[s.pk for s in hold.seats]):
            assert seat.is_held_by(user, self.now)
        assert hold.expires_at > self.now

    # -- rules -------------------------------------------------------------
    @rule(u=users, which=picks)
    def hold(self, u, which):
        self._hold(u, which)

    def _hold(self, u, which):
        user = self.users[u]
        before = {pk: ShowSeat.objects.get(pk=pk).held_until for pk in self.live_holds(user)}
        was = {s.pk: s for s in ShowSeat.objects.filter(pk__in=self.ids(which))}
        hold = self.attempt(lambda: seats_hold(user=user, show=self.show, seat_ids=self.ids(which), now=self.now))
        if hold:
            self.assert_held(hold, user)
            assert all(seat.is_free(self.now) or seat.is_held_by(user, self.now) for seat in was.values())
            for seat in hold.seats:  # re-holding never extends a hold
                if seat.pk in before:
                    assert seat.held_until == before[seat.pk]

    @rule(u=users, extra=st.lists(st.integers(0, SEATS - 1), max_size=1))
    def rehold(self, u, extra):
        """Hold again what you hold (plus maybe one more): the old hold must not move."""
        user = self.users[u]
        mine = self.live_holds(user)
        if mine:
            self._hold(u, sorted({self.seats.index(pk) for pk in mine} | set(extra)))

    @rule(u=users, quantity=st.integers(1, LIMIT))
    def hold_best(self, u, quantity):
        user = self.users[u]
        hold = self.attempt(lambda: seats_hold_best(user=user, show=self.show, quantity=quantity, now=self.now))
        if hold:
            assert len(hold.seats) == quantity
            self.assert_held(hold, user)

    @rule(u=users, which=picks)
    def release(self, u, which):
        user = self.users[u]
        if self.attempt(lambda: seats_release(user=user, show=self.show, seat_ids=self.ids(which))):
            assert not ShowSeat.objects.filter(pk__in=self.ids(which)).exclude(status=SeatStatus.AVAILABLE).exists()

    @rule(u=users)
    def release_all(self, u):
        user = self.users[u]
        self.attempt(lambda: seats_release_all(user=user, show=self.show))
        assert not ShowSeat.objects.filter(show=self.show, held_by=user).exists()

    @rule(u=users, which=picks, mine=st.booleans(), key=st.sampled_from([None, "k1", "k2"]))
    def book(self, u, which, mine, key):
        user = self.users[u]
        ids = self.live_holds(user) if mine else self.ids(which)
        if not ids:
            return
        body = sorted(ids)
        outcome = self.attempt(
            lambda: booking_confirm(
                user=user, show=self.show, seat_ids=ids, idempotency_key=key, fingerprint=str(body), now=self.now
            )
        )
        if outcome and not outcome.replayed:
            self.bookings.append(outcome.booking)
            sold = ShowSeat.objects.filter(pk__in=ids)
            assert {s.status for s in sold} == {SeatStatus.SOLD}

    @rule(u=users, index=st.integers(0, 20))
    def cancel(self, u, index):
        if not self.bookings:
            return
        booking = self.bookings[index % len(self.bookings)]
        by = self.users[u]
        done = self.attempt(lambda: booking_cancel(booking=booking, by=by, now=self.now))
        if done:
            assert done.status == BookingStatus.CANCELLED
            assert booking.user == by
            freed = BookingSeat.objects.filter(booking=booking).values_list("show_seat__status", flat=True)
            assert set(freed) <= {SeatStatus.AVAILABLE, SeatStatus.LOCKED}

    @rule(seconds=st.sampled_from([1, 299, 599, 600, 601, 1200]))
    def advance(self, seconds):
        self.now += timedelta(seconds=seconds)

    # -- invariants --------------------------------------------------------
    @invariant()
    def sales_are_single_and_match_the_seats(self):
        active = Counter(
            BookingSeat.objects.filter(show_seat__show=self.show, active=True).values_list("show_seat_id", flat=True)
        )
        assert all(n == 1 for n in active.values()), "a seat is in two active bookings"
        sold = set(ShowSeat.objects.filter(show=self.show, status=SeatStatus.SOLD).values_list("pk", flat=True))
        assert sold == set(active)
        for booking in Booking.objects.filter(show=self.show).prefetch_related("lines"):
            expected = True if booking.status == BookingStatus.CONFIRMED else None
            assert {line.active for line in booking.lines.all()} == {expected}

    @invariant()
    def holds_are_well_formed_and_within_the_limit(self):
        held = ShowSeat.objects.filter(show=self.show, status=SeatStatus.LOCKED)
        assert all(s.held_by_id and s.held_until for s in held)
        live = Counter(s.held_by_id for s in held if s.held_until > self.now)
        assert all(n <= LIMIT for n in live.values())

    @invariant()
    def the_seat_map_reads_the_model(self):
        viewer = self.users[0]
        model = {s.pk: s for s in ShowSeat.objects.filter(show=self.show)}
        for seat in seat_map_for_show(show=self.show, viewer=viewer, now=self.now):
            real = model[seat["id"]]
            assert seat["status"] == real.effective_status(self.now)
            assert seat["mine"] == real.is_held_by(viewer, self.now)


@pytest.mark.django_db
def test_seat_services_keep_their_promises():
    from django.test import override_settings

    with override_settings(MAX_SEATS_PER_BOOKING=LIMIT):
        run_state_machine_as_test(
            SeatMachine,
            settings=settings(
                max_examples=25,
                stateful_step_count=15,
                deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
