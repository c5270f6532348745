from django.urls import path

from booking.api import views

urlpatterns = [
    path("movies/<id:movie_id>/shows", views.MovieShowListApi.as_view(), name="api-movie-shows"),
    path("shows", views.ShowListApi.as_view(), name="api-shows"),
    path("shows/<id:show_id>", views.ShowDetailApi.as_view(), name="api-show"),
    path("shows/<id:show_id>/seats", views.ShowSeatListApi.as_view(), name="api-show-seats"),
    path("shows/<id:show_id>/holds", views.ShowHoldApi.as_view(), name="api-show-holds"),
    path("shows/<id:show_id>/bookings", views.ShowBookingListApi.as_view(), name="api-show-bookings"),
    path("seats/<id:seat_id>/lock", views.SeatLockApi.as_view(), name="api-seat-lock"),
    path("bookings", views.BookingListApi.as_view(), name="api-bookings"),
    path("bookings/<id:booking_id>", views.BookingDetailApi.as_view(), name="api-booking"),
    path("bookings/<id:booking_id>/cancel", views.BookingCancelApi.as_view(), name="api-booking-cancel"),
    path("screens", views.ScreenListApi.as_view(), name="api-screens"),
    path("screens/<id:screen_id>", views.ScreenDetailApi.as_view(), name="api-screen"),
]
