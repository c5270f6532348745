from django.urls import path

from tickets import views

app_name = "tickets"

urlpatterns = [
    path("staff/checkin/", views.checkin_page, name="checkin"),
    path("bookings/<str:code>/qr.svg", views.ticket_qr, name="ticket_qr"),
]
