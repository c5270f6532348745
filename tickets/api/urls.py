from django.urls import path

from tickets.api import views

urlpatterns = [
    path("checkins", views.CheckInCreateApi.as_view(), name="api-checkins"),
]
