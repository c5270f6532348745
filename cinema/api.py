"""Shared API pieces: the one error envelope, the DRF exception handler,
permissions and small field helpers."""

from datetime import UTC

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from django.http import Http404, JsonResponse
from django.urls import register_converter
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from cinema.errors import DomainError
from cinema.parsers import PayloadTooLarge

# Largest primary key any supported database stores (signed BIGINT).
MAX_ID = 2**63 - 1

_DRF_CODES = {
    exceptions.NotAuthenticated: "NOT_AUTHENTICATED",
    exceptions.AuthenticationFailed: "NOT_AUTHENTICATED",
    exceptions.PermissionDenied: "PERMISSION_DENIED",
    exceptions.NotFound: "NOT_FOUND",
    exceptions.MethodNotAllowed: "METHOD_NOT_ALLOWED",
    exceptions.NotAcceptable: "NOT_ACCEPTABLE",
    exceptions.UnsupportedMediaType: "UNSUPPORTED_MEDIA_TYPE",
    exceptions.Throttled: "THROTTLED",
    exceptions.ParseError: "INVALID",
    exceptions.ValidationError: "INVALID",
}


def error_body(code: str, message: str, **details) -> dict:
    return {"error": {"code": code, "message": message, **details}}


def _retry_after(response, seconds) -> None:
    if seconds:
        response["Retry-After"] = str(int(seconds))


def _detail_text(detail) -> str:
    """A human sentence from a DRF detail. simplejwt's InvalidToken carries a
    dict ({"detail", "code", "messages"}); never show its Python repr."""
    if isinstance(detail, dict):
        detail = detail.get("detail") or next(iter(detail.values()), "")
    if isinstance(detail, list | tuple):
        detail = detail[0] if detail else ""
    return str(detail)


def _database_unreachable(exc) -> bool:
    """A connection-level OperationalError (server down or gone away), not a
    lock wait (LockTimeout handles those) and not an SQL mistake."""
    from django.db import OperationalError

    if not isinstance(exc, OperationalError):
        return False
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
    return code in _CONNECTION_ERRORS


# MySQL/MariaDB client errors: can't connect (2002, 2003, 2005), server gone (2006, 2013).
_CONNECTION_ERRORS = {2002, 2003, 2005, 2006, 2013}


# The expected answers of a rush (sold out, a seat just taken, a limit, a
# declined card) are counted in the business metrics and in the access line
# (LOG_LEVEL=INFO); Django's request logger would also write each one as a
# WARNING: ~0.35 ms of CPU per answer, and thousands of lines in a rush. Its
# own "already logged" mark on the response keeps it quiet for these.
_NOT_WARNINGS = {status.HTTP_402_PAYMENT_REQUIRED, status.HTTP_409_CONFLICT}


def exception_handler(exc, context):
    """Render every API error as {"error": {"code", "message", ...}}."""
    if isinstance(exc, DomainError):
        details = dict(exc.details)
        if exc.status == status.HTTP_400_BAD_REQUEST:
            details.setdefault("fields", {"non_field_errors": [exc.message]})
        response = Response(error_body(exc.code, exc.message, **details), status=exc.status)
        _retry_after(response, getattr(exc, "retry_after", None))
        if exc.status in _NOT_WARNINGS:
            response._has_been_logged = True  # django.utils.log.log_response's mark
        return response
    if _database_unreachable(exc):
        response = Response(
            error_body("SERVICE_UNAVAILABLE", "The database is unreachable. Please try again shortly."),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        _retry_after(response, 5)
        return response
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    if isinstance(exc, ProtectedError):
        return Response(
            error_body("IN_USE", "Other records still refer to this one, so it cannot be deleted."),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            fields = dict(exc.message_dict)
            if NON_FIELD_ERRORS in fields:  # Django's "__all__" is DRF's "non_field_errors"
                fields.setdefault("non_field_errors", []).extend(fields.pop(NON_FIELD_ERRORS))
        else:
            fields = {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(fields)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), None)
    code = code or str(getattr(exc, "default_code", "ERROR")).upper()
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        body = error_body("INVALID", "The request is not valid.", fields=fields)
    else:
        body = error_body(code, _detail_text(exc.detail))
    if response.status_code == status.HTTP_401_UNAUTHORIZED:
        body["error"]["code"] = "NOT_AUTHENTICATED"
    response.data = body
    return response


@csrf_exempt
def not_found(request, rest=None):
    """Unknown /api/ URLs answer 404 in the envelope too."""
    return JsonResponse(error_body("NOT_FOUND", "No such API endpoint."), status=404)


# --------------------------------------------------------------------------
# URLs: ids that fit the database, so a 30-digit id is a 404, not a 500
# --------------------------------------------------------------------------
class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(IdConverter, "id")


# --------------------------------------------------------------------------
# serializers and permissions
# --------------------------------------------------------------------------
def id_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class UTCDateTimeField(serializers.DateTimeField):
    """Datetimes in the API are UTC, ISO 8601 (``...Z``), whatever TIME_ZONE says."""

    def __init__(self, **kwargs):
        kwargs.setdefault("default_timezone", UTC)
        super().__init__(**kwargs)


def utc_iso(value) -> str | None:
    """The same format as UTCDateTimeField, for hand-built hot-path bodies."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# --------------------------------------------------------------------------
# schema: the error envelope
# --------------------------------------------------------------------------
ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorBody",
            fields={
                "code": serializers.CharField(help_text="Uppercase error code, e.g. SEAT_UNAVAILABLE."),
                "message": serializers.CharField(),
                "fields": serializers.DictField(required=False, help_text="Per-field problems (INVALID)."),
                "seats": serializers.ListField(
                    child=serializers.IntegerField(), required=False, help_text="Seat ids concerned."
                ),
            },
        )
    },
)

_ERROR_TEXT = {
    400: "INVALID: malformed or invalid input (with `fields`).",
    401: "NOT_AUTHENTICATED: no or bad token.",
    403: "PERMISSION_DENIED.",
    404: "NOT_FOUND.",
    409: "Conflict with the current state (code tells which).",
    413: "PAYLOAD_TOO_LARGE.",
    415: "UNSUPPORTED_MEDIA_TYPE.",
    422: "IDEMPOTENCY_KEY_REUSED: same key, other body.",
    429: "THROTTLED (with Retry-After).",
    503: "LOCK_TIMEOUT (with Retry-After).",
}


def errors(*codes: int, **descriptions: str) -> dict:
    """Schema responses for the given error statuses, all in the error envelope.
    ``descriptions`` may override a text, keyed like ``e409="SEAT_UNAVAILABLE"``."""
    out = {}
    codes = sorted(set(codes) | {int(k[1:]) for k in descriptions})
    for code in codes:
        text = descriptions.get(f"e{code}", _ERROR_TEXT.get(code, "Error."))
        out[code] = OpenApiResponse(ErrorSerializer, description=text)
    return out
