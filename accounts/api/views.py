"""Accounts API: log in (JWT), register, refresh, log out, me."""

from django.conf import settings
from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.api.serializers import UserOutputSerializer
from accounts.services import email_normalize, token_refresh, user_register, user_tokens_revoke
from accounts.throttles import REGISTER_THROTTLES
from cinema.api import errors

BEARER = 'Bearer realm="api"'


class _TokenlessApi(APIView):
    """Endpoints that take credentials in the body: no auth classes (so no CSRF
    check on a stale session), but a failure is still a proper 401."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get_authenticate_header(self, request):
        return BEARER


TokenPairSerializer = inline_serializer(
    name="TokenPair",
    fields={
        "token": serializers.CharField(help_text="Access token (15 minutes)."),
        "access": serializers.CharField(help_text="Same as token."),
        "refresh": serializers.CharField(help_text="Refresh token (7 days, single use)."),
    },
)


class LoginApi(_TokenlessApi):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    class InputSerializer(serializers.Serializer):
        email = serializers.CharField(max_length=254)
        password = serializers.CharField(max_length=1024, trim_whitespace=False)

        def validate_email(self, value):
            return email_normalize(value)

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField(help_text="Access token (JWT, 15 minutes).")
        access = serializers.CharField(help_text="Same as token.")
        refresh = serializers.CharField(help_text="Refresh token (7 days, rotated on use).")
        user = UserOutputSerializer()

    @extend_schema(
        operation_id="login",
        request=InputSerializer,
        responses={200: OutputSerializer, **errors(400, 401, 429)},
        auth=[],
        tags=["accounts"],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # django-axes counts failures on the Django request (its middleware
        # turns a lockout into the 429 envelope), so pass that one.
        django_request = request._request
        user = authenticate(
            request=django_request,
            email=data.validated_data["email"],
            password=data.validated_data["password"],
        )
        if getattr(django_request, "axes_locked_out", False):
            raise exceptions.Throttled(
                wait=settings.AXES_COOLOFF_TIME.total_seconds(),
                detail="Too many failed login attempts. Try again later.",
            )
        if user is None:
            raise exceptions.AuthenticationFailed("Email or password is wrong.")
        refresh = RefreshToken.for_user(user)
        access = str(refresh.access_token)
        body = {"token": access, "access": access, "refresh": str(refresh), "user": user}
        return Response(self.OutputSerializer(body).data)


class RegisterApi(_TokenlessApi):
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, *REGISTER_THROTTLES]

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(max_length=1024, trim_whitespace=False)
        name = serializers.CharField(max_length=150)

    @extend_schema(
        operation_id="register",
        request=InputSerializer,
        responses={201: UserOutputSerializer, **errors(400, 429)},
        auth=[],
        tags=["accounts"],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_register(**data.validated_data, verify_url=request.build_absolute_uri("/"))
        return Response(UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenRefreshApi(_TokenlessApi):
    class InputSerializer(serializers.Serializer):
        refresh = serializers.CharField(max_length=4096)

    @extend_schema(
        operation_id="token_refresh",
        request=InputSerializer,
        responses={200: TokenPairSerializer, **errors(400, 401)},
        auth=[],
        tags=["accounts"],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            tokens = token_refresh(refresh=data.validated_data["refresh"])
        except TokenError as exc:
            raise InvalidToken(exc.args[0]) from exc
        return Response({"token": tokens["access"], "access": tokens["access"], "refresh": tokens["refresh"]})


class LogoutApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        refresh = serializers.CharField(max_length=4096)

    @extend_schema(
        operation_id="logout",
        request=InputSerializer,
        responses={
            200: inline_serializer("LoggedOut", {"message": serializers.CharField()}),
            **errors(400, 401, 403),
        },
        tags=["accounts"],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            token = RefreshToken(data.validated_data["refresh"])
        except TokenError as exc:
            raise exceptions.ValidationError({"refresh": [str(exc)]}) from exc
        if str(token.payload.get(jwt_settings.USER_ID_CLAIM)) != str(request.user.pk):
            raise exceptions.PermissionDenied("That refresh token belongs to someone else.")
        token.blacklist()
        return Response({"message": "Logged out"})


class LogoutAllApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="logout_all",
        summary="End every session of the caller: all their refresh tokens are blacklisted",
        request=None,
        responses={
            200: inline_serializer(
                "LoggedOutAll", {"message": serializers.CharField(), "revoked": serializers.IntegerField()}
            ),
            **errors(401),
        },
        tags=["accounts"],
    )
    def post(self, request):
        revoked = user_tokens_revoke(user=request.user)
        return Response({"message": "Logged out everywhere", "revoked": revoked})


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="me", responses={200: UserOutputSerializer, **errors(401)}, tags=["accounts"])
    def get(self, request):
        return Response(UserOutputSerializer(request.user).data)
