from django.urls import path

from booking.api import bookings, orders, screens, seats, shows

urlpatterns = [
    path("movies/<id:movie_id>/shows", shows.MovieShowListApi.as_view(), name="api-movie-shows"),
    path("shows", shows.ShowListApi.as_view(), name="api-shows"),
    path("shows/<id:show_id>", shows.ShowDetailApi.as_view(), name="api-show"),
    path("shows/<id:show_id>/seats", seats.ShowSeatListApi.as_view(), name="api-show-seats"),
    path("shows/<id:show_id>/holds", seats.ShowHoldApi.as_view(), name="api-show-holds"),
    path("shows/<id:show_id>/bookings", bookings.ShowBookingListApi.as_view(), name="api-show-bookings"),
    path("seats/<id:seat_id>/lock", seats.SeatLockApi.as_view(), name="api-seat-lock"),
    path("bookings", bookings.BookingListApi.as_view(), name="api-bookings"),
    path("bookings/<id:booking_id>", bookings.BookingDetailApi.as_view(), name="api-booking"),
    path("bookings/<id:booking_id>/cancel", bookings.BookingCancelApi.as_view(), name="api-booking-cancel"),
    path("orders", orders.OrderListApi.as_view(), name="api-orders"),
    path("orders/<id:booking_id>", orders.OrderDetailApi.as_view(), name="api-order"),
    path("orders/<id:booking_id>/cancel", orders.OrderCancelApi.as_view(), name="api-order-cancel"),
    path("orders/<id:order_id>/confirm-payment", orders.OrderConfirmPaymentApi.as_view(), name="api-order-pay"),
    path("shows/<id:show_id>/cancel", orders.ShowCancelApi.as_view(), name="api-show-cancel"),
    path("screens", screens.ScreenListApi.as_view(), name="api-screens"),
    path("screens/<id:screen_id>", screens.ScreenDetailApi.as_view(), name="api-screen"),
]
