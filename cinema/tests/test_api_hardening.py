"""Gaps a demanding API client found (QA pass): each was a 500, an HTML page
or an inconsistent answer before its fix."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from booking.models import SeatStatus, ShowSeat
from catalog.models import Show
from tests.api import client_for, seat_ids
from tests.factories import MovieFactory, ScreenFactory, ShowFactory

pytestmark = pytest.mark.django_db


def _error(response, status):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    return response.json()["error"]


@pytest.mark.parametrize("header", ["Bearer garbage", "Bearer", "Bearer a.b.c"])
def test_bad_token_message_is_a_sentence_not_a_python_repr(header):
    error = _error(APIClient().get("/api/v1/me", HTTP_AUTHORIZATION=header), 401)
    assert error["code"] == "NOT_AUTHENTICATED"
    assert "ErrorDetail" not in error["message"] and "{" not in error["message"]


def test_reused_refresh_token_message_is_clean(user):
    refresh = str(RefreshToken.for_user(user))
    assert APIClient().post("/api/v1/token/refresh", {"refresh": refresh}, format="json").status_code == 200
    error = _error(APIClient().post("/api/v1/token/refresh", {"refresh": refresh}, format="json"), 401)
    assert error["message"] == "Token is blacklisted"


def test_post_to_unknown_api_url_with_a_session_is_a_json_404(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    for url in ("/api/v1/login/", "/api/v1/nope"):
        assert _error(client.post(url, {}, format="json"), 404)["code"] == "NOT_FOUND"


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_extreme_show_dates_are_400_not_500(show, day):
    error = _error(APIClient().get(f"/api/v1/movies/{show.movie_id}/shows", {"date": day}), 400)
    assert error["code"] == "INVALID" and "date" in error["fields"]


@pytest.mark.parametrize(
    "start", ["9999-12-31T23:59:00Z", "0001-01-01T03:00:00Z", "2020-01-01T10:00:00Z", "2100-01-01T10:00:00Z"]
)
def test_show_start_must_be_upcoming_and_sane(staff, start):
    movie, screen = MovieFactory(), ScreenFactory()
    client = client_for(staff)
    payload = {"movie_id": movie.pk, "screen_id": screen.pk, "start_time": start}
    error = _error(client.post("/api/v1/shows", payload, format="json"), 400)
    assert "start_time" in error["fields"] and not Show.objects.filter(screen=screen).exists()

    show = ShowFactory(screen=screen)
    before = show.start_time
    error = _error(client.patch(f"/api/v1/shows/{show.pk}", {"start_time": start}, format="json"), 400)
    assert "start_time" in error["fields"]
    show.refresh_from_db()
    assert show.start_time == before


def test_seats_of_another_show_are_400_with_fields(user, show):
    foreign = seat_ids(ShowFactory(), 1)
    r = client_for(user).post(
        f"/api/v1/shows/{show.pk}/holds", {"seat_ids": seat_ids(show, 1) + foreign}, format="json"
    )
    error = _error(r, 400)
    assert error["code"] == "INVALID" and "seat_ids" in error["fields"] and error["seats"] == foreign
    assert not ShowSeat.objects.filter(status=SeatStatus.LOCKED).exists()


def test_too_many_seats_is_hold_limit_whether_by_id_or_by_quantity(user, settings):
    settings.MAX_SEATS_PER_BOOKING = 3
    show = ShowFactory()
    client = client_for(user)
    by_ids = client.post(f"/api/v1/shows/{show.pk}/holds", {"seat_ids": seat_ids(show, 4)}, format="json")
    by_quantity = client.post(f"/api/v1/shows/{show.pk}/holds", {"quantity": 4}, format="json")
    assert _error(by_ids, 409)["code"] == _error(by_quantity, 409)["code"] == "HOLD_LIMIT"
    assert not ShowSeat.objects.filter(status=SeatStatus.LOCKED).exists()


def test_database_unreachable_is_503_envelope_with_retry_after(monkeypatch):
    from catalog.api import views

    def down(*args, **kwargs):
        raise OperationalError(2002, "Can't connect to server on '127.0.0.1' (115)")

    monkeypatch.setattr(views.selectors, "movies_active", down)
    r = APIClient().get("/api/v1/movies")
    assert _error(r, 503)["code"] == "SERVICE_UNAVAILABLE" and int(r["Retry-After"]) > 0


def test_sql_errors_are_not_disguised_as_an_outage(monkeypatch):
    from catalog.api import views

    def broken(*args, **kwargs):
        raise OperationalError(1054, "Unknown column")

    monkeypatch.setattr(views.selectors, "movies_active", broken)
    with pytest.raises(OperationalError):
        APIClient().get("/api/v1/movies")


def test_schema_documents_throttling_and_body_errors_everywhere():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"429", "503"} <= codes, (method, path)
            if "requestBody" in operation:
                assert {"400", "413", "415"} <= codes, (method, path)


def test_booking_a_started_show_via_api_is_409_and_changes_nothing(user):
    show = ShowFactory(start_time=timezone.now() + timedelta(hours=1))
    ids = seat_ids(show, 1)
    client = client_for(user)
    assert client.post(f"/api/v1/shows/{show.pk}/holds", {"seat_ids": ids}, format="json").status_code == 201
    Show.objects.filter(pk=show.pk).update(start_time=timezone.now() - timedelta(minutes=1))
    r = client.post("/api/v1/bookings", {"show_id": show.pk, "seat_ids": ids}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert _error(r, 409)["code"] == "SHOW_STARTED"
    assert not show.bookings.exists()


def test_duplicate_screen_name_is_a_field_error(staff):
    screen = ScreenFactory()
    payload = {"theatre_id": screen.theatre_id, "name": screen.name, "layout": ["SS"]}
    error = _error(client_for(staff).post("/api/v1/screens", payload, format="json"), 400)
    assert list(error["fields"]) == ["name"]


def test_model_validation_errors_use_drfs_non_field_key(staff, monkeypatch):
    from django.core.exceptions import ValidationError

    from catalog.api import views

    def clash(**kwargs):
        raise ValidationError("Something about the whole theatre.")

    def clash_dict(**kwargs):
        raise ValidationError({"__all__": ["Whole record."], "city": ["Bad city."]})

    for fake in (clash, clash_dict):
        monkeypatch.setattr(views.services, "theatre_create", fake)
        r = client_for(staff).post("/api/v1/theatres", {"name": "X", "city": "Y"}, format="json")
        fields = _error(r, 400)["fields"]
        assert "__all__" not in fields and fields["non_field_errors"]
