"""Writes to user accounts."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse

logger = logging.getLogger(__name__)

EMAIL_MAX_LENGTH = 254
_VERIFY_SALT = "accounts.email-verification"


def email_normalize(email: str) -> str:
    """The one stored and compared form of an email address: stripped, the
    domain normalised, all lower-cased.

    Raises ValidationError when the normalised address is longer than the
    column (lower-casing can lengthen text: "İ" becomes two characters).
    """
    email = get_user_model().objects.normalize_email(email.strip()).lower()
    if len(email) > EMAIL_MAX_LENGTH:
        raise ValidationError(f"An email address has at most {EMAIL_MAX_LENGTH} characters.", code="max_length")
    return email


@transaction.atomic
def user_register(*, email: str, password: str, name: str, verify_url: str | None = None):
    """Create a moviegoer account and, after commit, email them a link that
    verifies their address (``verify_url`` is the site's absolute base URL for
    it; without one the link is relative).

    Raises ValidationError on ``email`` when the address is taken (case
    insensitively) or too long, on ``name`` when it is not one line, and on
    ``password`` when a password validator refuses it. Nothing is written then.
    """
    User = get_user_model()
    try:
        email = email_normalize(email)
    except ValidationError as exc:
        raise ValidationError({"email": exc.messages}) from exc
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": ["An account with this email already exists."]})
    candidate = User(email=email, name=name)
    candidate.clean_fields(exclude=["password", "last_login", "date_joined"])
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, name=name)
    except IntegrityError as exc:  # a concurrent registration won the race
        raise ValidationError({"email": ["An account with this email already exists."]}) from exc
    transaction.on_commit(lambda: email_verification_send(user=user, base_url=verify_url or ""))
    return user


def email_verification_token(*, user) -> str:
    """A signed token naming the user and the address it verifies."""
    return signing.dumps({"u": user.pk, "e": user.email}, salt=_VERIFY_SALT, compress=True)


def email_verification_send(*, user, base_url: str = "") -> bool:
    """Email ``user`` the link that verifies their address. Never raises: a
    failed send is logged (the user can ask for another link by logging in)."""
    link = base_url.rstrip("/") + reverse("accounts:verify_email", args=[email_verification_token(user=user)])
    text = render_to_string("accounts/email/verify_email.txt", {"user": user, "link": link})
    try:
        send_mail(
            subject="Confirm your email address",
            message=text,
            from_email=None,
            recipient_list=[user.email],
        )
    except Exception:  # the mail server is down or refuses: log it, never lose it silently
        logger.exception("Could not send the verification email to user %s", user.pk)
        return False
    return True


@transaction.atomic
def email_verify(*, token: str):
    """Mark the address named by ``token`` verified and return its user.

    Raises ValidationError for a bad or expired token, or one issued for an
    address the user no longer has.
    """
    max_age = settings.EMAIL_VERIFICATION_MAX_AGE_SECONDS
    try:
        data = signing.loads(token, salt=_VERIFY_SALT, max_age=max_age)
    except signing.BadSignature as exc:  # includes SignatureExpired
        raise ValidationError("This link is not valid any more. Log in to get a new one.") from exc
    User = get_user_model()
    user = User.objects.select_for_update().filter(pk=data.get("u"), email=data.get("e")).first()
    if user is None:
        raise ValidationError("This link is not valid any more. Log in to get a new one.")
    if not user.email_verified:
        user.email_verified = True
        user.save(update_fields=["email_verified"])
    return user


def user_may_hold_seats(*, user) -> bool:
    """Whether ``user`` may hold seats: always, unless
    ``REQUIRE_EMAIL_VERIFICATION`` is on and their address is unverified
    (staff are trusted)."""
    if not settings.REQUIRE_EMAIL_VERIFICATION:
        return True
    return bool(user.email_verified or user.is_staff)


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


@transaction.atomic(durable=True)
def user_tokens_revoke(*, user) -> int:
    """End every API session of ``user``: blacklist each refresh token issued
    to them that is not blacklisted yet (simplejwt's OutstandingToken list).
    Returns how many were blacklisted. Takes no row locks; a concurrent
    rotation of one of them loses to the unique blacklist row either way."""
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    pending = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    rows = [BlacklistedToken(token=token) for token in pending]
    BlacklistedToken.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
