import pytest
from django.db import OperationalError


@pytest.mark.django_db
def test_health_ok(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_health_503_when_the_database_is_unreachable(client, monkeypatch):
    from django.db import connection

    def broken():
        raise OperationalError('(2003, "Can\'t connect to MySQL server")')

    monkeypatch.setattr(connection, "cursor", broken)
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable", "cache": "ok"}


@pytest.mark.django_db
def test_unknown_api_url_is_a_json_404(client):
    response = client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
