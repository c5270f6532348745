"""Log in, register, refresh, log out, me; lockout, throttling, JWT algorithms, session + CSRF."""

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt.backends import TokenBackend

from accounts.models import User
from cinema.keys import generate_key_pair
from tests.api import client_for
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def _login(client, email, password=DEFAULT_PASSWORD, **extra):
    return client.post("/api/v1/login", {"email": email, "password": password}, format="json", **extra)


def test_login_seed_shape(user):
    r = _login(APIClient(), user.email.upper())
    assert r.status_code == 200
    body = r.json()
    assert body["user"] == {"id": user.pk, "name": user.name, "email": user.email, "is_staff": False}
    assert body["token"] and body["refresh"]
    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert me.get("/api/v1/me").json()["email"] == user.email


def test_login_bad_credentials_is_401(user):
    r = _login(APIClient(), user.email, "wrong")
    assert r.status_code == 401 and r.json()["error"]["code"] == "NOT_AUTHENTICATED"
    assert r["WWW-Authenticate"].startswith("Bearer")
    assert _login(APIClient(), "nobody@example.com").status_code == 401
    bad = APIClient().post("/api/v1/login", {"email": ["x"]}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "INVALID"


def test_repeated_failures_lock_out_with_429(user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = APIClient()
    codes = [_login(client, user.email, "wrong").status_code for _ in range(3)]
    assert codes[:2] == [401, 401] and codes[2] == 429
    r = _login(client, user.email)  # even the right password is refused now
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "THROTTLED" and int(r["Retry-After"]) > 0


def test_html_form_and_api_share_one_lockout(user, settings, client):
    settings.AXES_FAILURE_LIMIT = 2
    client.post("/accounts/login/", {"username": user.email, "password": "wrong"})
    _login(APIClient(), user.email, "wrong")
    assert _login(APIClient(), user.email).status_code == 429
    r = client.post("/accounts/login/", {"username": user.email, "password": DEFAULT_PASSWORD})
    assert r.status_code == 429


def test_login_throttle_scope(user, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "login", "2/min")
    client = APIClient()
    assert [_login(client, user.email).status_code for _ in range(2)] == [200, 200]
    r = _login(client, user.email)
    assert r.status_code == 429 and r.json()["error"]["code"] == "THROTTLED" and int(r["Retry-After"]) > 0


def test_register():
    payload = {"email": "New@Example.com", "password": "a-long-enough-pass", "name": "New Person"}
    r = APIClient().post("/api/v1/register", payload, format="json")
    assert r.status_code == 201 and r.json()["email"] == "new@example.com"
    assert User.objects.get(email="new@example.com").check_password(payload["password"])
    dup = APIClient().post("/api/v1/register", payload | {"email": "NEW@example.com"}, format="json")
    assert dup.status_code == 400 and "email" in dup.json()["error"]["fields"]
    weak = APIClient().post(
        "/api/v1/register", payload | {"email": "w@example.com", "password": "12345678"}, format="json"
    )
    assert weak.status_code == 400 and "password" in weak.json()["error"]["fields"]
    missing = APIClient().post("/api/v1/register", {"email": "not-an-email"}, format="json")
    assert set(missing.json()["error"]["fields"]) == {"email", "password", "name"}


def test_refresh_rotates_and_blacklists(user):
    first = _login(APIClient(), user.email).json()["refresh"]
    r = APIClient().post("/api/v1/token/refresh", {"refresh": first}, format="json")
    assert r.status_code == 200 and r.json()["token"] and r.json()["refresh"] != first
    again = APIClient().post("/api/v1/token/refresh", {"refresh": first}, format="json")
    assert again.status_code == 401 and again.json()["error"]["code"] == "NOT_AUTHENTICATED"
    garbage = APIClient().post("/api/v1/token/refresh", {"refresh": "x.y.z"}, format="json")
    assert garbage.status_code == 401


def test_logout_blacklists_refresh(user, other):
    tokens = _login(APIClient(), user.email).json()
    client = client_for(user)
    theirs = _login(APIClient(), other.email).json()["refresh"]
    assert client.post("/api/v1/logout", {"refresh": theirs}, format="json").status_code == 403
    assert client.post("/api/v1/logout", {"refresh": tokens["refresh"]}, format="json").status_code == 200
    r = APIClient().post("/api/v1/token/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert r.status_code == 401
    assert client.post("/api/v1/logout", {"refresh": "nope"}, format="json").status_code == 400
    assert APIClient().post("/api/v1/logout", {"refresh": "nope"}, format="json").status_code == 401


def test_me_needs_a_valid_token():
    assert APIClient().get("/api/v1/me").status_code == 401
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")
    r = client.get("/api/v1/me")
    assert r.status_code == 401 and r.json()["error"]["code"] == "NOT_AUTHENTICATED"


def test_deactivated_user_tokens_stop_working(user):
    tokens = _login(APIClient(), user.email).json()
    User.objects.filter(pk=user.pk).update(is_active=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['token']}")
    assert client.get("/api/v1/me").status_code == 401
    r = APIClient().post("/api/v1/token/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert r.status_code == 401


def test_a_token_already_verified_still_answers_to_its_user_and_its_expiry(user, monkeypatch):
    """accounts.authentication checks a token's signature once per process:
    the user is still read on every request, and the expiry checked again."""
    from datetime import timedelta

    from rest_framework_simplejwt.tokens import AccessToken

    from accounts import authentication

    token = AccessToken.for_user(user)
    token.set_exp(lifetime=timedelta(minutes=5))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/me").status_code == 200
    assert str(token).encode() in authentication._VERIFIED
    # A copy with its signature changed is not the verified token.
    forged = APIClient()
    forged.credentials(HTTP_AUTHORIZATION=f"Bearer {str(token)[:-4]}AAAA")
    assert forged.get("/api/v1/me").status_code == 401
    # Five minutes on, the same bytes are an expired token.
    later = authentication.aware_utcnow() + timedelta(minutes=6)
    monkeypatch.setattr(authentication, "aware_utcnow", lambda: later)
    monkeypatch.setattr("rest_framework_simplejwt.tokens.aware_utcnow", lambda: later)
    r = client.get("/api/v1/me")
    assert r.status_code == 401 and r.json()["error"]["code"] == "NOT_AUTHENTICATED"
    assert str(token).encode() not in authentication._VERIFIED
    monkeypatch.undo()
    # Still valid, but its user was switched off: the user is read every time.
    fresh = APIClient()
    fresh.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    assert fresh.get("/api/v1/me").status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert fresh.get("/api/v1/me").status_code == 401


def test_deleted_user_refresh_is_401_not_500(user):
    refresh = _login(APIClient(), user.email).json()["refresh"]
    User.objects.filter(pk=user.pk).delete()
    assert APIClient().post("/api/v1/token/refresh", {"refresh": refresh}, format="json").status_code == 401


def test_tokens_are_rs256_by_default(user):
    token = _login(APIClient(), user.email).json()["token"]
    import jwt

    assert jwt.get_unverified_header(token)["alg"] == "RS256"


def test_es256_signs_and_verifies():
    private, public = generate_key_pair("ES256")
    backend = TokenBackend("ES256", signing_key=private, verifying_key=public)
    token = backend.encode({"user_id": "7"})
    assert backend.decode(token)["user_id"] == "7"
    import jwt

    assert jwt.get_unverified_header(token)["alg"] == "ES256"


def test_session_auth_requires_csrf(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/api/v1/me").json()["email"] == user.email
    r = client.post("/api/v1/logout", {"refresh": "x"}, format="json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "PERMISSION_DENIED"
    assert "CSRF" in r.json()["error"]["message"]
    from django.middleware.csrf import _get_new_csrf_string

    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    r = client.post("/api/v1/logout", {"refresh": "x"}, format="json", HTTP_X_CSRFTOKEN=token)
    assert r.status_code == 400  # past CSRF: the body is what is wrong now


def test_logout_all_ends_every_session_of_the_caller_only(user, other):
    sessions = [_login(APIClient(), user.email).json()["refresh"] for _ in range(3)]
    theirs = _login(APIClient(), other.email).json()["refresh"]
    r = client_for(user).post("/api/v1/logout/all")
    assert r.status_code == 200 and r.json()["revoked"] == 3
    for refresh in sessions:
        assert APIClient().post("/api/v1/token/refresh", {"refresh": refresh}, format="json").status_code == 401
    assert APIClient().post("/api/v1/token/refresh", {"refresh": theirs}, format="json").status_code == 200
    assert client_for(user).post("/api/v1/logout/all").json()["revoked"] == 0
    assert APIClient().post("/api/v1/logout/all").status_code == 401


def test_cors_only_for_configured_origins(settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    ok = APIClient().get("/api/v1/movies", HTTP_ORIGIN="https://app.example.com")
    assert ok["Access-Control-Allow-Origin"] == "https://app.example.com"
    other = APIClient().get("/api/v1/movies", HTTP_ORIGIN="https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in other
    preflight = APIClient().options(
        "/api/v1/holds",
        HTTP_ORIGIN="https://app.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type",
    )
    assert preflight.status_code == 200 and "authorization" in preflight["Access-Control-Allow-Headers"]
