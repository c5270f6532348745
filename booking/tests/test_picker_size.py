"""The 220-seat picker page is small (under 60 kB of HTML, about 130 kB before
the compact seat markup) and HTML is served gzip-compressed, while every seat
still announces row, number, type, price and status."""

import gzip

import pytest

from booking.management.commands.seed_demo import IMAX
from booking.tests.helpers import make_show

pytestmark = pytest.mark.django_db


@pytest.fixture
def big_show():
    show = make_show("\n".join(IMAX))
    assert show.show_seats.count() == 220
    return show


def test_the_220_seat_picker_is_under_60_kB_and_every_seat_announces_itself(client, big_show):
    response = client.get(f"/shows/{big_show.pk}/")
    html = response.content.decode()
    assert len(response.content) < 60_000, len(response.content)
    assert html.count('type="checkbox" name="seats"') == 220
    assert html.count('aria-label="Row ') >= 220
    assert 'aria-label="Row A, seat 1, Accessible, ' in html
    assert 'aria-label="Row M, seat 12, Recliner, ' in html


def test_html_is_served_gzip_compressed(client, big_show):
    response = client.get(f"/shows/{big_show.pk}/", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    body = gzip.decompress(response.content)
    assert len(response.content) < 12_000, len(response.content)
    assert body.count(b'name="seats"') >= 220


def test_api_answers_are_not_compressed_so_etags_stay_strong(client, big_show):
    response = client.get(f"/api/v1/shows/{big_show.pk}/seats", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert not response.has_header("Content-Encoding")
    assert not response["ETag"].startswith("W/")


def test_the_picker_with_a_quantity_stays_within_its_query_budget(client, big_show, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = client.get(f"/shows/{big_show.pk}/?qty=4")
    assert response.status_code == 200
    assert response.content.decode().count(" checked") == 4
