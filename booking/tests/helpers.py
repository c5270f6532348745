"""Small helpers shared by the service, race and state-machine tests."""

from datetime import timedelta

from django.utils import timezone

from booking.models import BookingSeat, ShowSeat
from tests.factories import ScreenFactory, ShowFactory


def make_show(layout: str = "SSSS\nSSSS", *, starts_in: timedelta = timedelta(days=1), **kwargs):
    return ShowFactory(screen=ScreenFactory(layout=layout), start_time=timezone.now() + starts_in, **kwargs)


def seat_ids(show, *names: str) -> list[int]:
    """Show-seat ids by seat name ("A1", "B12"), in the order given."""
    by_name = {
        f"{label}{number}": pk
        for pk, label, number in show.show_seats.values_list("pk", "seat__row_label", "seat__number")
    }
    return [by_name[name] for name in names]


def names_of(pks) -> list[str]:
    return sorted(s.seat.name for s in ShowSeat.objects.filter(pk__in=pks).select_related("seat"))


def snapshot(show) -> list[tuple]:
    """Everything about a show's seats and bookings that a service may change."""
    seats = list(show.show_seats.order_by("pk").values_list("pk", "status", "held_by_id", "held_until", "version"))
    lines = list(
        BookingSeat.objects.filter(show_seat__show=show)
        .order_by("pk")
        .values_list("pk", "booking_id", "active", "booking__status")
    )
    return seats + lines
