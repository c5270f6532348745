from django.urls import path

from booking.views import bookings, payments, picker

app_name = "booking"

urlpatterns = [
    path("shows/<int:show_id>/", picker.seat_picker, name="seat_picker"),
    path("shows/<int:show_id>/checkout/", picker.checkout, name="checkout"),
    path("shows/<int:show_id>/release/", picker.release, name="release"),
    path("bookings/", bookings.my_bookings, name="my_bookings"),
    path("bookings/<str:code>/", bookings.booking_detail, name="booking_detail"),
    path("bookings/<str:code>/cancel/", bookings.booking_cancel_view, name="booking_cancel"),
    path("payments/test/<str:token>/", payments.pay, name="pay"),
    path("payments/webhooks/<str:provider>", payments.payment_webhook, name="payment_webhook"),
]
