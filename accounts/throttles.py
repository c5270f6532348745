"""Limits on creating accounts and on trying passwords, for the API and the pages.

Rates are settings (README): ``REGISTER_RATE_PER_IP``, ``REGISTER_RATE_GLOBAL``
and the API's ``login`` rate (``THROTTLE_LOGIN``), which the login page shares.
"""

from cinema.throttling import GlobalThrottle, PerAddressThrottle


class RegisterPerAddressThrottle(PerAddressThrottle):
    scope = "register"
    rate_setting = "REGISTER_RATE_PER_IP"


class RegisterGlobalThrottle(GlobalThrottle):
    scope = "register_all"
    rate_setting = "REGISTER_RATE_GLOBAL"


class LoginPerAddressThrottle(PerAddressThrottle):
    """Login attempts from one address, whatever email they try (credential
    stuffing). Same scope and cache key as the API's ScopedRateThrottle for an
    anonymous caller, so the page and the API share one bucket."""

    scope = "login"  # rate: REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"]


REGISTER_THROTTLES = [RegisterPerAddressThrottle, RegisterGlobalThrottle]
LOGIN_THROTTLES = [LoginPerAddressThrottle]
