"""Small admin items: genres as a list, default prices from the screen's last
show, the show list sorted by occupancy."""

from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import Movie
from tests.factories import MovieFactory, ScreenFactory, ShowFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss_client(client):
    client.force_login(StaffFactory(is_superuser=True))
    return client


def test_genres_are_edited_as_a_list(boss_client):
    movie = MovieFactory(genres=["Drama", "Comedy"])
    url = reverse("admin:catalog_movie_change", args=[movie.pk])
    assert 'value="Drama, Comedy"' in boss_client.get(url).content.decode()
    data = {
        "title": movie.title,
        "description": "",
        "poster_url": "",
        "is_active": "on",
        "duration_mins": "100",
        "rating": "UA",
        "language": "Hindi",
        "genres": " Action,  sci  fi ,action,, Drama ",
        "release_date": "",
    }
    r = boss_client.post(url, data)
    assert r.status_code == 302, r.content.decode()[:2000]
    assert Movie.objects.get(pk=movie.pk).genres == ["Action", "sci fi", "Drama"]


def test_schedule_prices_come_from_the_screens_last_show(boss_client, settings):
    screen = ScreenFactory()
    page = boss_client.get(reverse("admin:catalog_show_schedule") + f"?screen={screen.pk}")
    assert 'name="price_standard" value="200.00"' in page.content.decode()  # DEFAULT_SEAT_PRICES
    ShowFactory(
        screen=screen, prices={"STANDARD": "250.00", "PREMIUM": "350.00", "RECLINER": "600", "ACCESSIBLE": "90"}
    )
    page = boss_client.get(reverse("admin:catalog_show_schedule") + f"?screen={screen.pk}")
    assert 'name="price_standard" value="250.00"' in page.content.decode()
    add = boss_client.get(reverse("admin:catalog_show_add") + f"?screen={screen.pk}")
    assert 'value="350.00"' in add.content.decode()


def test_default_prices_setting_when_there_is_no_show(settings):
    from booking.selectors import show_default_prices

    settings.DEFAULT_SEAT_PRICES = {"STANDARD": "180", "PREMIUM": "280", "RECLINER": "480", "ACCESSIBLE": "150"}
    assert show_default_prices(screen_id=None)["STANDARD"] == Decimal("180")


def test_show_list_sorts_by_occupancy(boss_client, order_for, user):
    small, big = ShowFactory(screen=ScreenFactory(layout="SS")), ShowFactory()
    order_for(user, small, n=1)  # 50 %
    order_for(user, big, n=2)  # 10 %, but more seats sold
    url = reverse("admin:catalog_show_changelist")
    page = boss_client.get(url)
    assert "admitted / sold" in page.content.decode().lower()
    column = page.context["cl"].list_display.index("occupancy")
    r = boss_client.get(url, {"o": f"-{column}"})
    assert [s.pk for s in r.context["cl"].result_list] == [small.pk, big.pk]
    r = boss_client.get(url, {"o": f"{column}"})
    assert [s.pk for s in r.context["cl"].result_list] == [big.pk, small.pk]
