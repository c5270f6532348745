"""show_schedule, show_update, show_delete and screen_layout_update."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from booking.exceptions import InvalidRequest, LayoutInUse, ScreenBusy, ShowHasBookings
from booking.models import SeatStatus, ShowSeat
from booking.services import (
    booking_cancel,
    booking_confirm,
    screen_layout_update,
    seats_hold,
    show_delete,
    show_schedule,
    show_update,
)
from booking.tests.helpers import make_show, seat_ids
from catalog.models import Seat, Show
from tests.factories import MovieFactory, ScreenFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now()


def book(show, names, now):
    user = UserFactory()
    ids = seat_ids(show, *names)
    seats_hold(user=user, show=show, seat_ids=ids, now=now)
    return booking_confirm(user=user, show=show, seat_ids=ids, now=now).booking


def seat_names(show) -> list[str]:
    return sorted(f"{r}{n}" for r, n in show.show_seats.values_list("seat__row_label", "seat__number"))


# --------------------------------------------------------------------------
# schedule / update / delete
# --------------------------------------------------------------------------
def test_schedule_sets_prices_and_end_time():
    screen = ScreenFactory(layout="SP")
    start = timezone.now() + timedelta(days=2)
    show = show_schedule(
        movie=MovieFactory(duration_mins=90), screen=screen, start_time=start, prices={"PREMIUM": "450"}
    )
    assert show.price_for("PREMIUM") == Decimal("450") and show.end_time == start + timedelta(minutes=90)
    assert show.show_seats.count() == 2


@pytest.mark.parametrize("prices", [{"GOLD": "1"}, {"STANDARD": "abc"}, {"STANDARD": "-1"}, {"STANDARD": "NaN"}])
def test_schedule_refuses_bad_prices(prices):
    with pytest.raises(InvalidRequest) as exc:
        show_schedule(movie=MovieFactory(), screen=ScreenFactory(), start_time=timezone.now(), prices=prices)
    assert "prices" in exc.value.details["fields"]
    assert not Show.objects.exists()


def test_update_moves_a_show_without_bookings_and_rechecks_overlap():
    show = make_show("SS")
    later = show.start_time + timedelta(hours=5)
    other = show_schedule(movie=MovieFactory(), screen=show.screen, start_time=later)
    moved = show_update(show=show, start_time=show.start_time + timedelta(hours=1), prices={"STANDARD": "250"})
    assert moved.price_for("STANDARD") == Decimal("250")
    assert moved.end_time == moved.start_time + timedelta(minutes=moved.movie.duration_mins)
    with pytest.raises(ScreenBusy):
        show_update(show=show, start_time=other.start_time)
    show.refresh_from_db()
    assert show.start_time == moved.start_time  # the failed move changed nothing
    long_movie = MovieFactory(duration_mins=400)
    with pytest.raises(ScreenBusy):
        show_update(show=show, movie=long_movie)


def test_a_booked_show_keeps_its_time_and_movie_but_prices_may_change(now):
    show = make_show("SS")
    book(show, ["A1"], now)
    with pytest.raises(ShowHasBookings):
        show_update(show=show, start_time=show.start_time + timedelta(hours=1))
    with pytest.raises(ShowHasBookings):
        show_update(show=show, movie=MovieFactory())
    assert show_update(show=show, prices={"STANDARD": "99"}).price_for("STANDARD") == Decimal("99")
    assert show_update(show=show, start_time=show.start_time).pk == show.pk  # not a move


def test_delete_removes_the_show_and_its_seats_even_with_holds(now):
    show = make_show("SS")
    seats_hold(user=UserFactory(), show=show, seat_ids=seat_ids(show, "A1"), now=now)
    show_delete(show=show)
    assert not Show.objects.exists() and not ShowSeat.objects.exists()


def test_a_show_with_bookings_cannot_be_deleted_even_cancelled_ones(now):
    show = make_show("SS")
    booking = book(show, ["A1"], now)
    with pytest.raises(ShowHasBookings):
        show_delete(show=show)
    booking_cancel(booking=booking, by=booking.user, now=now)
    with pytest.raises(ShowHasBookings):
        show_delete(show=show)
    assert show.show_seats.count() == 2


# --------------------------------------------------------------------------
# layout changes
# --------------------------------------------------------------------------
def test_new_seats_join_upcoming_shows_only(now):
    upcoming = make_show("SS")
    started = show_schedule(movie=MovieFactory(), screen=upcoming.screen, start_time=now - timedelta(days=1))
    screen_layout_update(screen=upcoming.screen, layout=["SS", "_P"], now=now)
    assert seat_names(upcoming) == ["A1", "A2", "B1"]
    assert seat_names(started) == ["A1", "A2"]
    assert upcoming.show_seats.get(seat__row_label="B").status == SeatStatus.AVAILABLE


def test_dropping_free_seats_removes_them_from_every_show(now):
    show = make_show("SSS")
    old = show_schedule(movie=MovieFactory(), screen=show.screen, start_time=now - timedelta(days=1))
    seats_hold(user=UserFactory(), show=show, seat_ids=seat_ids(show, "A3"), now=now - timedelta(hours=1))  # expired
    screen_layout_update(screen=show.screen, layout="SS", now=now)
    assert seat_names(show) == seat_names(old) == ["A1", "A2"]
    assert Seat.objects.filter(screen=show.screen).count() == 2


@pytest.mark.parametrize("how", ["held", "sold", "cancelled"])
def test_seats_in_use_cannot_be_dropped(now, how):
    show = make_show("SSS")
    if how == "held":
        seats_hold(user=UserFactory(), show=show, seat_ids=seat_ids(show, "A3"), now=now)
    else:
        booking = book(show, ["A3"], now)
        if how == "cancelled":  # the booking's history still names the seat
            booking_cancel(booking=booking, by=booking.user, now=now)
    layout = show.screen.layout
    with pytest.raises(LayoutInUse) as exc:
        screen_layout_update(screen=show.screen, layout="SS", now=now)
    assert "A3" in str(exc.value) and exc.value.details["seats"] == [show.show_seats.get(seat__number=3).seat_id]
    show.screen.refresh_from_db()
    assert show.screen.layout == layout and seat_names(show) == ["A1", "A2", "A3"]  # nothing changed


def test_retyping_a_seat_keeps_its_show_seats_and_moves_the_etag(now):
    from booking.selectors import seat_map_version

    show = make_show("SS")
    ids = seat_ids(show, "A1", "A2")
    tag = seat_map_version(show=show, now=now)
    screen_layout_update(screen=show.screen, layout="PS", now=now)
    assert seat_ids(show, "A1", "A2") == ids
    assert show.show_seats.get(pk=ids[0]).seat.seat_type == "PREMIUM"
    assert seat_map_version(show=show, now=now) != tag


def test_a_bad_layout_is_a_validation_error():
    screen = ScreenFactory(layout="SS")
    with pytest.raises(ValidationError):
        screen_layout_update(screen=screen, layout="SX")
    screen.refresh_from_db()
    assert screen.layout == "SS"


def test_screen_update_edits_name_and_layout_in_one_call_and_keeps_names_unique():
    from booking.services import screen_update
    from catalog.exceptions import ScreenNameTaken

    screen = ScreenFactory(name="One")
    other = ScreenFactory(theatre=screen.theatre, name="Two")
    with pytest.raises(ScreenNameTaken):
        screen_update(screen=other, name="One")
    assert screen_update(screen=other, name="Three", layout="SSS").name == "Three"
    assert screen_update(screen=other, name="Three").seats.count() == 3  # its own name is not "taken"
