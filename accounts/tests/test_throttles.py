"""New accounts and login attempts are limited per address and globally, and
a forged X-Forwarded-For does not escape the limits."""

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import User
from cinema.client_ip import client_ip
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _register(client, n, **extra):
    payload = {"email": f"new{n}@example.com", "password": "a-long-enough-pass", "name": f"Person {n}"}
    return client.post("/api/v1/register", payload, format="json", **extra)


def _register_page(client, n, **extra):
    data = {
        "name": f"Person {n}",
        "email": f"page{n}@example.com",
        "password1": "a-long-enough-pass",
        "password2": "a-long-enough-pass",
    }
    return client.post("/accounts/register/", data, **extra)


def test_register_api_per_address_even_with_rotating_forwarded_for(settings):
    settings.REGISTER_RATE_PER_IP = "3/hour"
    codes = [_register(APIClient(), n, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code for n in range(5)]
    assert codes == [201, 201, 201, 429, 429]
    r = _register(APIClient(), 9)
    assert r.json()["error"]["code"] == "THROTTLED" and int(r["Retry-After"]) > 0
    assert User.objects.count() == 3


def test_register_global_limit_covers_every_address(settings):
    settings.REGISTER_RATE_GLOBAL = "2/hour"
    codes = [_register(APIClient(), n, REMOTE_ADDR=f"10.0.1.{n}").status_code for n in range(3)]
    assert codes == [201, 201, 429]


def test_register_page_shares_the_limit_and_says_so(client, settings):
    settings.REGISTER_RATE_PER_IP = "2/hour"
    assert _register_page(client, 1).status_code == 302
    client.logout()
    assert _register(APIClient(), 2).status_code == 201
    r = _register_page(client, 3, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert r.status_code == 429 and int(r["Retry-After"]) > 0
    assert "Too many new accounts" in r.content.decode()
    assert not User.objects.filter(email="page3@example.com").exists()


def test_login_page_is_limited_per_address_across_emails(client, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "login", "3/min")
    codes = [
        client.post("/accounts/login/", {"username": f"victim{n}@example.com", "password": "guess"}).status_code
        for n in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    user = UserFactory()
    # the API shares the bucket
    r = APIClient().post("/api/v1/login", {"email": user.email, "password": "x"}, format="json")
    assert r.status_code == 429


def test_admin_login_shares_the_per_address_limit(client, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "login", "2/min")
    codes = [
        client.post("/admin/login/", {"username": f"v{n}@example.com", "password": "g"}).status_code for n in range(3)
    ]
    assert codes == [200, 200, 429]


def test_anonymous_throttle_is_not_escaped_by_rotating_forwarded_for(monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "3/min")
    codes = [APIClient().get("/api/v1/movies", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code for n in range(4)]
    assert codes == [200, 200, 200, 429]


def test_forwarded_for_is_trusted_only_as_far_as_num_proxies(rf, settings):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 1.2.3.4, 10.0.0.2", REMOTE_ADDR="10.0.0.1")
    settings.NUM_PROXIES = 0
    assert client_ip(request) == "10.0.0.1"
    settings.NUM_PROXIES = 1
    assert client_ip(request) == "10.0.0.2"
    settings.NUM_PROXIES = 2
    assert client_ip(request) == "1.2.3.4"
    settings.NUM_PROXIES = 9
    assert client_ip(request) == "6.6.6.6"


def test_one_proxy_counts_clients_apart(settings, monkeypatch):
    settings.NUM_PROXIES = 1
    settings.REST_FRAMEWORK = settings.REST_FRAMEWORK | {"NUM_PROXIES": 1}
    settings.REGISTER_RATE_PER_IP = "1/hour"
    assert _register(APIClient(), 1, HTTP_X_FORWARDED_FOR="1.1.1.1").status_code == 201
    assert _register(APIClient(), 2, HTTP_X_FORWARDED_FOR="2.2.2.2").status_code == 201
    assert _register(APIClient(), 3, HTTP_X_FORWARDED_FOR="6.6.6.6, 2.2.2.2").status_code == 429
