"""Help, terms, cancellation policy and contact: reachable from every page's
footer and from checkout; the policy page reads CANCELLATION_POLICY."""

import pytest
from django.urls import reverse

from booking.services import seats_hold
from tests.factories import TheatreFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["help", "terms", "cancellation_policy", "contact"])
def test_each_page_answers_and_is_in_the_footer(client, name):
    url = reverse(f"info:{name}")
    response = client.get(url)
    assert response.status_code == 200
    assert f'href="{url}"' in client.get("/").content.decode()


def test_the_policy_page_says_what_the_setting_says(client, settings):
    settings.CANCELLATION_POLICY = "2d:100,3h:25"
    html = client.get(reverse("info:cancellation_policy")).content.decode()
    assert "2 days before the show" in html and "100 %" in html
    assert "3 hours before the show" in html and "25 %" in html


def test_contact_lists_the_theatres(client):
    TheatreFactory(name="Lakeside Cinemas", city="Bengaluru", address="Forum Mall")
    html = client.get(reverse("info:contact")).content.decode()
    assert "Lakeside Cinemas" in html and "Forum Mall" in html


def test_checkout_links_terms_and_policy(client, show, user):
    seats_hold(user=user, show=show, seat_ids=[show.show_seats.order_by("pk").first().pk])
    client.force_login(user)
    html = client.get(reverse("booking:checkout", args=[show.pk])).content.decode()
    assert reverse("info:terms") in html and reverse("info:cancellation_policy") in html


def test_info_pages_refuse_post(client):
    assert client.post(reverse("info:help")).status_code == 405
