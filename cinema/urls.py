from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from cinema import api, views

urlpatterns = [
    path("health", views.health, name="health"),
    path("health/live", views.health_live, name="health-live"),
    path("metrics", views.metrics, name="metrics"),
    path("admin/reports/", include("tickets.admin_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("cinema.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("api/<path:rest>", api.not_found),
    path("accounts/", include("accounts.urls")),
    path("", include("tickets.urls")),
    path("", include("booking.urls")),
    path("", include("catalog.urls")),
    path("", include("booking.info_urls")),
]

handler400 = "cinema.views.bad_request"
handler404 = "cinema.views.page_not_found"
handler500 = "cinema.views.server_error"
