"""Home and movie pages: filters, grouping, local times, query budgets."""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import MovieFactory, ScreenFactory, ShowFactory, TheatreFactory

pytestmark = pytest.mark.django_db


def _local(days, hour, minute=0):
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=hour, minute=minute))


@pytest.fixture
def catalogue():
    mumbai = ScreenFactory(theatre=TheatreFactory(name="Galaxy", city="Mumbai"))
    pune = ScreenFactory(theatre=TheatreFactory(name="Lakeside", city="Pune"))
    heist = MovieFactory(title="Monsoon Heist")
    orbit = MovieFactory(title="The Last Orbit")
    hidden = MovieFactory(title="Withdrawn", is_active=False)
    ShowFactory(movie=heist, screen=mumbai, start_time=_local(1, 17, 30))
    ShowFactory(movie=heist, screen=pune, start_time=_local(2, 10))
    ShowFactory(movie=orbit, screen=pune, start_time=_local(1, 21))
    ShowFactory(movie=hidden, screen=mumbai, start_time=_local(3, 10))
    return {"heist": heist, "orbit": orbit}


def test_home_lists_movies_now_showing(client, catalogue, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = client.get(reverse("catalog:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Monsoon Heist" in html and "The Last Orbit" in html
    assert "Withdrawn" not in html
    assert 'href="/accounts/login/"' in html and "My bookings" in html


def test_home_filters_by_city_and_date(client, catalogue):
    html = client.get("/", {"city": "Mumbai"}).content.decode()
    assert "Monsoon Heist" in html and "The Last Orbit" not in html
    day = (timezone.localdate() + timedelta(days=2)).isoformat()
    html = client.get("/", {"city": "Pune", "date": day}).content.decode()
    assert "Monsoon Heist" in html and "The Last Orbit" not in html
    # Filters filter (issue 12): an unparsable date is a clear 400, never silently ignored.
    response = client.get("/", {"city": "Atlantis", "date": "not-a-date"})
    assert response.status_code == 400 and "not a date (YYYY-MM-DD)" in response.content.decode()


def test_movie_page_groups_shows_by_day_and_theatre_in_local_time(client, catalogue, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = client.get(catalogue["heist"].get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Galaxy") < html.index("Lakeside")  # tomorrow before the day after
    assert ">17:30</time>" in html and ">10:00</time>" in html  # TIME_ZONE, not UTC
    assert "from ₹150" in html


def test_inactive_or_unknown_movie_is_a_friendly_404(client, settings):
    settings.DEBUG = False
    response = client.get("/movies/999/")
    assert response.status_code == 404
    assert "We couldn't find that page" in response.content.decode()
    assert client.get("/no/such/page/").status_code == 404
