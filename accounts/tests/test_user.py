import pytest
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.test import RequestFactory


@pytest.mark.django_db
def test_user_logs_in_with_email_and_has_a_name():
    User = get_user_model()
    user = User.objects.create_user(email="Asha@Example.com", password="s3cret-pass!", name="Asha")
    assert user.email == "asha@example.com"
    request = RequestFactory().post("/accounts/login/")
    assert authenticate(request, username="ASHA@example.com", password="s3cret-pass!") == user
    assert authenticate(request, username="asha@example.com", password="wrong") is None
    assert str(user) == "Asha <asha@example.com>"


def test_argon2_is_the_first_password_hasher():
    from cinema import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert settings.AUTH_USER_MODEL == "accounts.User"


@pytest.mark.django_db
def test_createsuperuser_noinput_uses_name(monkeypatch):
    from django.core.management import call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "boss@example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "very-secret-1")
    monkeypatch.setenv("DJANGO_SUPERUSER_NAME", "Boss")
    call_command("createsuperuser", interactive=False, verbosity=0)
    user = get_user_model().objects.get(email="boss@example.com")
    assert user.is_superuser and user.name == "Boss"
