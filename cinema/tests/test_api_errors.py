"""The one error envelope, for every way a request can go wrong, and the schema."""

import pytest
from rest_framework.test import APIClient

from tests.api import client_for

pytestmark = pytest.mark.django_db


def _code(response):
    assert response["Content-Type"].startswith("application/json")
    return response.json()["error"]["code"]


def test_unknown_api_url_is_404_envelope():
    assert _code(APIClient().get("/api/v1/nope")) == "NOT_FOUND"
    assert _code(APIClient().get("/api/whatever/else")) == "NOT_FOUND"
    assert APIClient().get("/api/v1/shows/99999999999999999999999/seats").status_code == 404


def test_method_not_allowed():
    r = APIClient().put("/api/v1/movies", {}, format="json")
    assert r.status_code == 405 and _code(r) == "METHOD_NOT_ALLOWED"


def test_malformed_json_is_400(user):
    for raw in (b"{", b'{"seat_ids": [1,]}', b"\xff\xfe", b"[" * 100000, b'{"quantity": NaN}'):
        r = client_for(user).post("/api/v1/shows/1/holds", raw, content_type="application/json")
        assert r.status_code == 400 and _code(r) == "INVALID", raw[:10]


def test_unsupported_media_type_is_415(user):
    r = client_for(user).post("/api/v1/shows/1/holds", "quantity=1", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 415 and _code(r) == "UNSUPPORTED_MEDIA_TYPE"


def test_payload_too_large_is_413(user, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = b'{"seat_ids": [' + b",".join([b"1"] * 1000) + b"]}"
    r = client_for(user).post("/api/v1/shows/1/holds", body, content_type="application/json")
    assert r.status_code == 413 and _code(r) == "PAYLOAD_TOO_LARGE"


def test_throttled_is_429_with_retry_after(monkeypatch):
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setitem(AnonRateThrottle.THROTTLE_RATES, "anon", "2/min")
    client = APIClient()
    assert [client.get("/api/v1/movies").status_code for _ in range(2)] == [200, 200]
    r = client.get("/api/v1/movies")
    assert r.status_code == 429 and _code(r) == "THROTTLED" and int(r["Retry-After"]) > 0


def test_schema_lists_every_endpoint():
    r = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert r.status_code == 200
    schema = r.json()
    assert schema["components"]["securitySchemes"]["jwtAuth"]["scheme"] == "bearer"  # accounts/authentication.py
    paths = set(schema["paths"])
    for path in [
        "/api/v1/login",
        "/api/v1/register",
        "/api/v1/token/refresh",
        "/api/v1/logout",
        "/api/v1/me",
        "/api/v1/movies",
        "/api/v1/movies/{movie_id}",
        "/api/v1/movies/{movie_id}/shows",
        "/api/v1/theatres",
        "/api/v1/theatres/{theatre_id}",
        "/api/v1/screens",
        "/api/v1/screens/{screen_id}",
        "/api/v1/shows",
        "/api/v1/shows/{show_id}",
        "/api/v1/shows/{show_id}/seats",
        "/api/v1/shows/{show_id}/holds",
        "/api/v1/shows/{show_id}/bookings",
        "/api/v1/seats/{seat_id}/lock",
        "/api/v1/bookings",
        "/api/v1/bookings/{booking_id}",
        "/api/v1/bookings/{booking_id}/cancel",
    ]:
        assert path in paths, path
    booking = schema["paths"]["/api/v1/bookings"]["post"]
    assert {"201", "409", "422"} <= set(booking["responses"])
    assert "Error" in schema["components"]["schemas"]
    docs = APIClient().get("/api/docs/")
    assert docs.status_code == 200
    # Swagger UI comes from our own static files (drf-spectacular-sidecar), not a CDN.
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs.content
    assert APIClient().get("/api/redoc/").status_code == 200


def test_default_throttles_are_buckets_of_constant_size(monkeypatch, user):
    """The anon and user throttles keep a few bytes per client however many
    requests it made (DRF's sliding window keeps a list of every request time),
    and still refuse the request past the rate with a Retry-After."""
    from django.core.cache import cache
    from rest_framework.throttling import SimpleRateThrottle

    from cinema.throttling import UserBucketThrottle

    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "50/hour")
    client = client_for(user)
    assert {client.get("/api/v1/movies").status_code for _ in range(50)} == {200}
    r = client.get("/api/v1/movies")
    assert r.status_code == 429 and 1 <= int(r["Retry-After"]) <= 72  # one token back in 72 s
    key = "bucket:" + UserBucketThrottle.cache_format % {"scope": "user", "ident": user.pk}
    state = cache.get(key)
    assert state is not None and len(repr(state)) < 64


def test_a_rushs_expected_answers_are_not_warnings_but_mistakes_are(user, caplog):
    """409 and 402 (sold out, taken, a limit, a declined card) are counted in
    the business metrics, not written by Django's request logger; a 404 or a
    400 still is."""
    import logging

    from booking.models import SeatStatus, ShowSeat
    from booking.tests.helpers import make_show

    show = make_show("SS")
    ShowSeat.objects.filter(show=show).update(status=SeatStatus.SOLD)
    client = client_for(user)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        r = client.post(f"/api/v1/shows/{show.pk}/holds", {"quantity": 2}, format="json")
        assert r.status_code == 409 and _code(r) == "SEAT_UNAVAILABLE"
        assert not [rec for rec in caplog.records if rec.name == "django.request"]
        assert client.get("/api/v1/nope").status_code == 404
        assert client.post(f"/api/v1/shows/{show.pk}/holds", {"quantity": 0}, format="json").status_code == 400
    assert [rec.status_code for rec in caplog.records if rec.name == "django.request"] == [404, 400]
