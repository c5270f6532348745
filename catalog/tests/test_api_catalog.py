"""Movies and theatres: public reads, staff writes."""

import pytest

from catalog.models import Movie
from tests.api import client_for
from tests.factories import MovieFactory, ScreenFactory, ShowFactory, TheatreFactory

pytestmark = pytest.mark.django_db

MOVIE = {
    "title": "Dune",
    "description": "Sand.",
    "duration_mins": 155,
    "rating": "UA",
    "language": "English",
    "genres": ["Sci-Fi"],
    "release_date": "2021-10-22",
    "poster_url": "https://example.com/dune.jpg",
}


def test_movies_list_seed_shape_and_budget(django_assert_max_num_queries):
    for _ in range(3):
        MovieFactory()
    MovieFactory(is_active=False)
    with django_assert_max_num_queries(1):
        r = client_for().get("/api/v1/movies")
    assert r.status_code == 200 and len(r.json()) == 3
    first = r.json()[0]
    assert {"id", "title", "desc", "description", "duration_mins", "rating", "genres", "poster_url"} <= first.keys()
    assert first["desc"] == first["description"]


def test_movie_detail():
    movie = MovieFactory()
    assert client_for().get(f"/api/v1/movies/{movie.pk}").json()["title"] == movie.title
    assert client_for().get("/api/v1/movies/999999").status_code == 404
    assert client_for().get(f"/api/v1/movies/{MovieFactory(is_active=False).pk}").status_code == 404


def test_staff_movie_crud(staff):
    client = client_for(staff)
    r = client.post("/api/v1/movies", MOVIE, format="json")
    assert r.status_code == 201 and r.json()["genres"] == ["Sci-Fi"]
    movie_id = r.json()["id"]
    r = client.patch(f"/api/v1/movies/{movie_id}", {"is_active": False, "rating": "A"}, format="json")
    assert r.status_code == 200 and r.json()["is_active"] is False and r.json()["title"] == "Dune"
    assert client.get(f"/api/v1/movies/{movie_id}").status_code == 200  # staff still see it
    assert client.delete(f"/api/v1/movies/{movie_id}").status_code == 204
    assert not Movie.objects.filter(pk=movie_id).exists()


@pytest.mark.parametrize(
    "change",
    [
        {"duration_mins": 0},
        {"duration_mins": "long"},
        {"title": ""},
        {"genres": "Drama"},
        {"release_date": "yesterday"},
        {"poster_url": "not a url"},
        {"title": None},
    ],
)
def test_movie_bad_input(staff, change):
    r = client_for(staff).post("/api/v1/movies", MOVIE | change, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID"


def test_movie_with_shows_cannot_be_deleted(staff):
    show = ShowFactory()
    r = client_for(staff).delete(f"/api/v1/movies/{show.movie_id}")
    assert r.status_code == 409 and r.json()["error"]["code"] == "MOVIE_HAS_SHOWS"


def test_catalogue_writes_are_staff_only(user):
    movie = MovieFactory()
    assert client_for().post("/api/v1/movies", MOVIE, format="json").status_code == 401
    assert client_for(user).post("/api/v1/movies", MOVIE, format="json").status_code == 403
    assert client_for(user).patch(f"/api/v1/movies/{movie.pk}", {"title": "x"}, format="json").status_code == 403
    assert client_for(user).delete(f"/api/v1/movies/{movie.pk}").status_code == 403
    r = client_for(user).post("/api/v1/theatres", {"name": "T", "city": "C"}, format="json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "PERMISSION_DENIED"


def test_theatres(staff, django_assert_max_num_queries):
    TheatreFactory()
    TheatreFactory()
    with django_assert_max_num_queries(1):
        assert len(client_for().get("/api/v1/theatres").json()) == 2
    client = client_for(staff)
    r = client.post("/api/v1/theatres", {"name": "Regal", "city": "Delhi", "address": "CP"}, format="json")
    assert r.status_code == 201
    theatre_id = r.json()["id"]
    assert (
        client.patch(f"/api/v1/theatres/{theatre_id}", {"city": "New Delhi"}, format="json").json()["city"]
        == "New Delhi"
    )
    assert client_for().get(f"/api/v1/theatres/{theatre_id}").json()["name"] == "Regal"
    assert client.post("/api/v1/theatres", {"city": "X"}, format="json").status_code == 400

    from catalog.models import Theatre

    screen = ScreenFactory(theatre=Theatre.objects.get(pk=theatre_id))
    r = client.delete(f"/api/v1/theatres/{theatre_id}")
    assert r.status_code == 409 and r.json()["error"]["code"] == "THEATRE_HAS_SCREENS"
    screen.delete()
    assert client.delete(f"/api/v1/theatres/{theatre_id}").status_code == 204
    assert client.get(f"/api/v1/theatres/{theatre_id}").status_code == 404
