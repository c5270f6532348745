from django.urls import path

from booking import info_views

app_name = "info"

urlpatterns = [
    path("help/", info_views.help_page, name="help"),
    path("terms/", info_views.terms, name="terms"),
    path("cancellation-policy/", info_views.cancellation_policy, name="cancellation_policy"),
    path("contact/", info_views.contact, name="contact"),
]
