"""The staff API honours the same Django model permissions as the admin."""

import pytest

from catalog.models import Movie, Theatre
from tests.api import client_for
from tests.factories import MovieFactory, StaffFactory, TheatreFactory

pytestmark = pytest.mark.django_db

MOVIE = {"title": "Dune", "duration_mins": 155}


def test_box_office_clerk_cannot_change_movies(box_office):
    clerk = StaffFactory(permissions=[])
    clerk.groups.add(box_office)
    movie = MovieFactory()
    client = client_for(clerk)
    assert client.get(f"/api/v1/movies/{movie.pk}").status_code == 200
    r = client.post("/api/v1/movies", MOVIE, format="json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "PERMISSION_DENIED"
    assert client.patch(f"/api/v1/movies/{movie.pk}", {"title": "x"}, format="json").status_code == 403
    assert client.delete(f"/api/v1/movies/{movie.pk}").status_code == 403
    movie.refresh_from_db()
    assert movie.title != "x" and Movie.objects.count() == 1


def test_staff_without_permissions_cannot_change_theatres():
    client = client_for(StaffFactory(permissions=[]))
    theatre = TheatreFactory()
    assert client.post("/api/v1/theatres", {"name": "T", "city": "C"}, format="json").status_code == 403
    assert client.patch(f"/api/v1/theatres/{theatre.pk}", {"city": "X"}, format="json").status_code == 403
    assert client.delete(f"/api/v1/theatres/{theatre.pk}").status_code == 403
    assert Theatre.objects.get().city == theatre.city


def test_each_action_needs_its_own_permission():
    movie = MovieFactory()
    adder = client_for(StaffFactory(permissions=["catalog.add_movie"]))
    assert adder.post("/api/v1/movies", MOVIE, format="json").status_code == 201
    assert adder.delete(f"/api/v1/movies/{movie.pk}").status_code == 403
    deleter = client_for(StaffFactory(permissions=["catalog.delete_movie"]))
    assert deleter.delete(f"/api/v1/movies/{movie.pk}").status_code == 204


def test_inactive_movies_need_view_permission():
    movie = MovieFactory(is_active=False)
    assert client_for(StaffFactory(permissions=[])).get(f"/api/v1/movies/{movie.pk}").status_code == 404
    viewer = client_for(StaffFactory(permissions=["catalog.view_movie"]))
    assert viewer.get(f"/api/v1/movies/{movie.pk}").status_code == 200


def test_superuser_may_do_everything():
    client = client_for(StaffFactory(permissions=[], is_superuser=True))
    assert client.post("/api/v1/movies", MOVIE, format="json").status_code == 201


def test_shows_screens_and_a_shows_bookings_need_their_model_permissions():
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import ScreenFactory, ShowFactory

    show = ShowFactory()
    screen = ScreenFactory()
    nobody = client_for(StaffFactory(permissions=[]))
    start = (timezone.now() + timedelta(days=30)).isoformat()
    body = {"movie_id": show.movie_id, "screen_id": screen.pk, "start_time": start}
    assert nobody.post("/api/v1/shows", body, format="json").status_code == 403
    assert nobody.patch(f"/api/v1/shows/{show.pk}", {"prices": {"STANDARD": "1.00"}}, format="json").status_code == 403
    assert nobody.delete(f"/api/v1/shows/{show.pk}").status_code == 403
    assert nobody.get(f"/api/v1/shows/{show.pk}/bookings").status_code == 403
    assert nobody.patch(f"/api/v1/screens/{screen.pk}", {"name": "X"}, format="json").status_code == 403
    assert nobody.delete(f"/api/v1/screens/{screen.pk}").status_code == 403
    assert nobody.get(f"/api/v1/screens/{screen.pk}").status_code == 200  # the public catalogue
    reader = client_for(StaffFactory(permissions=["booking.view_booking"]))
    assert reader.get(f"/api/v1/shows/{show.pk}/bookings").status_code == 200
    scheduler = client_for(StaffFactory(permissions=["catalog.add_show"]))
    assert scheduler.post("/api/v1/shows", body, format="json").status_code == 201
