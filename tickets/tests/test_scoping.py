"""Staff scoped to theatres: another theatre's screens, shows, orders and
check-ins are 404 (or simply absent) through every staff endpoint and admin
page; unscoped staff and superusers see everything."""

import pytest
from django.urls import reverse

from tests.api import client_for
from tests.factories import ScreenFactory, ShowFactory, StaffFactory, TheatreFactory, UserFactory
from tickets.models import CheckIn, StaffTheatre
from tickets.services import checkin_record


@pytest.fixture
def world(db, order_for, tonight):
    ours = tonight.screen.theatre
    ours.name = "Regal Ours"
    ours.save()
    theirs = TheatreFactory(name="Plaza Theirs")
    their_show = ShowFactory(screen=ScreenFactory(theatre=theirs, name="Their Screen"), start_time=tonight.start_time)
    buyer = UserFactory()
    our_order = order_for(buyer, tonight)
    their_order = order_for(buyer, their_show)
    manager = StaffFactory()
    StaffTheatre.objects.create(user=manager, theatre=ours)
    unscoped = StaffFactory()
    checkin_record(code=their_order.code, staff=unscoped)
    return {
        "ours": ours,
        "theirs": theirs,
        "our_show": tonight,
        "their_show": their_show,
        "our_order": our_order,
        "their_order": their_order,
        "manager": manager,
        "unscoped": unscoped,
    }


@pytest.mark.django_db
def test_api_endpoints_answer_404_for_another_theatre(world):
    api = client_for(world["manager"])
    them, us = world["their_show"], world["our_show"]
    their_order, our_order = world["their_order"], world["our_order"]
    their_screen = them.screen

    assert api.get(f"/api/v1/shows/{us.pk}/bookings").status_code == 200
    assert api.get(f"/api/v1/shows/{them.pk}/bookings").status_code == 404
    assert api.get(f"/api/v1/bookings/{our_order.pk}").status_code == 200
    assert api.get(f"/api/v1/bookings/{their_order.pk}").status_code == 404
    assert api.post(f"/api/v1/bookings/{their_order.pk}/cancel").status_code == 404
    assert api.patch(f"/api/v1/shows/{them.pk}", {"prices": {"STANDARD": "1.00"}}, format="json").status_code == 404
    assert api.delete(f"/api/v1/shows/{them.pk}").status_code == 404
    assert api.patch(f"/api/v1/screens/{their_screen.pk}", {"name": "X"}, format="json").status_code == 404
    assert api.delete(f"/api/v1/screens/{their_screen.pk}").status_code == 404
    assert api.patch(f"/api/v1/theatres/{world['theirs'].pk}", {"name": "X"}, format="json").status_code == 404
    r = api.post("/api/v1/screens", {"theatre_id": world["theirs"].pk, "name": "New", "layout": ["SS"]}, format="json")
    assert r.status_code == 400 and "theatre_id" in r.json()["error"]["fields"]
    r = api.post(
        "/api/v1/shows",
        {"movie_id": them.movie_id, "screen_id": their_screen.pk, "start_time": "2030-01-01T10:00:00Z"},
        format="json",
    )
    assert r.status_code == 400 and "screen_id" in r.json()["error"]["fields"]
    r = api.post("/api/v1/checkins", {"code": their_order.code}, format="json")
    assert r.status_code == 404 and "ALREADY" not in r.content.decode()  # not even "already admitted"
    assert api.post("/api/v1/checkins", {"code": our_order.code}, format="json").status_code == 200
    their_order.show.screen.refresh_from_db()
    assert their_order.show.screen.name == "Their Screen"


@pytest.mark.django_db
def test_unscoped_staff_and_superusers_see_every_theatre(world):
    api = client_for(world["unscoped"])
    assert api.get(f"/api/v1/shows/{world['their_show'].pk}/bookings").status_code == 200
    assert api.get(f"/api/v1/bookings/{world['their_order'].pk}").status_code == 200
    boss = StaffFactory(is_superuser=True)
    StaffTheatre.objects.create(user=boss, theatre=world["ours"])  # ignored for superusers
    assert client_for(boss).get(f"/api/v1/bookings/{world['their_order'].pk}").status_code == 200


