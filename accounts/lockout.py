from django.http import JsonResponse
from django.shortcuts import render


def lockout_response(request, credentials, *args, **kwargs):
    """Answer a locked-out login: JSON envelope for the API, a page otherwise."""
    message = "Too many failed login attempts. Try again later."
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": {"code": "THROTTLED", "message": message}}, status=429)
    else:
        response = render(request, "accounts/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = "900"
    return response
