"""The client's address, one rule for the whole app.

``X-Forwarded-For`` is trusted only as far as ``NUM_PROXIES`` says: behind N
proxies of our own the client is the N-th address from the right (each proxy
appends the address it saw); with ``NUM_PROXIES = 0`` (the default) the header
is ignored and the socket's address is the client. DRF's throttles apply the
same rule (``REST_FRAMEWORK["NUM_PROXIES"]`` is set from the same setting) and
django-axes calls this function (``AXES_CLIENT_IP_CALLABLE``).
"""

from django.conf import settings


def client_ip(request) -> str:
    """The address rate limits and lockouts count against."""
    remote_addr = request.META.get("REMOTE_ADDR", "") or ""
    num_proxies = settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if not num_proxies or not forwarded:
        return remote_addr
    addrs = forwarded.split(",")
    return addrs[-min(num_proxies, len(addrs))].strip()
