"""The staff admin driven through Django's test client: screens, shows, bookings."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from booking.models import Booking, BookingStatus, SeatStatus, ShowSeat
from booking.services import booking_confirm, seats_hold, show_schedule
from catalog.models import Screen, Show
from tests.factories import MovieFactory, ScreenFactory, ShowFactory, TheatreFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def book(show, names, user=None, now=None):
    """Hold and confirm the named seats (A1, B2...) through the services."""
    user = user or UserFactory()
    ids = [
        pk
        for pk, row, number in show.show_seats.values_list("pk", "seat__row_label", "seat__number")
        if f"{row}{number}" in names
    ]
    seats_hold(user=user, show=show, seat_ids=ids, now=now)
    return booking_confirm(user=user, show=show, seat_ids=ids, now=now).booking


def hold(show, names, user=None, now=None):
    user = user or UserFactory()
    ids = [
        pk
        for pk, row, number in show.show_seats.values_list("pk", "seat__row_label", "seat__number")
        if f"{row}{number}" in names
    ]
    seats_hold(user=user, show=show, seat_ids=ids, now=now)


def show_form(show_or_none=None, **data):
    start = timezone.localtime(data.pop("start_time"))
    form = {
        "start_time_0": f"{start:%Y-%m-%d}",
        "start_time_1": f"{start:%H:%M:%S}",
        "price_standard": "200.00",
        "price_premium": "300.00",
        "price_recliner": "500.00",
        "price_accessible": "150.00",
    }
    form.update({k: str(v) for k, v in data.items()})
    return form


# --------------------------------------------------------------------------
# access
# --------------------------------------------------------------------------
def test_only_staff_reach_the_admin(client):
    client.force_login(UserFactory())
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --------------------------------------------------------------------------
# screens
# --------------------------------------------------------------------------
def test_add_screen_creates_its_seats_and_bad_layouts_get_clear_messages(staff_client):
    theatre = TheatreFactory()
    url = reverse("admin:catalog_screen_add")
    page = staff_client.get(url)
    assert b"layout-preview" in page.content and b"admin-layout-preview.js" in page.content

    for layout, message in [
        ("SSXS\nPP", "Row A has unknown seat letter(s) &#x27;X&#x27;"),
        ("SS\n___", "Row B has no seats."),
        ("   ", "The layout is empty"),
    ]:
        response = staff_client.post(url, {"theatre": theatre.pk, "name": "One", "layout": layout})
        assert response.status_code == 200, layout
        assert message in response.content.decode(), layout
    assert not Screen.objects.exists()

    response = staff_client.post(url, {"theatre": theatre.pk, "name": "One", "layout": "ss_pp\nRR__A"})
    assert response.status_code == 302
    screen = Screen.objects.get()
    assert screen.layout == "SS_PP\nRR__A"
    assert sorted(screen.seats.values_list("seat_type", flat=True)) == sorted(
        ["STANDARD"] * 2 + ["PREMIUM"] * 2 + ["RECLINER"] * 2 + ["ACCESSIBLE"]
    )


def test_screen_change_page_previews_the_grid_with_counts(staff_client):
    screen = ScreenFactory(layout="SS_PP\nRR__A")
    response = staff_client.get(reverse("admin:catalog_screen_change", args=[screen.pk]))
    html = response.content.decode()
    assert "<strong>7 seats</strong> · 2 standard · 2 premium · 2 recliner · 1 accessible" in html
    assert html.count('class="lp-seat lp-seat--') == 7 + 4  # the grid and the legend
    changelist = staff_client.get(reverse("admin:catalog_screen_changelist")).content.decode()
    assert "2 standard, 2 premium, 2 recliner, 1 accessible" in changelist


def test_layout_change_may_not_drop_sold_seats_but_may_add_seats(staff_client):
    screen = ScreenFactory(layout="SSSS\nPPPP")
    show = ShowFactory(screen=screen)
    book(show, {"B4"})
    url = reverse("admin:catalog_screen_change", args=[screen.pk])

    response = staff_client.post(url, {"theatre": screen.theatre_id, "name": screen.name, "layout": "SSSS\nPPP"})
    assert response.status_code == 200
    assert "Seats B4 are sold or held in a show, so the layout cannot drop them." in response.content.decode()
    screen.refresh_from_db()
    assert screen.layout == "SSSS\nPPPP" and screen.seats.count() == 8

    response = staff_client.post(url, {"theatre": screen.theatre_id, "name": "Renamed", "layout": "SSSS\nPPPP\nRR"})
    assert response.status_code == 302
    screen.refresh_from_db()
    assert (screen.name, screen.seats.count(), show.show_seats.count()) == ("Renamed", 10, 10)


# --------------------------------------------------------------------------
# shows
# --------------------------------------------------------------------------
def test_add_show_schedules_it_with_seats_and_refuses_an_overlap(staff_client):
    screen = ScreenFactory()
    movie = MovieFactory(duration_mins=120)
    start = timezone.now().replace(microsecond=0, second=0) + timedelta(days=2)
    url = reverse("admin:catalog_show_add")

    response = staff_client.post(url, show_form(movie=movie.pk, screen=screen.pk, start_time=start))
    assert response.status_code == 302, response.context["adminform"].form.errors
    show = Show.objects.get()
    assert show.show_seats.count() == screen.seats.count()
    assert show.price_accessible == 150

    response = staff_client.post(
        url, show_form(movie=MovieFactory().pk, screen=screen.pk, start_time=start + timedelta(minutes=90))
    )
    assert response.status_code == 200
    assert "The screen is busy: “" + movie.title in response.content.decode()
    assert Show.objects.count() == 1


def test_change_show_reprices_but_a_booked_show_keeps_its_time(staff_client):
    show = ShowFactory()
    url = reverse("admin:catalog_show_change", args=[show.pk])
    page = staff_client.get(url).content.decode()
    assert 'class="admin-seat-map"' in page and "0 sold · 0 held · 20 free · 20 seats" in page

    data = show_form(movie=show.movie_id, start_time=show.start_time, price_standard="250.00")
    assert staff_client.post(url, data).status_code == 302
    show.refresh_from_db()
    assert show.price_standard == 250

    book(show, {"A1"})
    data = show_form(movie=show.movie_id, start_time=show.start_time + timedelta(hours=3))
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert "its movie and time can no longer change" in response.content.decode()
    page = staff_client.get(url).content.decode()
    assert "Row A, seat 1, Standard" in page and "sold" in page


def test_show_list_counts_sold_held_and_free_with_expired_holds_free(staff_client):
    show = ShowFactory()  # 20 seats
    book(show, {"A1", "A2"})
    hold(show, {"B1"})
    hold(show, {"B2", "B3"}, now=timezone.now() - timedelta(hours=1))  # long expired
    assert ShowSeat.objects.filter(show=show, status=SeatStatus.LOCKED).count() == 3

    response = staff_client.get(reverse("admin:catalog_show_changelist"))
    [row] = response.context["cl"].result_list
    assert (row.sold_count, row.held_count, row.free_count) == (2, 1, 17)
    assert "2 sold, 1 held, 17 free" in response.content.decode()


@pytest.mark.parametrize("shows", [3, 30])
def test_show_list_query_count_does_not_grow_with_the_shows(staff_client, django_assert_max_num_queries, shows):
    screen = ScreenFactory()
    movie = MovieFactory(duration_mins=60)
    start = timezone.now() + timedelta(days=1)
    for i in range(shows):
        show_schedule(movie=movie, screen=screen, start_time=start + timedelta(hours=2 * i))
    with django_assert_max_num_queries(12):
        response = staff_client.get(reverse("admin:catalog_show_changelist"))
    assert len(response.context["cl"].result_list) == shows


def test_show_list_filters_by_date_theatre_and_movie(staff_client):
    tomorrow = ShowFactory(start_time=timezone.now() + timedelta(days=1))
    later = ShowFactory(start_time=timezone.now() + timedelta(days=20))
    url = reverse("admin:catalog_show_changelist")

    def listed(params):
        return set(staff_client.get(url, params).context["cl"].result_list)

    assert listed({"when": "tomorrow"}) | listed({"when": "week"}) == {tomorrow}
    assert listed({"screen__theatre__id__exact": later.screen.theatre_id}) == {later}
    assert listed({"movie__id__exact": tomorrow.movie_id}) == {tomorrow}

    local = timezone.localtime(later.start_time)
    drill = {"start_time__year": local.year, "start_time__month": local.month}
    page = staff_client.get(url, drill)
    assert f"{local:%B} {local.day}" in page.content.decode()  # a day link of the hierarchy
    assert set(page.context["cl"].result_list) >= {later}
    assert listed({**drill, "start_time__day": local.day}) == {later}


def test_show_delete_is_refused_while_it_has_bookings(staff_client):
    booked, empty = ShowFactory(), ShowFactory()
    book(booked, {"A1"})

    url = reverse("admin:catalog_show_delete", args=[booked.pk])
    page = staff_client.get(url).content.decode()
    assert "1 booking (a show with bookings cannot be deleted)" in page
    staff_client.post(url, {"post": "yes"})
    assert Show.objects.filter(pk=booked.pk).exists()

    changelist = reverse("admin:catalog_show_changelist")
    action = {"action": "delete_selected", "_selected_action": [booked.pk, empty.pk], "post": "yes"}
    staff_client.post(changelist, action)
    assert set(Show.objects.all()) == {booked, empty}

    staff_client.post(changelist, {**action, "_selected_action": [empty.pk]})
    assert list(Show.objects.all()) == [booked]
    assert not ShowSeat.objects.filter(show_id=empty.pk).exists()


def test_bulk_scheduling_reports_created_and_refused_slots(staff_client):
    screen = ScreenFactory()
    movie = MovieFactory(duration_mins=100)
    first_day = timezone.localdate() + timedelta(days=1)
    tz = timezone.get_current_timezone()
    busy_at = timezone.make_aware(
        timezone.datetime.combine(first_day + timedelta(days=1), timezone.datetime.min.time()), tz
    )
    show_schedule(movie=MovieFactory(duration_mins=120), screen=screen, start_time=busy_at + timedelta(hours=17))

    response = staff_client.post(
        reverse("admin:catalog_show_schedule"),
        {
            "movie": movie.pk,
            "screen": screen.pk,
            "first_day": first_day.isoformat(),
            "days": 3,
            "times": "10:00, 18:30",
            "price_standard": "180",
            "price_premium": "280",
            "price_recliner": "450",
            "price_accessible": "180",
        },
    )
    assert response.status_code == 200
    assert len(response.context["created"]) == 5
    [(when, reason)] = response.context["refused"]
    assert "18:30" in when and "The screen is busy" in reason
    assert Show.objects.filter(movie=movie).count() == 5
    assert "Scheduled 5 shows" in response.content.decode()
    assert all(s.show_seats.count() == 20 for s in Show.objects.filter(movie=movie))

    bad = staff_client.post(reverse("admin:catalog_show_schedule"), {"times": "25:00", "days": 1})
    assert "is not a time" in bad.content.decode()


# --------------------------------------------------------------------------
# bookings
# --------------------------------------------------------------------------
def test_cancel_action_frees_the_seats_and_reports_what_it_did(staff_client):
    show = ShowFactory()
    first, second = book(show, {"A1", "A2"}), book(show, {"B1"})
    started = show_schedule(
        movie=MovieFactory(), screen=ScreenFactory(), start_time=timezone.now() - timedelta(minutes=5)
    )
    late = book(started, {"A1"}, now=timezone.now() - timedelta(hours=1))

    response = staff_client.post(
        reverse("admin:booking_booking_changelist"),
        {"action": "cancel_bookings", "_selected_action": [first.pk, late.pk]},
        follow=True,
    )
    text = response.content.decode()
    assert f"Cancelled 1 booking ({first.code}); their seats are free again." in text
    assert f"Not cancelled, the show has started: {late.code}." in text
    first.refresh_from_db(), second.refresh_from_db(), late.refresh_from_db()
    assert (first.status, second.status, late.status) == ("CANCELLED", "CONFIRMED", "CONFIRMED")
    assert first.cancelled_by.is_superuser
    assert ShowSeat.objects.filter(show=show, status=SeatStatus.AVAILABLE).count() == 20 - 1


def test_bookings_are_searchable_filterable_and_read_only(staff_client):
    show = ShowFactory()
    alice = UserFactory(email="alice@example.com")
    mine, other = book(show, {"A1"}, user=alice), book(show, {"A2"})
    url = reverse("admin:booking_booking_changelist")

    assert list(staff_client.get(url, {"q": mine.code}).context["cl"].result_list) == [mine]
    assert list(staff_client.get(url, {"q": "alice@example"}).context["cl"].result_list) == [mine]
    confirmed_upcoming = {"status__exact": "CONFIRMED", "when": "upcoming"}
    assert set(staff_client.get(url, confirmed_upcoming).context["cl"].result_list) == {mine, other}
    assert not staff_client.get(url, {"status__exact": "CANCELLED"}).context["cl"].result_list
    assert not staff_client.get(url, {"when": "past"}).context["cl"].result_list

    assert staff_client.get(reverse("admin:booking_booking_add")).status_code == 403
    change = reverse("admin:booking_booking_change", args=[mine.pk])
    page = staff_client.get(change).content.decode()
    assert "Cancel booking" in page and 'name="total"' not in page and "A1" in page
    staff_client.post(change, {"total": "0.00", "status": "CANCELLED"})
    mine.refresh_from_db()
    assert (mine.status, mine.total) == (BookingStatus.CONFIRMED, 200)

    staff_client.post(reverse("admin:booking_booking_cancel", args=[mine.pk]))
    mine.refresh_from_db()
    assert mine.status == BookingStatus.CANCELLED
    assert staff_client.post(url, {"action": "delete_selected", "_selected_action": [other.pk]}).status_code in (
        200,
        302,
    )
    assert Booking.objects.filter(pk=other.pk).exists()


# --------------------------------------------------------------------------
# the Box office group
# --------------------------------------------------------------------------


def test_box_office_can_schedule_and_cancel_but_not_edit_movies(client, box_office):
    # the migration's ten, plus checking tickets in (tickets/migrations/0002)
    assert box_office.permissions.count() == 12
    clerk = UserFactory(is_staff=True)
    clerk.groups.add(box_office)
    client.force_login(clerk)
    show = ShowFactory()
    booking = book(show, {"A1"})

    movie_url = reverse("admin:catalog_movie_change", args=[show.movie_id])
    assert client.get(movie_url).status_code == 200  # view only
    client.post(movie_url, {"title": "Hacked", "duration_mins": 1})
    show.movie.refresh_from_db()
    assert show.movie.title != "Hacked"
    assert client.get(reverse("admin:catalog_movie_add")).status_code == 403
    assert client.get(reverse("admin:catalog_screen_add")).status_code == 403
    assert client.get(reverse("admin:catalog_show_add")).status_code == 200
    assert client.get(reverse("admin:catalog_show_delete", args=[show.pk])).status_code == 403
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200

    response = client.post(
        reverse("admin:booking_booking_changelist"),
        {"action": "cancel_bookings", "_selected_action": [booking.pk]},
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED and booking.cancelled_by == clerk


def test_show_pages_name_the_show_in_local_time_not_utc(staff_client, settings):
    settings.TIME_ZONE = "Asia/Kolkata"
    show = ShowFactory()
    local = timezone.localtime(show.start_time)
    assert f"{local:%H:%M}" in str(show) and "UTC" not in str(show)
    html = staff_client.get(reverse("admin:catalog_show_change", args=[show.pk])).content.decode()
    assert f"{local:%a %d %b %Y %H:%M}" in html and "UTC" not in html
    row = staff_client.get(reverse("admin:catalog_show_changelist")).content.decode()
    assert f"{local:%a %d %b, %H:%M}" in row or f"{local:%a %d %b %Y, %H:%M}" in row
