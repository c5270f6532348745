import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from booking.models import ShowSeat
from catalog.models import Movie, Screen, Seat, Show, Theatre

pytestmark = pytest.mark.django_db


def counts():
    return [m.objects.count() for m in (User, Movie, Theatre, Screen, Seat, Show, ShowSeat)]


def test_seed_demo_is_idempotent_and_realistic(settings):
    settings.DEBUG = True
    call_command("seed_demo", days=2, stdout=open("/dev/null", "w"))
    first = counts()
    call_command("seed_demo", days=2, stdout=open("/dev/null", "w"))
    assert counts() == first
    assert Theatre.objects.values("city").distinct().count() == 2
    big = max(Screen.objects.all(), key=lambda s: s.seats.count())
    assert big.seats.count() >= 200
    assert set(big.seats.values_list("seat_type", flat=True)) == {"STANDARD", "PREMIUM", "RECLINER", "ACCESSIBLE"}
    assert "_" in big.layout
    assert Show.objects.exists()
    for show in Show.objects.all()[:5]:
        assert show.show_seats.count() == show.screen.seats.count()
    assert User.objects.filter(email="staff@example.com", is_staff=True).exists()
    assert User.objects.filter(email="demo@example.com", is_staff=False).exists()


def test_seed_demo_refuses_a_production_database_without_force(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo")
    assert Show.objects.count() == 0
