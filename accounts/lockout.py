from axes.helpers import get_cool_off
from django.http import JsonResponse
from django.shortcuts import render


def lockout_response(request, credentials, *args, **kwargs):
    """Answer a locked-out login: JSON envelope for the API, a page otherwise."""
    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else 900
    minutes = max(1, round(seconds / 60))
    message = f"Too many failed login attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}."
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": {"code": "THROTTLED", "message": message}}, status=429)
    else:
        response = render(request, "accounts/locked_out.html", {"message": message, "minutes": minutes}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def login_username(request, credentials=None):
    """The login name django-axes counts failures against.

    The API posts ``email``; Django's AuthenticationForm (site and admin)
    authenticates with ``username``. Both mean the email address, compared
    case-insensitively, so one lockout covers every way in.
    """
    value = None
    if credentials:
        value = credentials.get("email") or credentials.get("username")
    if value is None and request is not None:
        data = getattr(request, "data", None)
        for source in (data, getattr(request, "POST", None)):
            if hasattr(source, "get"):
                value = source.get("email") or source.get("username")
                if value:
                    break
    return value.strip().lower() if isinstance(value, str) else None
