"""Rate limits shared by the API and the pages: DRF throttles in the shared
cache (Redis across nodes), counted per client address (``NUM_PROXIES`` rule,
see cinema/client_ip.py) or for everyone at once.

API views list them in ``throttle_classes``; HTML views call
``throttle_wait(request, [...])`` before doing the work, so a page and its API
endpoint share one bucket.
"""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from cinema.client_ip import client_ip
from cinema.token_bucket import Rate, bucket_take

# The WSGI environ key under which the read cache's front (cinema/readfront.py)
# names the bucket it already took this request's token from.
COUNTED = "cinema.throttle.counted"


class SettingRateThrottle(SimpleRateThrottle):
    """A throttle whose rate (``"10/hour"``; empty = no limit) is the Django
    setting named by ``rate_setting``, read when the throttle is made."""

    rate_setting = ""

    def get_rate(self):
        if self.rate_setting:
            return getattr(settings, self.rate_setting) or None
        return super().get_rate()


class PerAddressThrottle(SettingRateThrottle):
    """Counts every request from one client address."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class GlobalThrottle(SettingRateThrottle):
    """Counts every request from anyone."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": "all"}


class BucketThrottleMixin:
    """A DRF rate throttle counted as a token bucket (cinema/token_bucket.py):
    a burst of N, refilled at N per period. DRF's own sliding window keeps the
    time of every request of the last period in one cache entry, read and
    written back whole by each request, so its cost grows with the rate (600
    floats per request at 600/min; a crowd behind one address, far more). The
    bucket is one Redis round trip of a few bytes, whatever the rate."""

    def get_ident(self, request):
        return client_ip(request)  # DRF's rule, without building request.headers

    def bucket(self, request, view) -> tuple[str, Rate] | None:
        """The bucket this request is counted in, or None when it is not counted."""
        if self.rate is None:
            return None
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return None
        return self.key, Rate(self.num_requests, self.num_requests / self.duration)

    def allow_request(self, request, view):
        bucket = self.bucket(request, view)
        if bucket is None or request.META.get(COUNTED) == bucket[0]:
            return True  # not counted, or already counted by cinema.readfront.ReadFront
        self._wait = bucket_take(key=bucket[0], rate=bucket[1])
        return self._wait == 0

    def wait(self):
        return getattr(self, "_wait", None) or None


class AnonBucketThrottle(BucketThrottleMixin, AnonRateThrottle):
    """DRF's anonymous throttle (scope ``anon``, per address), as a bucket."""


class UserBucketThrottle(BucketThrottleMixin, UserRateThrottle):
    """DRF's user throttle (scope ``user``, per user, per address when anonymous), as a bucket."""


def throttle_wait(request, throttle_classes) -> float | None:
    """For a page: None when every throttle lets ``request`` through (each
    counts it), else the seconds to wait before trying again."""
    waits = []
    for throttle_class in throttle_classes:
        throttle = throttle_class()
        if not throttle.allow_request(request, None):
            waits.append(throttle.wait() or 60)
    return max(waits) if waits else None
