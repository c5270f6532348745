from django.conf import settings


def site(request):
    return {
        "CURRENCY": settings.CURRENCY,
        "SEAT_HOLD_SECONDS": settings.SEAT_HOLD_SECONDS,
        "PAYMENT_WINDOW_SECONDS": settings.PAYMENT_WINDOW_SECONDS,
        "MAX_SEATS_PER_BOOKING": settings.MAX_SEATS_PER_BOOKING,
    }
