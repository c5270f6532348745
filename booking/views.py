from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from booking.models import Booking
from booking.selectors import seat_map_for_show
from catalog.models import Show


def seat_picker(request, show_id):
    show = get_object_or_404(Show.objects.select_related("movie", "screen__theatre"), pk=show_id)
    seats = seat_map_for_show(show=show, viewer=request.user if request.user.is_authenticated else None)
    return render(request, "booking/seat_picker.html", {"show": show, "seats": seats})


@login_required
def booking_detail(request, code):
    booking = get_object_or_404(Booking, code=code, user=request.user)
    return render(request, "booking/booking_detail.html", {"booking": booking})
