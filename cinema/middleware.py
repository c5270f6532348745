"""Request-level refusals that no view should have to think about."""

from django.http import HttpResponse, JsonResponse
from django.middleware.gzip import GZipMiddleware

from cinema.api import error_body

_ALLOWED = "GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE"


def _refuse(request, status: int, code: str, message: str):
    if request.path.startswith("/api/"):
        response = JsonResponse(error_body(code, message), status=status)
    else:
        response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    return response


class RequestHardeningMiddleware:
    """TRACE/TRACK answer 405 (they echo requests back, cookies included), and
    a chunked body without Content-Length answers 411: WSGI hands Django such
    a body as empty, so it would be silently read as no data."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in {"TRACE", "TRACK", "CONNECT"}:
            response = _refuse(request, 405, "METHOD_NOT_ALLOWED", f'Method "{request.method}" not allowed.')
            response["Allow"] = _ALLOWED
            return response
        chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not request.META.get("CONTENT_LENGTH"):
            return _refuse(request, 411, "LENGTH_REQUIRED", "Send the request body with a Content-Length header.")
        return self.get_response(request)


class HtmlGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware (with its BREACH mitigation: random bytes in the
    gzip header) for HTML pages only. API answers are left alone: gzip turns a
    strong ETag weak, and the seat map's If-None-Match compares it exactly;
    static files come compressed from whitenoise."""

    def process_response(self, request, response):
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        return super().process_response(request, response)
