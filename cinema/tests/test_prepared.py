"""cinema.prepared: a queryset compiled once gives what the queryset gives."""

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from booking.models import Booking
from booking.services import booking_confirm, seats_hold
from booking.tests.helpers import make_show
from catalog.models import Movie, Show
from cinema import prepared
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


def _row(model, pk, skip=()) -> dict:
    obj = model.objects.get(pk=pk)
    return {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields if f.attname not in skip}


def test_insert_rows_stores_what_the_orm_stores(django_capture_on_commit_callbacks):
    """Every model the hot writes insert: the same row as objects.create /
    bulk_create, auto_now stamps and defaults included; one row gets its pk."""
    from decimal import Decimal

    from django.utils import timezone

    from booking.models import BookingSeat, IdempotencyRecord
    from cinema.prepared import insert_rows
    from events.models import EventType, OutboxEvent
    from payments.models import Payment

    order = _order()
    now = timezone.now()
    event = {
        "type": EventType.ORDER_CREATED,
        "aggregate_type": "order",
        "aggregate_id": "7",
        "occurred_at": now,
        "data": {"total": "12.50", "name": 'Zoë "x"', "at": "2026-12-01T18:30:00Z"},
        "request_id": "abc",
    }
    payment = {"order_id": order.pk, "provider": "test", "amount": Decimal("12.50"), "currency": "EUR"}
    key = {"user_id": order.user_id, "booking_id": order.pk, "request_hash": "h", "response_body": {"a": [1, "é"]}}
    cases = [
        (OutboxEvent, event, event, {"seq", "event_id"}),
        (Payment, payment, payment, {"id", "checkout_token", "created_at", "updated_at"}),
        (IdempotencyRecord, {**key, "key": "k1"}, {**key, "key": "k2"}, {"id", "key", "created_at"}),
    ]
    for model, mine, theirs, differ in cases:
        by_hand = model(**mine)
        insert_rows([by_hand])
        by_orm = model.objects.create(**theirs)
        assert by_hand.pk is not None and not by_hand._state.adding, model
        assert _row(model, by_hand.pk, differ) == _row(model, by_orm.pk, differ), model
        for stamp in {"created_at", "updated_at"} & {f.attname for f in model._meta.concrete_fields}:
            assert getattr(model.objects.get(pk=by_hand.pk), stamp) is not None, (model, stamp)
    lines = [
        BookingSeat(
            booking_id=order.pk,
            show_seat_id=s.show_seat_id,
            seat_name="Z9",
            seat_type="STANDARD",
            price=Decimal("9.00"),
        )
        for s in order.line_list()
    ]
    BookingSeat.objects.filter(booking_id=order.pk).delete()
    insert_rows(lines)
    stored = list(BookingSeat.objects.filter(booking_id=order.pk).order_by("pk"))
    assert [(s.show_seat_id, s.seat_name, s.price, s.active) for s in stored] == [
        (s.show_seat_id, "Z9", Decimal("9.00"), BookingSeat._meta.get_field("active").get_default()) for s in lines
    ]
    insert_rows([])  # nothing: no query


def test_update_row_stores_what_save_with_update_fields_stores():
    """A payment's outcome (the hot write): the same row as
    save(update_fields=...), its auto_now stamp moved on the instance too;
    the fields not named are left as they are in the database."""
    from decimal import Decimal

    from django.utils import timezone

    from cinema.prepared import update_row
    from payments.models import Payment, PaymentStatus

    order = _order()
    made = [
        Payment.objects.create(order_id=order.pk, provider="test", amount=Decimal("12.50"), currency="EUR")
        for _ in range(2)
    ]
    names = ["status", "succeeded_at", "failure_message", "reference", "updated_at"]
    at = timezone.now()
    for payment in made:
        Payment.objects.filter(pk=payment.pk).update(amount=Decimal("99.00"))  # not named: must stay
        payment.status, payment.succeeded_at, payment.failure_message = PaymentStatus.SUCCEEDED, at, ""
        payment.reference = 'ch_"é"'
    before = made[0].updated_at
    update_row(made[0], names)
    made[1].save(update_fields=names)
    assert made[0].updated_at > before
    differ = {"id", "checkout_token", "created_at", "updated_at"}
    assert _row(Payment, made[0].pk, differ) == _row(Payment, made[1].pk, differ)
    stored = Payment.objects.get(pk=made[0].pk)
    assert stored.amount == Decimal("99.00") and stored.updated_at == made[0].updated_at


