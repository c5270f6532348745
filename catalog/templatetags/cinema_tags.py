"""Filters of the pages: {{ amount|money }} -> "₹350", "₹1,250.50", "$12" (the
CURRENCY setting, an ISO code); {{ minutes|runtime }} -> "2h 28m"."""

from decimal import Decimal, InvalidOperation

from django import template
from django.conf import settings

register = template.Library()

SYMBOLS = {"INR": "₹", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def format_money(amount, currency: str | None = None) -> str:
    currency = (currency or settings.CURRENCY).upper()
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return ""
    text = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{currency} {text}"


@register.filter
def money(amount, currency=None):
    return format_money(amount, currency)


@register.filter
def runtime(minutes) -> str:
    """148 -> "2h 28m"."""
    try:
        minutes = int(minutes)
    except (TypeError, ValueError):
        return ""
    hours, mins = divmod(minutes, 60)
    return f"{hours}h {mins:02d}m" if hours else f"{mins}m"


@register.filter
def lowest_price(show):
    """The cheapest seat price of a show ("from ₹250")."""
    return min(show.prices.values())


@register.filter
def mmss(seconds) -> str:
    """593 -> "9:53"."""
    try:
        seconds = max(0, int(seconds))
    except (TypeError, ValueError):
        return ""
    return f"{seconds // 60}:{seconds % 60:02d}"
