"""Seat picker, checkout, confirmation, my bookings: the pages call the same
services as the API; domain errors become a message on the updated page."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from booking.models import Booking, BookingStatus, SeatStatus, ShowSeat
from booking.services import booking_confirm, seats_hold
from tests.factories import ShowFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def show():
    return ShowFactory()


@pytest.fixture
def user():
    return UserFactory()


def seat(show, name):
    return ShowSeat.objects.get(show=show, seat__row_label=name[0], seat__number=int(name[1:]))


def picker(show):
    return reverse("booking:seat_picker", args=[show.pk])


def test_seat_picker_draws_labelled_checkboxes(client, show, user, django_assert_max_num_queries):
    other = UserFactory()
    seats_hold(user=other, show=show, seat_ids=[seat(show, "A1").pk])
    seats_hold(user=user, show=show, seat_ids=[seat(show, "B2").pk])
    client.force_login(user)
    with django_assert_max_num_queries(5):
        response = client.get(picker(show))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'aria-label="Row A, seat 2, Standard, ₹200, available"' in html
    assert 'aria-label="Row C, seat 1, Recliner, ₹500, available"' in html
    assert 'aria-label="Row A, seat 1, Standard, ₹200, held"' in html
    assert 'aria-label="Row B, seat 2, Premium, ₹300, held by you"' in html
    assert html.count('name="seats"') == 20
    assert "Screen this way" in html and "Hold seats" in html
    assert f'data-api-url="/api/v1/shows/{show.pk}/seats"' in html


def test_hold_then_confirm_then_cancel(client, show, user, django_capture_on_commit_callbacks):
    client.force_login(user)
    a2, a3 = seat(show, "A2"), seat(show, "A3")
    response = client.post(picker(show), {"seats": [a2.pk, a3.pk]})
    assert response.status_code == 302
    assert response["Location"] == reverse("booking:checkout", args=[show.pk])

    response = client.get(response["Location"])
    html = response.content.decode()
    assert "A2" in html and "A3" in html and "₹400" in html and "Confirm booking" in html
    assert 'role="timer"' in html and "min left" in html

    key = response.context["idempotency_key"]
    data = {"seats": [a2.pk, a3.pk], "idempotency_key": key}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("booking:checkout", args=[show.pk]), data)
    booking = Booking.objects.get(user=user)
    assert response.status_code == 302 and response["Location"] == booking.get_absolute_url()
    # A double click replays the same booking instead of failing.
    again = client.post(reverse("booking:checkout", args=[show.pk]), data)
    assert again["Location"] == booking.get_absolute_url() and Booking.objects.count() == 1
    assert len(mail.outbox) == 1

    html = client.get(booking.get_absolute_url()).content.decode()
    assert booking.code in html and "Booking confirmed" in html

    cancel_url = reverse("booking:booking_cancel", args=[booking.code])
    confirm_page = client.get(cancel_url).content.decode()
    assert "Cancel booking" in confirm_page and "Keep my booking" in confirm_page
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED  # GET only asks
    response = client.post(cancel_url)
    assert response["Location"] == reverse("booking:my_bookings")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert seat(show, "A2").status == SeatStatus.AVAILABLE


def test_conflict_answers_409_with_alert_and_updated_map(client, show, user):
    taken = seat(show, "A4")
    seats_hold(user=UserFactory(), show=show, seat_ids=[taken.pk])
    client.force_login(user)
    response = client.post(picker(show), {"seats": [taken.pk, seat(show, "A5").pk]})
    html = response.content.decode()
    assert response.status_code == 409
    assert 'role="alert"' in html and "someone else just took" in html
    assert 'aria-label="Row A, seat 4, Standard, ₹200, held"' in html
    assert not ShowSeat.objects.filter(show=show, held_by=user).exists()


def test_empty_selection_and_limit_are_explained(client, show, user, settings):
    client.force_login(user)
    response = client.post(picker(show), {})
    assert response.status_code == 400 and "Choose at least one seat" in response.content.decode()
    settings.MAX_SEATS_PER_BOOKING = 1
    response = client.post(picker(show), {"seats": [seat(show, "A1").pk, seat(show, "A2").pk]})
    assert response.status_code == 409 and "at most 1 seat" in response.content.decode()


def test_changing_the_selection_lets_go_of_unticked_seats(client, show, user):
    client.force_login(user)
    client.post(picker(show), {"seats": [seat(show, "A1").pk]})
    client.post(picker(show), {"seats": [seat(show, "A2").pk]})
    held = set(ShowSeat.objects.filter(show=show, held_by=user, status=SeatStatus.LOCKED).values_list("pk", flat=True))
    assert held == {seat(show, "A2").pk}


def test_anonymous_hold_goes_through_login_and_back(client, show, user):
    a1 = seat(show, "A1")
    response = client.post(picker(show), {"seats": [a1.pk]})
    assert response.status_code == 302
    login_url = response["Location"]
    assert login_url.startswith(reverse("accounts:login") + "?next=")
    page = client.get(login_url)
    next_url = page.context["next"]
    assert next_url == f"{picker(show)}?seats={a1.pk}"
    response = client.post(
        reverse("accounts:login"), {"username": user.email, "password": "correct-horse-battery", "next": next_url}
    )
    assert response.status_code == 302 and response["Location"] == next_url
    # Back on the picker, logged in: the hold is placed and checkout follows.
    response = client.get(next_url)
    assert response.status_code == 302 and response["Location"] == reverse("booking:checkout", args=[show.pk])
    assert ShowSeat.objects.get(pk=a1.pk).held_by_id == user.pk
    # Once only: the picker afterwards just shows the map with the seat as yours.
    html = client.get(next_url).content.decode()
    assert "held by you" in html


def test_a_seat_taken_during_the_login_leaves_the_choice_ticked_with_the_reason(client, show, user, other):
    a1 = seat(show, "A1")
    next_url = client.post(picker(show), {"seats": [a1.pk]})["Location"].split("next=")[1]
    seats_hold(user=other, show=show, seat_ids=[a1.pk])
    client.force_login(user)
    response = client.get(picker(show))
    assert response.status_code == 409
    assert "someone else just took" in response.content.decode()
    assert next_url


def test_expired_hold_at_checkout_says_so_and_offers_to_pick_again(client, show, user):
    a1 = seat(show, "A1")
    seats_hold(user=user, show=show, seat_ids=[a1.pk], now=timezone.now() - timedelta(hours=1))
    client.force_login(user)
    html = client.get(reverse("booking:checkout", args=[show.pk])).content.decode()
    assert "Your seat hold has expired" in html and "Pick seats again" in html
    response = client.post(reverse("booking:checkout", args=[show.pk]), {"seats": [a1.pk]})
    assert response.status_code == 409
    html = response.content.decode()
    assert 'role="alert"' in html and "expired" in html and "Pick seats again" in html
    assert not Booking.objects.exists()


def test_release_button_frees_the_seats(client, show, user):
    client.force_login(user)
    seats_hold(user=user, show=show, seat_ids=[seat(show, "A1").pk])
    response = client.post(reverse("booking:release", args=[show.pk]))
    assert response["Location"] == picker(show)
    assert seat(show, "A1").status == SeatStatus.AVAILABLE


def test_my_bookings_lists_upcoming_and_past(client, user, django_assert_max_num_queries):
    soon, gone = ShowFactory(), ShowFactory()
    for s in (soon, gone):
        ids = [s.show_seats.order_by("pk").first().pk]
        seats_hold(user=user, show=s, seat_ids=ids)
        booking_confirm(user=user, show=s, seat_ids=ids)
    gone.start_time = timezone.now() - timedelta(days=1)
    gone.save(update_fields=["start_time"])  # the clock moved on past the show
    client.force_login(user)
    with django_assert_max_num_queries(5):
        response = client.get(reverse("booking:my_bookings"))
    html = response.content.decode()
    upcoming, past = html.split('id="past-heading"')
    assert soon.movie.title in upcoming and gone.movie.title in past
    assert upcoming.count("Cancel<span") == 1 and past.count("Cancel<span") == 0


def test_other_peoples_bookings_are_404(client, user, show):
    ids = [seat(show, "A1").pk]
    seats_hold(user=user, show=show, seat_ids=ids)
    booking = booking_confirm(user=user, show=show, seat_ids=ids).booking
    client.force_login(UserFactory())
    assert client.get(booking.get_absolute_url()).status_code == 404
    assert client.post(reverse("booking:booking_cancel", args=[booking.code])).status_code == 404


def test_pages_need_login(client, show):
    for url in (reverse("booking:my_bookings"), reverse("booking:checkout", args=[show.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


def test_started_show_is_read_only(client, user):
    show = ShowFactory()
    show.start_time = timezone.now() - timedelta(minutes=5)
    show.save(update_fields=["start_time"])
    client.force_login(user)
    html = client.get(picker(show)).content.decode()
    assert "booking is closed" in html and "Hold seats" not in html
    response = client.post(picker(show), {"seats": [seat(show, "A1").pk]})
    assert response.status_code == 409 and 'role="alert"' in response.content.decode()


def test_a_conflict_on_a_changed_selection_keeps_the_seats_already_held(client, show, user):
    """Swapping A1 for a seat someone just took must not cost the viewer A1."""
    a1, a2 = seat(show, "A1"), seat(show, "A2")
    client.force_login(user)
    client.post(picker(show), {"seats": [a1.pk]})
    seats_hold(user=UserFactory(), show=show, seat_ids=[a2.pk])
    response = client.post(picker(show), {"seats": [a2.pk]})
    html = response.content.decode()
    assert response.status_code == 409
    assert "Taken: A2." in html and "still yours" in html
    assert set(ShowSeat.objects.filter(show=show, held_by=user).values_list("pk", flat=True)) == {a1.pk}


def test_changing_a_full_selection_still_works_at_the_limit(client, show, user, settings):
    settings.MAX_SEATS_PER_BOOKING = 2
    client.force_login(user)
    client.post(picker(show), {"seats": [seat(show, "A1").pk, seat(show, "A2").pk]})
    response = client.post(picker(show), {"seats": [seat(show, "A3").pk, seat(show, "A4").pk]})
    assert response.status_code == 302
    held = set(ShowSeat.objects.filter(show=show, held_by=user, status=SeatStatus.LOCKED).values_list("pk", flat=True))
    assert held == {seat(show, "A3").pk, seat(show, "A4").pk}


def test_checkout_after_booking_points_to_the_booking_not_an_expired_hold(client, show, user):
    ids = [seat(show, "A1").pk, seat(show, "A2").pk]
    seats_hold(user=user, show=show, seat_ids=ids)
    booking = booking_confirm(user=user, show=show, seat_ids=ids).booking
    client.force_login(user)
    html = client.get(reverse("booking:checkout", args=[show.pk])).content.decode()
    assert "Your seat hold has expired" not in html
    assert "You're booked for this show" in html and booking.code in html and "A1, A2" in html


def test_held_seats_appear_in_my_bookings_with_the_time_left(client, show, user):
    a1 = seat(show, "A1")
    seats_hold(user=user, show=show, seat_ids=[a1.pk])
    client.force_login(user)
    html = client.get(reverse("booking:my_bookings")).content.decode()
    assert "Seats held for you" in html and "seats A1" in html and "min left" in html
    assert reverse("booking:checkout", args=[show.pk]) in html
