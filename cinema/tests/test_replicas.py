"""The replica router, the read-your-writes pin and the edge headers, without
a replica (tests/multinode runs them against a real one)."""

import pytest
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from booking.models import Booking, ShowSeat
from catalog.models import Movie, Show
from cinema import replicas
from cinema.db_router import ReplicaRouter
from tests.api import client_for
from tests.factories import ShowFactory, UserFactory

router = ReplicaRouter()


def test_reads_use_the_primary_unless_a_replica_is_allowed():
    assert router.db_for_read(Movie) == "default"
    with replicas.use_replica("replica1"):
        assert router.db_for_read(Movie) == "replica1"
        assert router.db_for_read(ShowSeat) == "replica1"
        # Accounts, bookings, idempotency records: always the primary.
        assert router.db_for_read(User) == "default"
        assert router.db_for_read(Booking) == "default"
        with replicas.use_primary():
            assert router.db_for_read(Show) == "default"
    assert router.db_for_write(Movie) == "default"
    assert router.allow_migrate("replica1", "catalog") is False and router.allow_migrate("default", "catalog")


@pytest.mark.django_db(transaction=True)
def test_a_read_inside_a_transaction_uses_the_primary():
    with replicas.use_replica("replica1"), transaction.atomic():
        assert router.db_for_read(ShowSeat) == "default"


@pytest.mark.django_db
def test_a_successful_write_pins_the_writer_by_cookie_and_by_user_id(settings):
    settings.REPLICA_PIN_SECONDS = 5
    user = UserFactory()
    factory = RequestFactory()
    middleware = replicas.ReplicaMiddleware(lambda request: HttpResponse(status=201))
    request = factory.post("/api/v1/holds")
    request.user = user
    response = middleware(request)
    cookie = response.cookies[replicas.PIN_COOKIE]
    assert cookie["max-age"] == 5 and cookie["httponly"]

    later = factory.get("/api/v1/movies")
    later.COOKIES[replicas.PIN_COOKIE] = cookie.value
    assert replicas.is_pinned(later)
    bearer = factory.get("/api/v1/movies", HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    assert replicas.is_pinned(bearer)
    assert not replicas.is_pinned(factory.get("/api/v1/movies"))
    forged = factory.get("/api/v1/movies")
    forged.COOKIES[replicas.PIN_COOKIE] = "1"
    assert not replicas.is_pinned(forged)


def test_a_failed_write_does_not_pin():
    middleware = replicas.ReplicaMiddleware(lambda request: HttpResponse(status=409))
    assert replicas.PIN_COOKIE not in middleware(RequestFactory().post("/x")).cookies


@pytest.mark.django_db
def test_anonymous_seat_maps_are_public_for_a_second_and_a_viewers_own_are_private():
    show = ShowFactory()
    anonymous = client_for().get(f"/api/v1/shows/{show.pk}/seats")
    assert anonymous["Cache-Control"] == "public, max-age=1" and "Cookie" in anonymous["Vary"]
    mine = client_for(UserFactory()).get(f"/api/v1/shows/{show.pk}/seats")
    assert mine["Cache-Control"] == "private, no-cache"
