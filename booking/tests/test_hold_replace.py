"""hold_replace: the seat picker's "hold exactly these" in one transaction."""

from datetime import timedelta

import pytest
from django.utils import timezone

from booking.exceptions import HoldLimitExceeded, SeatUnavailable
from booking.models import ShowSeat
from booking.services import hold_replace, seats_hold
from booking.tests.helpers import make_show, names_of, seat_ids, snapshot
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def show():
    return make_show("SSSSSSSS\nSSSSSSSS")


def held(user, show, now):
    return names_of(ShowSeat.objects.held_by(user, now).filter(show=show).values_list("pk", flat=True))


def test_new_seats_are_held_and_unticked_ones_released(show, now):
    alice = UserFactory()
    seats_hold(user=alice, show=show, seat_ids=seat_ids(show, "A1", "A2"), now=now)
    hold = hold_replace(user=alice, show=show, seat_ids=seat_ids(show, "A2", "A3"), now=now)
    assert names_of(s.pk for s in hold.seats) == ["A2", "A3"]
    assert held(alice, show, now) == ["A2", "A3"]


def test_a_taken_seat_changes_nothing(show, now):
    alice, bob = UserFactory(), UserFactory()
    seats_hold(user=alice, show=show, seat_ids=seat_ids(show, "A1"), now=now)
    seats_hold(user=bob, show=show, seat_ids=seat_ids(show, "B1"), now=now)
    before = snapshot(show)
    with pytest.raises(SeatUnavailable):
        hold_replace(user=alice, show=show, seat_ids=seat_ids(show, "A2", "B1"), now=now)
    assert snapshot(show) == before


def test_the_limit_counts_the_new_selection_only(show, now, settings):
    settings.MAX_SEATS_PER_BOOKING = 4
    alice = UserFactory()
    seats_hold(user=alice, show=show, seat_ids=seat_ids(show, "A1", "A2", "A3", "A4"), now=now)
    hold_replace(user=alice, show=show, seat_ids=seat_ids(show, "B1", "B2", "B3", "B4"), now=now)
    assert held(alice, show, now) == ["B1", "B2", "B3", "B4"]
    before = snapshot(show)
    with pytest.raises(HoldLimitExceeded):
        hold_replace(user=alice, show=show, seat_ids=seat_ids(show, "A1", "A2", "A3", "A4", "A5"), now=now)
    assert snapshot(show) == before


def test_an_own_expired_hold_is_simply_dropped(show, now):
    alice = UserFactory()
    seats_hold(user=alice, show=show, seat_ids=seat_ids(show, "A1"), now=now - timedelta(hours=1))
    hold_replace(user=alice, show=show, seat_ids=seat_ids(show, "A2"), now=now)
    assert held(alice, show, now) == ["A2"]
