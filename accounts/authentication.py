"""The API's bearer tokens: simplejwt's JWTAuthentication, with the user read
by one hand-written query (accounts/sql.py) instead of the ORM on every
request, and each token's signature checked once per process (``_VERIFIED``).
Everything else — the token checks, "user not found", "user is inactive",
revocation on a password change — is simplejwt's."""

from django.core.signals import setting_changed
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import aware_utcnow, get_md5_hash_password

from accounts.sql import user_by_pk_sql

# Tokens simplejwt has validated in this process: raw token -> its Token. A
# token is immutable and its signature, type and claims do not change, so only
# its expiry is checked again on reuse (the user is still read every time:
# inactive users and password changes are simplejwt's checks in get_user).
# Verifying an RS256 signature and decoding the claims is ~0.3 ms per request;
# a client polling the seat map sends the same token every second. Bounded:
# emptied when full (a few MB at most) and whenever a setting changes (the keys).
_VERIFIED: dict[bytes, object] = {}
VERIFIED_MAX = 1024


def _forget_verified(**kwargs) -> None:
    _VERIFIED.clear()


setting_changed.connect(_forget_verified, dispatch_uid="accounts.authentication.verified")


class JWTAuthentication(authentication.JWTAuthentication):
    def get_validated_token(self, raw_token):
        token = _VERIFIED.get(raw_token)
        if token is not None:
            try:
                token.check_exp(current_time=aware_utcnow())
                return token
            except TokenError:
                _VERIFIED.pop(raw_token, None)  # expired: simplejwt says so, below
        token = super().get_validated_token(raw_token)
        if len(_VERIFIED) >= VERIFIED_MAX:
            _VERIFIED.clear()
        _VERIFIED[raw_token] = token
        return token

    def get_user(self, validated_token):
        if api_settings.USER_ID_FIELD != self.user_model._meta.pk.attname:
            return super().get_user(validated_token)
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as e:
            raise InvalidToken(_("Token contained no recognizable user identification")) from e
        user = user_by_pk_sql(user_id)
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            api_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
        return user


class JWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme drf-spectacular gives simplejwt's class (``jwtAuth``), for this one."""

    target_class = JWTAuthentication
