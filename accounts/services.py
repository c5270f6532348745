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


@transaction.atomic(durable=True)
def token_refresh(*, refresh: str) -> dict[str, str]:
    """Rotate a refresh token: ``{"access", "refresh"}``, a new pair.

    Exactly one caller wins per refresh token, however many race: the old
    token is blacklisted by a plain INSERT that the unique constraint on
    ``BlacklistedToken.token`` decides (a concurrent second insert waits for
    the first and then fails), so a token cannot fork into several live ones.

    Raises TokenError for a bad, expired or already used token, and when
    its user is gone or inactive. Nothing is written then.
    """
    from rest_framework_simplejwt.exceptions import TokenError
    from rest_framework_simplejwt.settings import api_settings as jwt_settings
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
    from rest_framework_simplejwt.tokens import RefreshToken
    from rest_framework_simplejwt.utils import datetime_from_epoch

    token = RefreshToken(refresh)  # signature, expiry and the blacklist
    User = get_user_model()
    user = User.objects.filter(**{jwt_settings.USER_ID_FIELD: token.payload.get(jwt_settings.USER_ID_CLAIM)}).first()
    if user is None or not jwt_settings.USER_AUTHENTICATION_RULE(user):
        raise TokenError("No active account found for the given token.")
    outstanding, _ = OutstandingToken.objects.get_or_create(
        jti=token.payload[jwt_settings.JTI_CLAIM],
        defaults={"user": user, "token": refresh, "expires_at": datetime_from_epoch(token.payload["exp"])},
    )
    try:
        with transaction.atomic():
            BlacklistedToken.objects.create(token=outstanding)
    except IntegrityError as exc:  # another refresh with this token won
        raise TokenError("Token is blacklisted") from exc
    access = str(token.access_token)
    token.set_jti()
    token.set_exp()
    token.set_iat()
    token.outstand()
    return {"access": access, "refresh": str(token)}
