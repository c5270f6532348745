"""Register, log in, log out pages."""

import pytest
from django.urls import reverse

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_login_form_is_labelled_email_and_password(client):
    html = client.get(reverse("accounts:login")).content.decode()
    assert '<label for="id_username">Email</label>' in html
    assert '<label for="id_password">Password</label>' in html
    assert 'name="username"' in html and 'type="email"' in html
    assert ">Log in</button>" in html


def test_login_with_bad_password_shows_an_alert(client):
    user = UserFactory()
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": "nope"})
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()


def test_register_logs_in_and_follows_next(client):
    response = client.post(
        reverse("accounts:register") + "?next=/bookings/",
        {
            "name": "Asha",
            "email": "Asha@Example.com",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
            "next": "/bookings/",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/bookings/"
    user = User.objects.get()
    assert user.email == "asha@example.com" and user.name == "Asha"
    assert client.get("/bookings/").status_code == 200


def test_register_rejects_duplicate_email_and_weak_password(client):
    UserFactory(email="taken@example.com")
    response = client.post(
        reverse("accounts:register"),
        {"name": "X", "email": "TAKEN@example.com", "password1": "123", "password2": "123"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "already exists" in html and "too short" in html


def test_logout_is_a_post(client):
    client.force_login(UserFactory())
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get("/bookings/").status_code == 302


def test_register_errors_are_announced_and_focus_the_first_bad_field(client):
    UserFactory(email="taken@example.com")
    response = client.post(
        reverse("accounts:register"),
        {
            "name": "X",
            "email": "taken@example.com",
            "password1": "a-long-pass-phrase",
            "password2": "other-pass-phrase",
        },
    )
    html = response.content.decode()
    assert 'role="alert"' in html and "Please fix the 2 problems below." in html
    assert html.count("autofocus") == 1
    email_input = html.split('id="id_email"')[0].rsplit("<input", 1)[1] + html.split('id="id_email"')[1].split(">")[0]
    assert "autofocus" in email_input and 'aria-invalid="true"' in email_input


def test_lockout_page_says_how_long_and_offers_a_way_on(client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    user = UserFactory()
    for _ in range(2):
        response = client.post(reverse("accounts:login"), {"username": user.email, "password": "nope"})
    html = response.content.decode()
    assert response.status_code == 429 and int(response["Retry-After"]) == 15 * 60
    assert 'role="alert"' in html and "Try again in 15 minutes." in html and "Back to the movies" in html
