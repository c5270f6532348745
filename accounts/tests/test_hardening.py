"""Bad input to the account forms and API: clear 4xx, nothing written."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.core import mail
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import email_verification_token, user_may_hold_seats
from tests.factories import MovieFactory, StaffFactory, TheatreFactory, UserFactory

pytestmark = pytest.mark.django_db

LONG = "a" * 300 + "@example.com"
DOTTED_I = "İ" * 200  # lower-casing doubles its length


def _register(**changes):
    payload = {"email": "new@example.com", "password": "a-long-enough-pass", "name": "New Person"} | changes
    return APIClient().post("/api/v1/register", payload, format="json")


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_very_long_username_on_login_pages_is_a_form_error(client, path):
    r = client.post(path, {"username": LONG, "password": "whatever"})
    assert r.status_code == 200 and "correct email address and password" in r.content.decode()
    assert not AccessAttempt.objects.exists() and not AccessFailureLog.objects.exists()


def test_login_api_with_an_email_that_grows_when_lower_cased_is_400():
    r = APIClient().post("/api/v1/login", {"email": DOTTED_I, "password": "x"}, format="json")
    assert r.status_code == 400 and "email" in r.json()["error"]["fields"]
    assert not AccessAttempt.objects.exists()


@pytest.mark.parametrize("email", ["İ" * 130 + "@example.com", "a" * 120 + "İ" * 65 + "@example.com"])
def test_register_with_an_email_too_long_once_normalised_is_400(email):
    assert len(email) <= 254 < len(email.lower())
    r = _register(email=email)
    assert r.status_code == 400 and "email" in r.json()["error"]["fields"]
    assert not User.objects.exists()


def test_register_page_with_an_email_too_long_once_normalised_is_a_form_error(client):
    data = {"name": "P", "email": "İ" * 130 + "@example.com", "password1": "a-long-enough-pass"}
    r = client.post("/accounts/register/", data | {"password2": data["password1"]})
    assert r.status_code == 200 and not User.objects.exists()


@pytest.mark.parametrize("password", ["New Person", "        ", "new person 1"])
def test_password_like_the_name_or_blank_is_refused(password):
    r = _register(name="New Person" if password != "new person 1" else "New Person 1", password=password)
    assert r.status_code == 400 and "password" in r.json()["error"]["fields"], r.json()
    assert not User.objects.exists()


@pytest.mark.parametrize("name", ["Evil\r\nBcc: x@example.com", "Two\nlines", "Tab\there"])
def test_names_are_single_line(name, client):
    r = _register(name=name)
    assert r.status_code == 400 and "name" in r.json()["error"]["fields"]
    data = {"name": name, "email": "p@example.com", "password1": "a-long-enough-pass"}
    assert client.post("/accounts/register/", data | {"password2": data["password1"]}).status_code == 200
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/movies", {"title": "Chai\r\nChaos", "duration_mins": 90}),
        ("/api/v1/theatres", {"name": "Regal\nX", "city": "Delhi"}),
        ("/api/v1/theatres", {"name": "Regal", "city": "Del\rhi"}),
    ],
)
def test_catalogue_titles_and_names_are_single_line(path, body):
    from tests.api import client_for

    r = client_for(StaffFactory()).post(path, body, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID"


def test_changing_a_title_to_two_lines_is_400():
    from tests.api import client_for

    movie, theatre = MovieFactory(), TheatreFactory()
    client = client_for(StaffFactory())
    assert client.patch(f"/api/v1/movies/{movie.pk}", {"title": "A\nB"}, format="json").status_code == 400
    assert client.patch(f"/api/v1/theatres/{theatre.pk}", {"name": "A\u2028B"}, format="json").status_code == 400


def test_registration_emails_a_verification_link_that_verifies(client, settings, django_capture_on_commit_callbacks):
    settings.REQUIRE_EMAIL_VERIFICATION = True
    with django_capture_on_commit_callbacks(execute=True):
        r = _register()
    assert r.status_code == 201
    user = User.objects.get()
    assert not user.email_verified and not user_may_hold_seats(user=user)
    (message,) = mail.outbox
    assert message.to == [user.email]
    link = next(line for line in message.body.splitlines() if "/accounts/verify/" in line)
    assert link.startswith("http://testserver/accounts/verify/")
    assert client.get(link.removeprefix("http://testserver")).status_code == 302
    user.refresh_from_db()
    assert user.email_verified and user_may_hold_seats(user=user)


def test_a_bad_or_stale_verification_link_changes_nothing(client, settings):
    user = UserFactory(email_verified=False)
    token = email_verification_token(user=user)
    User.objects.filter(pk=user.pk).update(email="changed@example.com")
    r = client.get(f"/accounts/verify/{token}/", follow=True)
    assert "not valid any more" in r.content.decode()
    client.get("/accounts/verify/garbage/")
    user.refresh_from_db()
    assert not user.email_verified


def test_verification_is_not_required_by_default_in_tests(settings):
    assert not settings.REQUIRE_EMAIL_VERIFICATION
    assert user_may_hold_seats(user=UserFactory(email_verified=False))


def test_a_failed_verification_email_is_logged_not_raised(settings, caplog):
    from accounts.services import email_verification_send

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 1
    assert email_verification_send(user=UserFactory()) is False
    assert "Could not send the verification email" in caplog.text


def test_verification_when_required_blocks_unverified_customers_only(settings):
    settings.REQUIRE_EMAIL_VERIFICATION = True
    assert not user_may_hold_seats(user=UserFactory(email_verified=False))
    assert user_may_hold_seats(user=UserFactory(email_verified=True))
    assert user_may_hold_seats(user=StaffFactory(email_verified=False))
