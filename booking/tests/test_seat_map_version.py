"""The seat map's one-query path gives the same ETag as seat_map_version."""

from datetime import timedelta

import pytest
from django.utils import timezone

from booking.selectors import seat_map_for_show, seat_map_version, seat_map_with_version
from booking.services import seats_hold
from booking.tests.helpers import make_show, seat_ids
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_map_and_version_in_one_query_match_the_aggregate(django_assert_num_queries):
    now = timezone.now()
    show = make_show("SSSS\nPP")
    ids = seat_ids(show, "A1", "A2")
    me, other = UserFactory(), UserFactory()
    seats_hold(user=me, show=show, seat_ids=ids[:1], now=now)
    seats_hold(user=other, show=show, seat_ids=ids[1:2], now=now - timedelta(hours=1))  # lapsed
    for viewer in (None, me, other):
        with django_assert_num_queries(1):
            version, seats = seat_map_with_version(show=show, viewer=viewer, now=now)
        assert version == seat_map_version(show=show, viewer=viewer, now=now)
        assert seats == seat_map_for_show(show=show, viewer=viewer, now=now)
    assert seat_map_with_version(show=show, viewer=me, now=now)[0] != seat_map_with_version(show=show, now=now)[0]
    later = now + timedelta(seconds=601)  # my hold lapses too: the tag moves with nobody writing
    assert seat_map_with_version(show=show, now=later)[0] == seat_map_version(show=show, now=later)
    assert seat_map_with_version(show=show, now=later)[0] != seat_map_with_version(show=show, now=now)[0]
