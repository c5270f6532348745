from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from cinema.api import error_body


@never_cache
def health(request):
    """200 when the app can reach its database, 503 when it cannot."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any driver error means the database is unreachable
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def bad_request(request, exception=None):
    """400 for a request Django refuses outright (a Host not in ALLOWED_HOSTS,
    other suspicious operations): the JSON envelope on /api/."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("BAD_REQUEST", "The request was refused."), status=400)
    return render(request, "400.html", status=400)


def page_not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("NOT_FOUND", "Not found."), status=404)
    return render(request, "404.html", status=404)


def server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("SERVER_ERROR", "Something went wrong on our side."), status=500)
    return render(request, "500.html", status=500)
