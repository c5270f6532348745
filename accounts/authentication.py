"""The API's bearer tokens: simplejwt's JWTAuthentication, with the user read
by one hand-written query (accounts/sql.py) instead of the ORM on every
request. Everything else — the token checks, "user not found", "user is
inactive", revocation on a password change — is simplejwt's."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.sql import user_by_pk_sql


class JWTAuthentication(authentication.JWTAuthentication):
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
