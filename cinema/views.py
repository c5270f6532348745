import ipaddress
import os

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotFound, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from cinema.api import error_body
from cinema.health import health_report


@never_cache
def health(request):
    """Readiness: database, cache and (when AMQP_URL is set) broker, each "ok" or
    "unreachable". 503 only when the database is down: the app cannot serve then."""
    serving, body = health_report()
    return JsonResponse(body, status=200 if serving else 503)


@never_cache
def health_live(request):
    """Liveness: the process answers. Touches no database, cache or broker."""
    return JsonResponse({"status": "ok"})


def _metrics_allowed(remote_addr: str) -> bool:
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_loopback:
        return True
    return any(address in ipaddress.ip_network(net, strict=False) for net in settings.METRICS_ALLOWED_NETWORKS)


@never_cache
def metrics(request):
    """Prometheus text format, for loopback and METRICS_ALLOWED_NETWORKS only (others 404).
    Under gunicorn (PROMETHEUS_MULTIPROC_DIR set) the figures are summed over all workers."""
    if not _metrics_allowed(request.META.get("REMOTE_ADDR", "")):
        return HttpResponseNotFound("Not found.", content_type="text/plain")
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

    from cinema import metrics as business

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(business.SCRAPE_TIME)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


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
