"""Fixtures shared by the API tests (import them with ``from booking.tests.api_support import *``)."""

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import ShowFactory, StaffFactory, UserFactory

__all__ = ["api", "user", "other", "staff", "show", "client_for", "seat_ids", "seat_map"]


def client_for(user=None) -> APIClient:
    """An API client sending a real JWT for ``user`` (anonymous without one)."""
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


def seat_ids(show, n=None):
    ids = list(show.show_seats.order_by("pk").values_list("pk", flat=True))
    return ids if n is None else ids[:n]


def seat_map(client, show):
    return client.get(f"/api/v1/shows/{show.pk}/seats")


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other(db):
    return UserFactory()


@pytest.fixture
def staff(db):
    return StaffFactory()


@pytest.fixture
def show(db):
    return ShowFactory()
