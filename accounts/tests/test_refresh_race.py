"""Eight parallel refreshes with one refresh token: exactly one wins."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import DEFAULT_PASSWORD, UserFactory

THREADS = 8


@pytest.mark.mysql_only
@pytest.mark.django_db(transaction=True)
def test_parallel_refreshes_of_one_token_have_one_winner():
    user = UserFactory()
    login = APIClient().post("/api/v1/login", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")
    refresh = login.json()["refresh"]
    barrier = threading.Barrier(THREADS)
    results = []

    def attempt():
        try:
            barrier.wait()
            r = APIClient().post("/api/v1/token/refresh", {"refresh": refresh}, format="json")
            results.append((r.status_code, r.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(status for status, _ in results) == [200] + [401] * (THREADS - 1), results
    winner = next(body for status, body in results if status == 200)
    # the winner's new refresh token works once more; the old one never again
    again = APIClient().post("/api/v1/token/refresh", {"refresh": winner["refresh"]}, format="json")
    assert again.status_code == 200
    old = APIClient().post("/api/v1/token/refresh", {"refresh": refresh}, format="json")
    assert old.status_code == 401
