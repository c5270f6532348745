"""Shows, the seat map (ETag/304, query budget) and the staff endpoints that
schedule shows and change screens."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from booking.services import booking_confirm, seats_hold
from catalog.models import Screen, Show
from tests.api import client_for, seat_ids
from tests.factories import MovieFactory, ScreenFactory, ShowFactory, TheatreFactory

pytestmark = pytest.mark.django_db


# -- GET /movies/{id}/shows, /shows/{id} -----------------------------------------------
def test_movie_shows_seed_shape_and_budget(show, django_assert_max_num_queries):
    ShowFactory(movie=show.movie, start_time=show.start_time + timedelta(days=1))
    ShowFactory(movie=show.movie, start_time=timezone.now() - timedelta(hours=1))  # started: left out
    with django_assert_max_num_queries(3):
        r = client_for().get(f"/api/v1/movies/{show.movie_id}/shows")
    assert r.status_code == 200
    first = r.json()[0]
    assert len(r.json()) == 2
    assert first["id"] == show.pk and first["theatre"] == show.screen.theatre.name
    assert first["time"] == first["start_time"] and first["time"].endswith("Z")
    assert first["seats_free"] == first["seats_total"] == 20 and first["prices"]["STANDARD"] == "200.00"


def test_movie_shows_date_filter_uses_local_day(settings):
    settings.TIME_ZONE = "Asia/Kolkata"
    tz = ZoneInfo("Asia/Kolkata")
    day = timezone.localdate() + timedelta(days=2)
    movie = MovieFactory()
    # 00:30 local is the previous day in UTC, but it is on `day` for people there.
    early = ShowFactory(movie=movie, start_time=datetime.combine(day, datetime.min.time(), tz) + timedelta(minutes=30))
    ShowFactory(movie=movie, start_time=early.start_time + timedelta(days=1))
    r = client_for().get(f"/api/v1/movies/{movie.pk}/shows", {"date": day.isoformat()})
    assert [s["id"] for s in r.json()] == [early.pk]


@pytest.mark.parametrize("bad", ["2024-13-01", "tomorrow", "2024-1-1x"])
def test_movie_shows_bad_date_is_400(show, bad):
    r = client_for().get(f"/api/v1/movies/{show.movie_id}/shows", {"date": bad})
    assert r.status_code == 400 and "date" in r.json()["error"]["fields"]


def test_movie_shows_of_unknown_or_inactive_movie_is_404():
    assert client_for().get("/api/v1/movies/999999/shows").status_code == 404
    assert client_for().get(f"/api/v1/movies/{MovieFactory(is_active=False).pk}/shows").status_code == 404


def test_show_detail(show):
    r = client_for().get(f"/api/v1/shows/{show.pk}")
    body = r.json()
    assert body["movie"] == show.movie.title and body["screen"] == show.screen.name
    assert body["seats_total"] == 20 and body["end_time"] > body["start_time"]
    assert client_for().get("/api/v1/shows/999999").status_code == 404


# -- GET /shows/{id}/seats -------------------------------------------------------------
def test_seat_map_marks_own_holds(user, other, show):
    a, b = seat_ids(show, 2)
    seats_hold(user=user, show=show, seat_ids=[a])
    seats_hold(user=other, show=show, seat_ids=[b])
    seats = {s["id"]: s for s in client_for(user).get(f"/api/v1/shows/{show.pk}/seats").json()}
    assert seats[a]["status"] == "LOCKED" and seats[a]["mine"] is True and seats[a]["expires_at"]
    assert seats[b]["status"] == "LOCKED" and seats[b]["mine"] is False and seats[b]["expires_at"] is None
    first = seats[a]
    assert {"id", "name", "status", "row", "number", "type", "price", "currency"} <= first.keys()
    assert first["name"] == "A1" and first["price"] == "200.00"


def test_seat_map_shows_expired_holds_as_available(user, show):
    a = seat_ids(show, 1)[0]
    seats_hold(user=user, show=show, seat_ids=[a], now=timezone.now() - timedelta(hours=1))
    seats = client_for(user).get(f"/api/v1/shows/{show.pk}/seats").json()
    assert seats[0]["status"] == "AVAILABLE" and seats[0]["mine"] is False


def test_seat_map_etag_and_304(user, show, django_assert_max_num_queries):
    client = client_for(user)
    r = client.get(f"/api/v1/shows/{show.pk}/seats")
    etag = r["ETag"]
    assert "private" in r["Cache-Control"] and "Authorization" in r["Vary"] and "Cookie" in r["Vary"]
    with django_assert_max_num_queries(3):  # user, show, version: the body is never built
        r = client.get(f"/api/v1/shows/{show.pk}/seats", HTTP_IF_NONE_MATCH=etag)
    assert r.status_code == 304 and r.content == b"" and r["ETag"] == etag
    assert client.get(f"/api/v1/shows/{show.pk}/seats", HTTP_IF_NONE_MATCH=f'W/{etag}, "x"').status_code == 304

    seats_hold(user=user, show=show, seat_ids=seat_ids(show, 1))
    r = client.get(f"/api/v1/shows/{show.pk}/seats", HTTP_IF_NONE_MATCH=etag)
    assert r.status_code == 200 and r["ETag"] != etag
    # another viewer sees another map (their "mine" flags differ)
    assert client_for().get(f"/api/v1/shows/{show.pk}/seats")["ETag"] != r["ETag"]


def test_seat_map_query_count_does_not_grow_with_seats(user, django_assert_max_num_queries):
    big = ShowFactory(screen=ScreenFactory(layout="\n".join(["SSSSSSSSSS_SSSSSSSSSS"] * 12)))
    with django_assert_max_num_queries(4):
        r = client_for(user).get(f"/api/v1/shows/{big.pk}/seats")
    assert len(r.json()) == 240
    assert client_for().get("/api/v1/shows/999999/seats").status_code == 404


# -- staff: /shows --------------------------------------------------------------------
def _show_payload(movie, screen, start):
    return {
        "movie_id": movie.pk,
        "screen_id": screen.pk,
        "start_time": start.isoformat(),
        "prices": {"STANDARD": "280.00", "PREMIUM": "350.00"},
    }


def test_staff_schedules_updates_and_deletes_a_show(staff):
    movie, screen = MovieFactory(duration_mins=100), ScreenFactory()
    start = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    client = client_for(staff)
    r = client.post("/api/v1/shows", _show_payload(movie, screen, start), format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["prices"]["STANDARD"] == "280.00" and body["seats_total"] == 20
    show_id = body["id"]

    clash = client.post("/api/v1/shows", _show_payload(movie, screen, start + timedelta(minutes=30)), format="json")
    assert clash.status_code == 409 and clash.json()["error"]["code"] == "SCREEN_BUSY"

    later = start + timedelta(hours=5)
    r = client.patch(f"/api/v1/shows/{show_id}", {"start_time": later.isoformat()}, format="json")
    assert r.status_code == 200 and r.json()["start_time"] == later.isoformat().replace("+00:00", "Z")

    assert client.delete(f"/api/v1/shows/{show_id}").status_code == 204
    assert not Show.objects.filter(pk=show_id).exists()


def test_show_with_bookings_cannot_be_deleted_or_moved(user, staff, show):
    ids = seat_ids(show, 1)
    seats_hold(user=user, show=show, seat_ids=ids)
    booking_confirm(user=user, show=show, seat_ids=ids)
    client = client_for(staff)
    r = client.delete(f"/api/v1/shows/{show.pk}")
    assert r.status_code == 409 and r.json()["error"]["code"] == "SHOW_HAS_BOOKINGS"
    moved = (show.start_time + timedelta(days=1)).isoformat()
    assert client.patch(f"/api/v1/shows/{show.pk}", {"start_time": moved}, format="json").status_code == 409


@pytest.mark.parametrize(
    "change",
    [
        {"movie_id": 999999},
        {"movie_id": "one"},
        {"start_time": "soon"},
        {"prices": {"SOFA": "1.00"}},
        {"prices": {"STANDARD": "-1"}},
        {"prices": {"STANDARD": "NaN"}},
        {"prices": ["STANDARD"]},
    ],
)
def test_schedule_bad_input_is_400(staff, change):
    payload = _show_payload(MovieFactory(), ScreenFactory(), timezone.now() + timedelta(days=1)) | change
    r = client_for(staff).post("/api/v1/shows", payload, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID"


def test_show_writes_are_staff_only(user, show):
    payload = _show_payload(show.movie, show.screen, timezone.now() + timedelta(days=9))
    assert client_for().post("/api/v1/shows", payload, format="json").status_code == 401
    assert client_for(user).post("/api/v1/shows", payload, format="json").status_code == 403
    assert client_for(user).delete(f"/api/v1/shows/{show.pk}").status_code == 403


# -- staff: /screens ------------------------------------------------------------------
def test_staff_creates_changes_and_deletes_a_screen(staff, user):
    theatre = TheatreFactory()
    client = client_for(staff)
    payload = {"theatre_id": theatre.pk, "name": "Audi 1", "layout": ["SS_SS", "PP_PP", "RRRRR"]}
    assert client_for(user).post("/api/v1/screens", payload, format="json").status_code == 403
    r = client.post("/api/v1/screens", payload, format="json")
    assert r.status_code == 201 and r.json()["seats_total"] == 13 and r.json()["layout"] == payload["layout"]
    screen_id = r.json()["id"]
    dup = client.post("/api/v1/screens", payload, format="json")
    assert dup.status_code == 400 and dup.json()["error"]["code"] == "INVALID"
    bad = client.post("/api/v1/screens", payload | {"name": "X", "layout": ["SSX"]}, format="json")
    assert bad.status_code == 400 and "layout" in bad.json()["error"]["fields"]

    show = ShowFactory(screen=Screen.objects.get(pk=screen_id))
    r = client.patch(
        f"/api/v1/screens/{screen_id}", {"name": "Audi 2", "layout": ["SS_SSS", "PP_PP", "RRRRR"]}, format="json"
    )
    assert r.status_code == 200 and r.json()["name"] == "Audi 2" and r.json()["seats_total"] == 14
    assert show.show_seats.count() == 14  # the upcoming show got the new seat

    r = client.delete(f"/api/v1/screens/{screen_id}")
    assert r.status_code == 409 and r.json()["error"]["code"] == "SCREEN_HAS_SHOWS"
    Show.objects.filter(pk=show.pk).delete()
    assert client.delete(f"/api/v1/screens/{screen_id}").status_code == 204


def test_layout_change_dropping_a_held_seat_is_409(staff, user, show):
    seats_hold(user=user, show=show, seat_ids=seat_ids(show, 2)[1:])  # A2
    r = client_for(staff).patch(f"/api/v1/screens/{show.screen_id}", {"layout": ["S"]}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "LAYOUT_IN_USE"
    # A refused layout leaves the rest of the request undone too.
    old_name = show.screen.name
    r = client_for(staff).patch(
        f"/api/v1/screens/{show.screen_id}", {"name": "Renamed", "layout": ["S"]}, format="json"
    )
    assert r.status_code == 409
    assert Screen.objects.get(pk=show.screen_id).name == old_name


def test_screens_list_budget(django_assert_max_num_queries):
    for _ in range(3):
        ScreenFactory()
    with django_assert_max_num_queries(1):
        r = client_for().get("/api/v1/screens")
    assert len(r.json()) == 3 and client_for().get(f"/api/v1/screens/{r.json()[0]['id']}").status_code == 200
