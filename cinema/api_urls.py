"""Every endpoint under /api/v1/."""

from django.urls import include, path

urlpatterns = [
    path("", include("accounts.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("booking.api.urls")),
    path("", include("tickets.api.urls")),
]
