"""One rule decides what is on sale: active movie, show not started."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog import selectors
from tests.factories import MovieFactory, ShowFactory

pytestmark = pytest.mark.django_db


def test_shows_of_a_deactivated_movie_or_started_are_not_on_sale():
    on_sale = ShowFactory()
    hidden = ShowFactory(movie=MovieFactory(is_active=False))
    now = timezone.now()
    assert list(selectors.shows_on_sale(now=now)) == [on_sale]
    assert selectors.show_is_on_sale(show=on_sale, now=now)
    assert not selectors.show_is_on_sale(show=hidden, now=now)
    assert not selectors.show_is_on_sale(show=on_sale, now=on_sale.start_time + timedelta(seconds=1))
    assert list(selectors.movie_shows_upcoming(movie=hidden.movie)) == []
    assert selectors.movie_shows_by_day(movie=hidden.movie) == []
