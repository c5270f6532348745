from django.urls import path

from booking import views

app_name = "booking"

urlpatterns = [
    path("shows/<int:show_id>/", views.seat_picker, name="seat_picker"),
    path("shows/<int:show_id>/checkout/", views.checkout, name="checkout"),
    path("shows/<int:show_id>/release/", views.release, name="release"),
    path("bookings/", views.my_bookings, name="my_bookings"),
    path("bookings/<str:code>/", views.booking_detail, name="booking_detail"),
    path("bookings/<str:code>/cancel/", views.booking_cancel_view, name="booking_cancel"),
    path("payments/test/<str:token>/", views.pay, name="pay"),
    path("payments/webhooks/<str:provider>", views.payment_webhook, name="payment_webhook"),
]
