"""Users in the staff admin: add, staff and active flags, and a deactivated
user's API tokens stop working at once."""

import pytest
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.tokens import AccessToken

from accounts.authentication import JWTAuthentication
from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def authenticate(token):
    request = RequestFactory().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    return JWTAuthentication().authenticate(request)


def test_staff_add_a_user_with_email_and_name(staff_client):
    response = staff_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "New.Clerk@Example.com",
            "name": "New Clerk",
            "usable_password": "true",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="new.clerk@example.com")
    assert user.name == "New Clerk" and user.check_password("a-long-unusual-passphrase")
    again = staff_client.post(
        reverse("admin:accounts_user_add"),
        {"email": "NEW.clerk@example.com", "name": "x", "usable_password": "false"},
    )
    assert "already exists" in again.content.decode()


def test_deactivating_a_user_voids_their_jwt(staff_client):
    user = UserFactory()
    token = AccessToken.for_user(user)
    assert authenticate(token)[0] == user

    staff_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate_users", "_selected_action": [user.pk]},
    )
    user.refresh_from_db()
    assert not user.is_active
    with pytest.raises(AuthenticationFailed):
        authenticate(token)


def test_staff_flag_is_set_from_the_change_page(staff_client):
    user = UserFactory()
    page = staff_client.get(reverse("admin:accounts_user_change", args=[user.pk]))
    form = page.context["adminform"].form
    data = {
        "email": user.email,
        "name": user.name,
        "is_active": "on",
        "is_staff": "on",
        "date_joined_0": form.initial["date_joined"].strftime("%Y-%m-%d") if "date_joined" in form.fields else "",
    }
    response = staff_client.post(reverse("admin:accounts_user_change", args=[user.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.is_staff and user.is_active
