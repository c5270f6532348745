"""Shared API pieces: the one error envelope and the DRF exception handler."""

from django.core.exceptions import PermissionDenied, ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from booking.exceptions import BookingError

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


def exception_handler(exc, context):
    """Render every API error as {"error": {"code", "message", ...}}."""
    if isinstance(exc, BookingError):
        response = Response(error_body(exc.code, exc.message, **exc.details), status=exc.status)
        if getattr(exc, "retry_after", None):
            response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages})
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "ERROR")
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        body = error_body("INVALID", "The request is not valid.", fields=fields)
    else:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        body = error_body(code, str(detail))
    if response.status_code == status.HTTP_401_UNAUTHORIZED:
        body["error"]["code"] = "NOT_AUTHENTICATED"
    response.data = body
    return response


def not_found(request, rest=None):
    """Unknown /api/ URLs answer 404 in the envelope too."""
    return JsonResponse(error_body("NOT_FOUND", "No such API endpoint."), status=404)