def test_statements_run_in_one_round_trip_on_mariadb_and_fail_as_alone():
    """On MariaDB the connection takes several statements at once (settings.py);
    a failing statement raises Django's error, the ones after it do not run,
    and the connection goes on as before."""
    from django.db import DatabaseError

    assert prepared._several_at_once(connection) == (connection.vendor == "mysql")
    one = prepared.Statement("SELECT %s", [1], lambda rows: rows[0][0])
    two = prepared.Statement("SELECT %s, %s", ["a", 2], lambda rows: rows[0])
    assert prepared.statements_run([one, two, one]) == [1, ("a", 2), 1]
    broken = prepared.Statement("SELECT * FROM no_such_table_here", [], list)
    with pytest.raises(DatabaseError, match="no_such_table_here"):
        prepared.statements_run([one, broken, two])
    assert prepared.statements_run([two, one]) == [("a", 2), 1]


def test_a_prepared_query_as_a_statement_answers_as_it_does_alone():
    from django.db import transaction

    order = _order()
    locked = Prepared(
        Booking,
        lambda pk: Booking.objects.select_for_update().select_related("show__movie").filter(pk=pk),
        for_update=True,
    )
    titles = Prepared(Movie, lambda pk: Movie.objects.filter(pk=pk))
    with transaction.atomic():
        mine, none, movies = prepared.statements_run(
            [
                locked.statement(order.pk, first=True),
                locked.statement(order.pk + 1000, first=True),
                titles.statement(order.show.movie_id),
            ]
        )
        assert _fields(mine) == _fields(locked.first(order.pk)) and none is None
        assert _fields(mine.show.movie) == _fields(order.show.movie)
        assert [_fields(m) for m in movies] == [_fields(m) for m in titles.all(order.show.movie_id)]


def _event(n: int):
    from django.utils import timezone

    from events.models import OutboxEvent

    return OutboxEvent(
        type="order.created", aggregate_type="order", aggregate_id=str(n), data={"n": n}, occurred_at=timezone.now()
    )


def test_writes_batched_sends_its_inserts_with_the_next_round_trip_or_at_its_end(django_assert_num_queries):
    """insert_rows(later=True) waits inside writes_batched: it rides ahead of
    the next statements_run (one round trip on MariaDB) or goes when the block
    ends, in the order written; an error drops what waits; outside a block it
    is written at once."""
    from django.db import transaction

    from events.models import OutboxEvent

    def seen():
        return list(OutboxEvent.objects.order_by("pk").values_list("aggregate_id", flat=True))

    several = connection.vendor == "mysql"
    with transaction.atomic(), prepared.writes_batched():
        with django_assert_num_queries(0):
            prepared.insert_rows([_event(1)], later=True)
            prepared.insert_rows([_event(2)], later=True)
        lock = prepared.Statement("SELECT 1", [], lambda rows: rows[0][0])
        with django_assert_num_queries(1 if several else 3):
            assert prepared.statements_run([lock]) == [1]  # the answers are the caller's statements' only
        assert seen() == ["1", "2"]
        prepared.insert_rows([_event(3)], later=True)
        prepared.insert_rows([_event(4)], later=True)
        assert seen() == ["1", "2"]
    assert seen() == ["1", "2", "3", "4"]

    with transaction.atomic(), prepared.writes_batched():  # sent when asked, so the caller sees its errors
        prepared.insert_rows([_event(7)], later=True)
        with django_assert_num_queries(1):
            prepared.writes_send()
        assert seen() == ["1", "2", "3", "4", "7"]
        with django_assert_num_queries(0):
            prepared.writes_send()  # nothing waits: no round trip
    OutboxEvent.objects.filter(aggregate_id="7").delete()

    with pytest.raises(ValueError), transaction.atomic(), prepared.writes_batched():
        prepared.insert_rows([_event(5)], later=True)
        raise ValueError("the service failed")
    prepared.insert_rows([_event(6)], later=True)  # no block: at once, with its pk
    assert seen() == ["1", "2", "3", "4", "6"]
    with transaction.atomic(), prepared.writes_batched():  # the error left nothing waiting behind
        with django_assert_num_queries(0):
            pass
    assert seen() == ["1", "2", "3", "4", "6"]
