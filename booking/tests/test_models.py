from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from booking.exceptions import ScreenBusy
from booking.models import BookingSeat, ShowSeat
from booking.services import show_schedule
from catalog.layout import parse_layout
from catalog.models import Show
from tests.factories import BookingFactory, BookingSeatFactory, MovieFactory, ScreenFactory, ShowFactory

pytestmark = pytest.mark.django_db


def test_scheduling_a_show_creates_exactly_one_show_seat_per_layout_seat():
    screen = ScreenFactory(layout="SS_SS\nPPPP\nA__R")
    show = ShowFactory(screen=screen)
    expected = len(parse_layout(screen.layout))
    assert expected == 10
    assert show.show_seats.count() == expected
    assert set(show.show_seats.values_list("seat_id", flat=True)) == set(screen.seats.values_list("pk", flat=True))
    assert show.end_time == show.start_time + timedelta(minutes=show.movie.duration_mins)


def test_overlapping_show_on_the_same_screen_is_refused_by_the_service_and_by_validation():
    first = ShowFactory()
    with pytest.raises(ScreenBusy, match="busy"):
        show_schedule(movie=MovieFactory(), screen=first.screen, start_time=first.start_time + timedelta(minutes=30))
    clash = Show(movie=MovieFactory(), screen=first.screen, start_time=first.end_time - timedelta(minutes=1))
    with pytest.raises(ValidationError, match="busy"):
        clash.full_clean()
    assert Show.objects.count() == 1


def test_back_to_back_shows_and_other_screens_are_fine():
    first = ShowFactory()
    show_schedule(movie=MovieFactory(), screen=first.screen, start_time=first.end_time)
    ShowFactory(start_time=first.start_time)  # another screen
    assert Show.objects.count() == 3


def test_database_refuses_a_second_active_booking_of_one_show_seat():
    line = BookingSeatFactory()
    other = BookingFactory(show=line.booking.show)
    with pytest.raises(IntegrityError), transaction.atomic():
        BookingSeat.objects.create(
            booking=other, show_seat=line.show_seat, seat_name="A1", seat_type="STANDARD", price=1, active=True
        )


def test_cancelled_lines_do_not_block_a_new_sale_of_the_seat():
    line = BookingSeatFactory(active=None)
    BookingSeatFactory(booking=BookingFactory(show=line.booking.show), show_seat=line.show_seat, active=None)
    BookingSeatFactory(booking=BookingFactory(show=line.booking.show), show_seat=line.show_seat, active=True)
    assert BookingSeat.objects.filter(show_seat=line.show_seat).count() == 3


def test_active_must_be_true_or_null():
    line = BookingSeatFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        BookingSeat.objects.filter(pk=line.pk).update(active=False)


def test_a_locked_seat_must_name_its_holder():
    seat = ShowFactory().show_seats.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        ShowSeat.objects.filter(pk=seat.pk).update(status="LOCKED")
