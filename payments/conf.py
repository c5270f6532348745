"""The payments settings, parsed and checked once (at startup, from
`PaymentsConfig.ready`). A bad value is ImproperlyConfigured with the setting's
name, never a 500 at the first sale."""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from payments.money import PolicyTier, parse_cancellation_policy, to_money

PROVIDERS = ("test", "none", "stripe")


def _decimal(name: str, *, low: Decimal, high: Decimal | None = None) -> Decimal:
    raw = getattr(settings, name)
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None
    if not value.is_finite() or value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ImproperlyConfigured(f"{name}={raw!r} must be {bounds}.")
    return value


def fee_per_seat() -> Decimal:
    """BOOKING_FEE_PER_SEAT, in cents."""
    value = _decimal("BOOKING_FEE_PER_SEAT", low=Decimal(0))
    if to_money(value) != value:
        raise ImproperlyConfigured(f"BOOKING_FEE_PER_SEAT={settings.BOOKING_FEE_PER_SEAT!r} has more than 2 decimals.")
    return to_money(value)


def tax_rate() -> Decimal:
    """TAX_RATE as a fraction (0.18 is 18 %)."""
    return _decimal("TAX_RATE", low=Decimal(0), high=Decimal(1))


def cancellation_policy() -> tuple[PolicyTier, ...]:
    try:
        return parse_cancellation_policy(settings.CANCELLATION_POLICY)
    except ValueError as exc:
        raise ImproperlyConfigured(f"CANCELLATION_POLICY={settings.CANCELLATION_POLICY!r} {exc}.") from None


def provider_name() -> str:
    name = settings.PAYMENT_PROVIDER
    if name not in PROVIDERS:
        raise ImproperlyConfigured(f"PAYMENT_PROVIDER={name!r} is not one of {', '.join(PROVIDERS)}.")
    return name


def check() -> None:
    """Parse every payments setting; raise ImproperlyConfigured on the first bad one."""
    fee_per_seat()
    tax_rate()
    cancellation_policy()
    name = provider_name()
    if settings.PAYMENT_WINDOW_SECONDS <= 0:
        raise ImproperlyConfigured("PAYMENT_WINDOW_SECONDS must be positive.")
    if name == "stripe" and not (settings.STRIPE_API_KEY and settings.STRIPE_WEBHOOK_SECRET):
        raise ImproperlyConfigured("PAYMENT_PROVIDER=stripe needs STRIPE_API_KEY and STRIPE_WEBHOOK_SECRET.")
