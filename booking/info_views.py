"""The pages a site people trust has: help, terms, the cancellation policy (read
from CANCELLATION_POLICY, the same rules refunds follow) and contact. Linked
from the footer and from checkout."""

from datetime import timedelta

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_GET

from catalog.models import Theatre
from payments.money import parse_cancellation_policy


def _notice(before: timedelta) -> str:
    minutes = int(before.total_seconds() // 60)
    for size, word in ((1440, "day"), (60, "hour"), (1, "minute")):
        if minutes and minutes % size == 0:
            n = minutes // size
            return f"{n} {word}{'' if n == 1 else 's'}"
    return "the start"


def policy_rows() -> list[dict]:
    """The cancellation policy as rows a person reads: until when, how much back."""
    tiers = parse_cancellation_policy(settings.CANCELLATION_POLICY)
    rows = []
    for tier in tiers:
        until = "the show starts" if not tier.before else f"{_notice(tier.before)} before the show"
        rows.append({"until": until, "percent": tier.percent.normalize()})
    return rows


@require_GET
def help_page(request):
    return render(request, "info/help.html", {"hold_minutes": settings.SEAT_HOLD_SECONDS // 60})


@require_GET
def terms(request):
    return render(request, "info/terms.html")


@require_GET
def cancellation_policy(request):
    rows = policy_rows()
    return render(request, "info/cancellation_policy.html", {"rows": rows, "policy": settings.CANCELLATION_POLICY})


@require_GET
def contact(request):
    theatres = Theatre.objects.order_by("city", "name")
    return render(request, "info/contact.html", {"theatres": theatres, "email": settings.DEFAULT_FROM_EMAIL})