@pytest.mark.django_db
def test_qr_of_another_theatres_order_is_404(client, world):
    client.force_login(world["manager"])
    assert client.get(reverse("tickets:ticket_qr", args=[world["their_order"].code])).status_code == 404
    assert client.get(reverse("tickets:ticket_qr", args=[world["our_order"].code])).status_code == 200


ADMIN_LISTS = [
    "admin:catalog_show_changelist",
    "admin:catalog_screen_changelist",
    "admin:catalog_theatre_changelist",
    "admin:catalog_seat_changelist",
    "admin:booking_booking_changelist",
    "admin:booking_showseat_changelist",
    "admin:tickets_checkin_changelist",
]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ADMIN_LISTS)
def test_admin_lists_filters_and_counts_hold_no_other_theatre(client, world, name):
    client.force_login(world["manager"])
    page = client.get(reverse(name))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Plaza Theirs" not in text and "Their Screen" not in text and world["their_order"].code not in text
    cl = page.context["cl"]
    scoped_total = cl.result_count
    for obj in cl.result_list:  # every row listed is of our theatre
        assert "Plaza Theirs" not in str(obj)
    if cl.search_fields:
        searched = client.get(reverse(name), {"q": world["their_order"].code})
        assert searched.context["cl"].result_count == 0
    client.force_login(world["unscoped"])
    assert client.get(reverse(name)).context["cl"].result_count > scoped_total  # the count hid theirs


@pytest.mark.django_db
def test_admin_objects_of_another_theatre_are_not_found(client, world):
    client.force_login(world["manager"])
    them = world["their_show"]
    for url in [
        reverse("admin:catalog_show_change", args=[them.pk]),
        reverse("admin:catalog_screen_change", args=[them.screen.pk]),
        reverse("admin:catalog_theatre_change", args=[world["theirs"].pk]),
        reverse("admin:booking_booking_change", args=[world["their_order"].pk]),
        reverse("admin:tickets_checkin_change", args=[CheckIn.objects.get().pk]),
        reverse("admin:catalog_show_delete", args=[them.pk]),
    ]:
        r = client.get(url)
        assert r.status_code == 302 and r.url == reverse("admin:index"), url  # "does not exist"
    r = client.post(reverse("admin:booking_booking_cancel", args=[world["their_order"].pk]))
    assert r.status_code == 404
    world["their_order"].refresh_from_db()
    assert world["their_order"].status == "CONFIRMED"
    ours = client.get(reverse("admin:catalog_show_change", args=[world["our_show"].pk]))
    assert ours.status_code == 200


@pytest.mark.django_db
def test_admin_choices_and_autocomplete_offer_only_own_theatres(client, world):
    client.force_login(world["manager"])
    add_screen = client.get(reverse("admin:catalog_screen_add")).content.decode()
    assert "Regal Ours" in add_screen and "Plaza Theirs" not in add_screen
    schedule = client.get(reverse("admin:catalog_show_schedule")).content.decode()
    assert "Their Screen" not in schedule
    r = client.get(
        reverse("admin:autocomplete"),
        {"term": "", "app_label": "tickets", "model_name": "stafftheatre", "field_name": "theatre"},
    )
    assert r.status_code in (200, 403)
    assert "Plaza Theirs" not in r.content.decode()


@pytest.mark.django_db
def test_superuser_assigns_theatres_on_the_user_page(client, world):
    boss = StaffFactory(is_superuser=True)
    client.force_login(boss)
    page = client.get(reverse("admin:accounts_user_change", args=[world["manager"].pk]))
    assert "theatres this user manages" in page.content.decode().lower()
    client.force_login(world["unscoped"])
    page = client.get(reverse("admin:accounts_user_change", args=[world["manager"].pk]))
    assert "theatres this user manages" not in page.content.decode().lower()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "start_time__year=9999",
        "start_time__year=9999&start_time__month=12",
        "start_time__year=9999&start_time__month=12&start_time__day=31",
        "start_time__year=abc",
        "start_time__year=0",
    ],
)
def test_show_list_date_hierarchy_bad_years_are_not_a_500(client, query):
    client.force_login(StaffFactory(is_superuser=True))
    r = client.get(reverse("admin:catalog_show_changelist") + "?" + query)
    assert r.status_code in (200, 302)


@pytest.mark.django_db
def test_admin_booking_cancel_with_a_non_numeric_id_is_404(client):
    client.force_login(StaffFactory(is_superuser=True))
    assert client.post("/admin/booking/booking/abc/cancel/").status_code == 404
