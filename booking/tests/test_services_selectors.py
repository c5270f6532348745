"""Reads of seat state: lazy expiry, the seat map, its ETag and the counts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from booking.selectors import (
    bookings_for_user,
    holds_for_user,
    seat_counts,
    seat_grid,
    seat_map_for_show,
    seat_map_version,
    show_seat_counts,
)
from booking.services import (
    booking_cancel,
    booking_confirm,
    screen_layout_update,
    seats_hold,
    seats_release,
    show_update,
)
from booking.tests.helpers import make_show, seat_ids
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HOLD = timedelta(seconds=600)


@pytest.fixture
def now():
    return timezone.now()


def test_seat_map_in_one_query_with_lazy_expiry(now, django_assert_num_queries):
    show = make_show("SS_P\nSS")
    alice, bob = UserFactory(), UserFactory()
    seats_hold(user=alice, show=show, seat_ids=seat_ids(show, "A1"), now=now)
    seats_hold(user=bob, show=show, seat_ids=seat_ids(show, "A2"), now=now)
    seats_hold(user=bob, show=show, seat_ids=seat_ids(show, "A3"), now=now - HOLD)  # expired
    b1 = seat_ids(show, "B1")
    seats_hold(user=bob, show=show, seat_ids=b1, now=now)
    booking_confirm(user=bob, show=show, seat_ids=b1, now=now)
    with django_assert_num_queries(1):
        seats = seat_map_for_show(show=show, viewer=alice, now=now)
    by_name = {s["name"]: s for s in seats}
    assert [s["name"] for s in seats] == ["A1", "A2", "A3", "B1", "B2"]
    assert by_name["A1"]["status"] == "LOCKED" and by_name["A1"]["mine"] and by_name["A1"]["expires_at"] == now + HOLD
    assert by_name["A2"]["status"] == "LOCKED" and not by_name["A2"]["mine"] and by_name["A2"]["expires_at"] is None
    assert by_name["A3"]["status"] == "AVAILABLE" and by_name["A3"]["price"] == Decimal("300.00")
    assert by_name["B1"]["status"] == "SOLD"
    # Anonymous viewers own nothing; once the time passes every hold reads as free.
    later = seat_map_for_show(show=show, now=now + HOLD)
    assert {s["name"]: s["status"] for s in later} == {
        "A1": "AVAILABLE",
        "A2": "AVAILABLE",
        "A3": "AVAILABLE",
        "B1": "SOLD",
        "B2": "AVAILABLE",
    }
    grid = seat_grid(seats)
    assert [r["label"] for r in grid] == ["A", "B"]
    assert [c and c["name"] for c in grid[0]["cells"]] == ["A1", "A2", None, "A3"]


def test_etag_moves_on_every_change_and_only_then(now, django_assert_num_queries):
    show = make_show("SSS")
    alice = UserFactory()
    ids = seat_ids(show, "A1", "A2")
    tags = []

    def tag(at=now, viewer=None):
        with django_assert_num_queries(1):
            return seat_map_version(show=show, viewer=viewer, now=at)

    tags.append(tag())
    assert tag() == tags[0]  # stable
    assert tag(viewer=alice) != tags[0]  # "mine" differs per viewer
    seats_hold(user=alice, show=show, seat_ids=ids, now=now)
    tags.append(tag())
    seats_release(user=alice, show=show, seat_ids=ids[1:])
    tags.append(tag())
    tags.append(tag(at=now + HOLD))  # the hold lapsed: nobody wrote anything
    seats_hold(user=alice, show=show, seat_ids=ids[:1], now=now + HOLD)  # renewed after lapsing
    tags.append(tag(at=now + HOLD))
    booking = booking_confirm(user=alice, show=show, seat_ids=ids[:1], now=now + HOLD).booking
    tags.append(tag(at=now + HOLD))
    booking_cancel(booking=booking, by=alice, now=now + HOLD)
    tags.append(tag(at=now + HOLD))
    show = show_update(show=show, prices={"STANDARD": "1.00"})
    tags.append(tag(at=now + HOLD))
    screen_layout_update(screen=show.screen, layout="SSSS", now=now)
    tags.append(tag(at=now + HOLD))
    assert len(set(tags)) == len(tags)


def test_counts_treat_expired_holds_as_free(now):
    show, other = make_show("SSSS"), make_show("SS")
    user = UserFactory()
    seats_hold(user=user, show=show, seat_ids=seat_ids(show, "A1"), now=now)
    seats_hold(user=user, show=show, seat_ids=seat_ids(show, "A2"), now=now - HOLD)
    a3 = seat_ids(show, "A3")
    seats_hold(user=user, show=show, seat_ids=a3, now=now)
    booking_confirm(user=user, show=show, seat_ids=a3, now=now)
    assert seat_counts(show=show, now=now) == {"total": 4, "sold": 1, "held": 1, "free": 2}
    assert seat_counts(show=show, now=now + HOLD) == {"total": 4, "sold": 1, "held": 0, "free": 3}
    many = show_seat_counts(shows=[show, other.pk], now=now)
    assert many[other.pk] == {"total": 2, "sold": 0, "held": 0, "free": 2}


def test_holds_for_user_lists_live_holds_only(now):
    show = make_show("SSSS")
    user = UserFactory()
    seats_hold(user=user, show=show, seat_ids=seat_ids(show, "A3"), now=now)
    seats_hold(user=user, show=show, seat_ids=seat_ids(show, "A1"), now=now - HOLD)
    seats_hold(user=UserFactory(), show=show, seat_ids=seat_ids(show, "A2"), now=now)
    assert [s.seat.name for s in holds_for_user(user=user, show=show, now=now)] == ["A3"]


def test_bookings_for_user_newest_first_without_extra_queries(now, django_assert_num_queries):
    show = make_show("SSSS")
    user = UserFactory()
    made = []
    for name in ("A1", "A2"):
        ids = seat_ids(show, name)
        seats_hold(user=user, show=show, seat_ids=ids, now=now)
        made.append(booking_confirm(user=user, show=show, seat_ids=ids, now=now).booking)
    with django_assert_num_queries(2):
        listed = list(bookings_for_user(user=user))
        assert [b.show.screen.theatre.name for b in listed]
        assert [line.seat_name for b in listed for line in b.lines.all()] == ["A2", "A1"]
    assert listed == made[::-1]
