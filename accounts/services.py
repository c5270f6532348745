"""Writes to user accounts."""

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction


@transaction.atomic
def user_register(*, email: str, password: str, name: str):
    """Create a moviegoer account.

    Raises ValidationError on ``email`` when the address is taken (case
    insensitively) and on ``password`` when a password validator refuses it.
    """
    User = get_user_model()
    email = User.objects.normalize_email(email).strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": ["An account with this email already exists."]})
    candidate = User(email=email, name=name)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, password=password, name=name)
    except IntegrityError as exc:  # a concurrent registration won the race
        raise ValidationError({"email": ["An account with this email already exists."]}) from exc
