import pytest
from django.utils import timezone

from booking.services import booking_confirm, seats_hold


@pytest.fixture
def order_for():
    """order_for(user, show, n=2): a confirmed order of n seats, made through the services."""

    def make(user, show, n=2):
        ids = list(show.show_seats.filter(status="AVAILABLE").order_by("pk").values_list("pk", flat=True)[:n])
        seats_hold(user=user, show=show, seat_ids=ids)
        return booking_confirm(user=user, show=show, seat_ids=ids).booking

    return make


@pytest.fixture
def tonight(db):
    """A show later today (local time), so its tickets are admissible now."""
    from tests.factories import ShowFactory

    now = timezone.localtime()
    start = now + timezone.timedelta(minutes=30)
    if start.date() != now.date():  # just before midnight: the test runs at 23:40
        start = now + timezone.timedelta(minutes=5)
    return ShowFactory(start_time=start)
