"""Browse pages: the city remembered, the date strip, time of day and language
filters, a clear message for a value that cannot be used, availability on
show times (words, not only colour), posters with a fallback."""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from booking.models import SeatStatus
from tests.factories import MovieFactory, ScreenFactory, ShowFactory, TheatreFactory

pytestmark = pytest.mark.django_db


def _local(days, hour):
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=hour))


@pytest.fixture
def catalogue():
    mumbai = ScreenFactory(theatre=TheatreFactory(name="Galaxy", city="Mumbai"))
    pune = ScreenFactory(theatre=TheatreFactory(name="Lakeside", city="Pune"))
    heist = MovieFactory(title="Monsoon Heist", language="Hindi")
    orbit = MovieFactory(title="The Last Orbit", language="English", poster_url="https://example.com/none.jpg")
    morning = ShowFactory(movie=heist, screen=mumbai, start_time=_local(1, 10))
    imax = ShowFactory(movie=orbit, screen=pune, start_time=_local(1, 21))
    type(imax).objects.filter(pk=imax.pk).update(format="IMAX")
    return {"heist": heist, "orbit": orbit, "morning": morning}


def test_the_city_is_remembered_in_a_cookie(client, catalogue):
    response = client.get(reverse("catalog:home"), {"city": "Pune"})
    assert response.cookies["city"].value == "Pune"
    html = client.get(reverse("catalog:home")).content.decode()
    assert "Now showing in Pune" in html and "Monsoon Heist" not in html
    # "All cities" forgets it.
    response = client.get(reverse("catalog:home"), {"city": ""})
    assert response.cookies["city"].value == ""
    assert "Monsoon Heist" in client.get(reverse("catalog:home")).content.decode()


@pytest.mark.parametrize(
    "query, words",
    [
        ({"date": "someday"}, "not a date (YYYY-MM-DD)"),
        ({"date": "2026-13-45"}, "not a date (YYYY-MM-DD)"),
        ({"time": "teatime"}, "not a time of day"),
        ({"format": "5D"}, "not a format"),
    ],
)
def test_an_unusable_filter_is_a_clear_message(client, catalogue, query, words):
    response = client.get(reverse("catalog:home"), query)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html and words in html


@pytest.mark.parametrize(
    "query, words",
    [
        ({"city": "Atlantis"}, "in Atlantis"),
        ({"date": "1999-01-01"}, "on Friday 1 January"),
        ({"language": "Klingon"}, "in Klingon"),
    ],
)
def test_a_valid_filter_that_matches_nothing_is_the_empty_state(client, catalogue, query, words):
    response = client.get(reverse("catalog:home"), query)
    assert response.status_code == 200
    html = response.content.decode()
    assert "No shows match" in html and words in html and "Monsoon Heist" not in html
    assert "city" not in response.cookies  # a city with no theatres is not remembered


def test_time_of_day_and_language(client, catalogue):
    html = client.get(reverse("catalog:home"), {"time": "night"}).content.decode()
    assert "The Last Orbit" in html and "Monsoon Heist" not in html
    html = client.get(reverse("catalog:home"), {"language": "Hindi"}).content.decode()
    assert "Monsoon Heist" in html and "The Last Orbit" not in html
    html = client.get(reverse("catalog:home"), {"language": "Hindi", "time": "night"}).content.decode()
    assert "No shows match" in html
    html = client.get(catalogue["heist"].get_absolute_url(), {"time": "evening"}).content.decode()
    assert "No upcoming shows" in html


def test_the_date_strip_links_each_day_keeping_the_other_filters(client, catalogue):
    html = client.get(reverse("catalog:home"), {"city": "Pune"}).content.decode()
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert 'aria-label="Dates"' in html
    assert f'href="?city=Pune&amp;date={tomorrow}"' in html


def test_show_times_say_how_full_they_are(client, catalogue):
    show = catalogue["morning"]
    seats = list(show.show_seats.order_by("pk"))
    html = client.get(catalogue["heist"].get_absolute_url()).content.decode()
    assert "Filling fast" not in html
    show.show_seats.filter(pk__in=[s.pk for s in seats[: int(len(seats) * 0.7)]]).update(status=SeatStatus.SOLD)
    assert "Filling fast" in client.get(catalogue["heist"].get_absolute_url()).content.decode()
    show.show_seats.update(status=SeatStatus.SOLD)
    html = client.get(catalogue["heist"].get_absolute_url()).content.decode()
    assert "Sold out" in html and "showtime--soldout" in html


def test_a_poster_always_has_its_fallback_under_it(client, catalogue):
    html = client.get(reverse("catalog:home")).content.decode()
    assert html.count("poster--placeholder") == 2
    assert 'src="https://example.com/none.jpg"' in html and "data-poster" in html


def test_query_budgets(client, catalogue, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        assert client.get(reverse("catalog:home"), {"time": "night", "city": "Pune"}).status_code == 200
    with django_assert_max_num_queries(5):
        assert client.get(catalogue["heist"].get_absolute_url(), {"time": "morning"}).status_code == 200
    with django_assert_max_num_queries(2):
        assert client.get(reverse("info:contact")).status_code == 200


def test_the_format_filter(client, catalogue):
    html = client.get(reverse("catalog:home"), {"format": "IMAX"}).content.decode()
    assert "The Last Orbit" in html and "Monsoon Heist" not in html
    assert '<option value="IMAX" selected>' in html
    html = client.get(reverse("catalog:home"), {"format": "4DX"}).content.decode()
    assert "No shows match" in html
    html = client.get(catalogue["orbit"].get_absolute_url(), {"format": "2D"}).content.decode()
    assert "No upcoming shows" in html
