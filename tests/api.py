"""Helpers for the API tests (the fixtures api, user, other, staff and show
are in the root conftest.py)."""

from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken


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


def wsgi_get(app, path, **headers):
    """A GET straight into a WSGI application: (status, headers, body).

    As Django's test client does, the database connection is not closed at the
    start and end of the request (``close_old_connections``): closing it would
    end the test's transaction on MariaDB, and the rows would outlive the test."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from django.test import RequestFactory

    environ = RequestFactory().get(path, headers=headers).environ
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer.update(status=int(status.split()[0]), headers=dict(response_headers))

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        chunks = app(environ, start_response)
        try:
            body = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return answer["status"], answer["headers"], body
