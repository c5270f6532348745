"""cinema.prepared: a queryset compiled once gives what the queryset gives."""

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from booking.models import Booking
from booking.services import booking_confirm, seats_hold
from booking.tests.helpers import make_show
from catalog.models import Movie, Show
from cinema.prepared import Prepared
from tests.api import seat_ids
from tests.factories import MovieFactory, UserFactory

pytestmark = pytest.mark.django_db


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def _order():
    show = make_show("SSSS")
    user = UserFactory()
    ids = seat_ids(show, 2)
    seats_hold(user=user, show=show, seat_ids=ids)
    return booking_confirm(user=user, show=show, seat_ids=ids).booking


def test_select_related_rows_equal_the_querysets_and_need_no_more_queries(django_assert_num_queries):
    order = _order()
    other = _order()

    def build(user_id, pk):
        return Booking.objects.select_related("show__movie", "show__screen__theatre").filter(user_id=user_id, pk=pk)

    prepared = Prepared(Booking, build)
    for booking in (order, other):
        expected = build(booking.user_id, booking.pk).get()
        with django_assert_num_queries(1):
            got = prepared.first(booking.user_id, booking.pk)
            assert _fields(got) == _fields(expected)  # datetimes aware, Decimals, as the ORM converts them
            assert _fields(got.show) == _fields(expected.show)
            assert _fields(got.show.movie) == _fields(expected.show.movie)
            assert _fields(got.show.screen.theatre) == _fields(expected.show.screen.theatre)
        assert got._state.db == "default" and not got._state.adding
    assert prepared.first(other.user_id, order.pk) is None  # the arguments are the call's, not the first call's


def test_lists_of_ids_strings_and_constants():
    movies = [MovieFactory(title=f"Film {i}") for i in range(4)]
    by_ids = Prepared(Movie, lambda *ids: Movie.objects.filter(pk__in=ids).order_by("-pk"))
    for ids in ([movies[0].pk], [m.pk for m in movies[1:]], [movies[2].pk, 10**9]):
        assert by_ids.all(*ids) == list(Movie.objects.filter(pk__in=ids).order_by("-pk"))
    by_title = Prepared(
        Movie, lambda title: Movie.objects.filter(title=title, is_active=True).only("title"), kinds=(str,)
    )
    assert [m.pk for m in by_title.all("Film 2")] == [movies[2].pk]
    assert by_title.all("Film 2%") == [] and by_title.all("") == []
    Movie.objects.filter(pk=movies[2].pk).update(is_active=False)
    assert by_title.all("Film 2") == []  # the constant inside build stays in the query


def test_what_it_cannot_prepare_is_refused():
    for build in (
        lambda pk: Show.objects.filter(pk=pk).prefetch_related("show_seats"),
        lambda pk: Show.objects.filter(pk=pk).annotate(n=Count("show_seats")),
        lambda pk: Show.objects.all(),  # the argument is not in the query
    ):
        with pytest.raises(ValueError):
            Prepared(Show, build).all(1)


def test_a_locking_read_locks():
    order = _order()
    prepared = Prepared(Booking, lambda pk: Booking.objects.select_for_update().filter(pk=pk), for_update=True)
    with CaptureQueriesContext(connection) as queries:
        from django.db import transaction

        with transaction.atomic():
            assert prepared.first(order.pk).pk == order.pk
    sql = next(q["sql"] for q in queries.captured_queries if "booking_booking" in q["sql"])
    assert ("FOR UPDATE" in sql) == connection.features.has_select_for_update
