from django.urls import path

from booking import views

app_name = "booking"

urlpatterns = [
    path("shows/<int:show_id>/", views.seat_picker, name="seat_picker"),
    path("bookings/<str:code>/", views.booking_detail, name="booking_detail"),
]
