"""Browsing (SPEC 7.4): pagination, search, filters, grouped listings, status."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from booking.tests.helpers import make_show, seat_ids
from catalog.models import Theatre
from catalog.selectors import show_status
from tests.api import client_for
from tests.factories import MovieFactory, ScreenFactory, ShowFactory, TheatreFactory, UserFactory

pytestmark = pytest.mark.django_db


def _next(response):
    match = re.match(r'<([^>]+)>; rel="next"', response.get("Link", ""))
    return match.group(1) if match else None


def _walk(client, url, insert=None):
    seen, pages = [], 0
    while url:
        r = client.get(url)
        assert r.status_code == 200 and isinstance(r.json(), list)
        seen += [item["id"] for item in r.json()]
        url = _next(r)
        pages += 1
        if insert and url:
            insert(pages)
    return seen, pages


def test_movies_walked_to_the_end_with_inserts_in_between(django_assert_max_num_queries):
    first = [MovieFactory(title=f"M{n:02}").pk for n in range(7)]
    client = APIClient()
    with django_assert_max_num_queries(1):
        r = client.get("/api/v1/movies?limit=3")
    assert len(r.json()) == 3 and "cursor=" in _next(r)
    added = []
    # New movies sorting before and after the cursor: no page shifts.
    seen, pages = _walk(client, "/api/v1/movies?limit=3", lambda p: added.append(MovieFactory(title=f"A{p}").pk))
    assert seen == first and pages == 3
    assert len(client.get("/api/v1/movies").json()) == 7 + len(added)


@pytest.mark.parametrize(
    "url,param",
    [
        ("/api/v1/movies?limit=0", "limit"),
        ("/api/v1/movies?limit=201", "limit"),
        ("/api/v1/movies?limit=x", "limit"),
        ("/api/v1/movies?cursor=bogus", "cursor"),
        ("/api/v1/theatres?city=" + "x" * 101, "city"),
        ("/api/v1/search/shows", "q"),
        ("/api/v1/search/shows?q=a&date=tomorrow", "date"),
        ("/api/v1/screens?theatre_id=abc", "theatre_id"),
        ("/api/v1/movies/1/shows?group=city", "group"),
        ("/api/v1/movies/1/availability?from=2026-13-01", "from"),
    ],
)
def test_unparsable_filters_are_400_naming_the_parameter(url, param):
    r = APIClient().get(url)
    assert r.status_code == 400 and param in r.json()["error"]["fields"], r.json()


def test_filters_filter_and_no_match_is_an_empty_list():
    pune = TheatreFactory(city="Pune")
    TheatreFactory(city="Mumbai")
    screen = ScreenFactory(theatre=pune)
    client = APIClient()
    assert [t["id"] for t in client.get("/api/v1/theatres?city=pune").json()] == [pune.pk]
    assert client.get("/api/v1/theatres?city=Nowhere").json() == []
    assert client.get("/api/v1/cities").json() == ["Mumbai", "Pune"]
    assert [s["id"] for s in client.get(f"/api/v1/screens?theatre_id={pune.pk}").json()] == [screen.pk]
    assert client.get("/api/v1/screens?theatre_id=999999").json() == []


def test_search_and_shows_per_theatre_and_screen(django_assert_max_num_queries):
    dune = MovieFactory(title="Dune: Part Two")
    show = ShowFactory(movie=dune)
    ShowFactory(movie=MovieFactory(title="Barbie"))
    client = APIClient()
    with django_assert_max_num_queries(2):  # shows, seat counts
        r = client.get("/api/v1/search/shows?q=dune")
    assert [s["id"] for s in r.json()] == [show.pk]
    assert r.json()[0]["status"] == "AVAILABLE" and r.json()[0]["format"] == "2D"
    assert client.get("/api/v1/search/shows?q=zzz").json() == []
    theatre = show.screen.theatre
    day = timezone.localdate(show.start_time).isoformat()
    with django_assert_max_num_queries(3):  # theatre, shows, seat counts
        r = client.get(f"/api/v1/theatres/{theatre.pk}/shows?date={day}")
    assert [s["id"] for s in r.json()] == [show.pk]
    assert client.get(f"/api/v1/theatres/{theatre.pk}/shows?date=2001-01-01").json() == []
    assert [s["id"] for s in client.get(f"/api/v1/screens/{show.screen_id}/shows").json()] == [show.pk]
    assert client.get("/api/v1/theatres/999999/shows").status_code == 404


def test_movie_availability_and_the_grouped_listing(django_assert_max_num_queries):
    movie = MovieFactory()
    now = timezone.now()
    a = ShowFactory(movie=movie, start_time=now + timedelta(days=1))
    b = ShowFactory(movie=movie, start_time=now + timedelta(days=1, hours=3))
    ShowFactory(movie=movie, start_time=now + timedelta(days=3))
    client = APIClient()
    body = client.get(f"/api/v1/movies/{movie.pk}/availability").json()
    assert body["movie_id"] == movie.pk
    assert body["dates"] == sorted(
        {timezone.localdate(now + timedelta(days=d)).isoformat() for d in (1, 3)}
        | {timezone.localdate(b.start_time).isoformat()}
    )
    day = timezone.localdate(a.start_time).isoformat()
    with django_assert_max_num_queries(3):  # movie, shows, seat counts
        r = client.get(f"/api/v1/movies/{movie.pk}/shows?date={day}&group=theatre")
    groups = r.json()
    assert {g["theatre"]["id"] for g in groups} >= {a.screen.theatre_id}
    assert all(set(g) == {"theatre", "shows"} for g in groups)
    assert a.pk in [s["id"] for g in groups for s in g["shows"]]


def test_bookings_list_pages_and_status_from_occupancy():
    user = UserFactory()
    show = make_show("SSSSSSSSSS")
    client = client_for(user)
    ids = seat_ids(show, *[f"A{n}" for n in range(1, 7)])
    for pk in ids:
        client.patch(f"/api/v1/seats/{pk}/lock", {"status": "LOCKED"}, format="json")
        assert client.post("/api/v1/bookings", {"show_id": show.pk, "seat_id": pk}, format="json").status_code == 201
    seen, pages = _walk(client, "/api/v1/bookings?limit=4")
    assert len(seen) == 6 and len(set(seen)) == 6 and pages == 2
    assert client.get(f"/api/v1/shows/{show.pk}").json()["status"] == "FILLING_FAST"


def test_show_status_thresholds():
    show = Theatre()  # anything without a cancelled flag
    assert show_status(show=show, sold=0, free=10, total=10) == "AVAILABLE"
    assert show_status(show=show, sold=6, free=4, total=10) == "FILLING_FAST"
    assert show_status(show=show, sold=9, free=1, total=10) == "ALMOST_FULL"
    assert show_status(show=show, sold=8, free=0, total=10) == "SOLD_OUT"


def test_movies_carry_cast_and_crew(staff):
    client = client_for(staff)
    body = {
        "title": "Dune",
        "duration_mins": 155,
        "cast": [{"name": "Zendaya", "character": "Chani"}],
        "crew": [{"name": "Denis Villeneuve", "job": "Director"}],
    }
    r = client.post("/api/v1/movies", body, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["cast"] == body["cast"] and r.json()["crew"] == body["crew"]
    bad = client.post("/api/v1/movies", {**body, "crew": [{"name": "X"}]}, format="json")
    assert bad.status_code == 400


def test_staff_schedule_a_show_with_format_language_and_subtitles(staff):
    screen = ScreenFactory()
    movie = MovieFactory()
    start = (timezone.now() + timedelta(days=40)).isoformat()
    body = {"movie_id": movie.pk, "screen_id": screen.pk, "start_time": start, "format": "IMAX", "language": "Hindi"}
    r = client_for(staff).post("/api/v1/shows", {**body, "subtitles": "English"}, format="json")
    assert r.status_code == 201, r.json()
    assert (r.json()["format"], r.json()["language"], r.json()["subtitles"]) == ("IMAX", "Hindi", "English")
    assert client_for(staff).post("/api/v1/shows", {**body, "format": "8K"}, format="json").status_code == 400
    bad = client_for(staff).patch(f"/api/v1/shows/{r.json()['id']}", {"subtitles": "a\nb"}, format="json")
    assert bad.status_code == 400


def test_a_cached_list_page_keeps_its_link_header():
    for n in range(4):
        MovieFactory(title=f"C{n}")
    client = APIClient()
    first, again = client.get("/api/v1/movies?limit=2"), client.get("/api/v1/movies?limit=2")
    assert _next(first) and _next(again) == _next(first) and again.json() == first.json()
