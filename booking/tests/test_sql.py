"""Each hand-written query in booking/sql.py answers what its ORM twin does,
on whichever backend the suite runs (SQLite here, MariaDB in CI's second pass)."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.utils import timezone

from booking import sql
from booking.models import Booking, BookingStatus, SeatStatus, ShowSeat, free_q, seat_is_free
from booking.services import booking_confirm, seats_hold
from booking.services.locking import one_statement
from booking.tests.helpers import make_show, seat_ids
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene():
    """A show with every kind of seat: free, held, held by the viewer, expired,
    sold, and claimed by unpaid orders (one within its deadline, one past it)."""
    now = timezone.now()
    show = make_show("SSPP\nRRAA\nSSSS")
    viewer, other = UserFactory(), UserFactory()
    earlier = now - timedelta(hours=1)
    seats_hold(user=other, show=show, seat_ids=seat_ids(show, "A1"), now=earlier)  # expired by now
    seats_hold(user=viewer, show=show, seat_ids=seat_ids(show, "A2"), now=earlier)  # own, expired
    seats_hold(user=viewer, show=show, seat_ids=seat_ids(show, "A3", "A4"), now=now)
    seats_hold(user=other, show=show, seat_ids=seat_ids(show, "B1", "B2"), now=now)
    booking_confirm(user=other, show=show, seat_ids=seat_ids(show, "B1"), now=now)
    with override_settings(PAYMENT_PROVIDER="test"):
        seats_hold(user=other, show=show, seat_ids=seat_ids(show, "C1"), now=earlier)
        booking_confirm(user=other, show=show, seat_ids=seat_ids(show, "C1"), now=earlier)  # unpaid, overdue
        seats_hold(user=other, show=show, seat_ids=seat_ids(show, "C2"), now=now)
        booking_confirm(user=other, show=show, seat_ids=seat_ids(show, "C2"), now=now)  # unpaid, in time
    return show, viewer, now


def test_user_lock_twins_both_lock_the_row():
    """SQLite has no FOR UPDATE (its write transaction is the lock): the SQL twin runs on MariaDB only."""
    user = UserFactory()
    locks = [sql.user_lock_orm] + ([sql.user_lock_sql] if connection.features.has_select_for_update else [])
    for lock in locks:
        with transaction.atomic():
            assert lock(user) is None


def test_map_totals_agree(scene):
    show, _, now = scene
    for at in (now, now + timedelta(hours=1)):
        assert sql.map_totals_sql(show_id=show.pk, now=at) == sql.map_totals_orm(show_id=show.pk, now=at)
    assert sql.map_totals_sql(show_id=show.pk, now=now).expired == 3  # A1, A2 and C1's lapsed order


def test_best_rows_agree(scene):
    show, viewer, now = scene
    for at in (now, now + timedelta(hours=1)):
        raw = sorted(sql.best_rows_sql(show_id=show.pk, user=viewer, now=at))
        orm = sorted(sql.best_rows_orm(show_id=show.pk, user=viewer, now=at))
        assert raw == orm
    rows = {r.pk: r for r in sql.best_rows_sql(show_id=show.pk, user=viewer, now=now)}
    assert [rows[pk].mine for pk in seat_ids(show, "A2", "A3", "A4")] == [False, True, True]


def test_the_free_rule_is_the_same_in_python_q_and_sql(scene):
    show, viewer, now = scene
    seats = list(ShowSeat.objects.filter(show=show))
    in_python = {s.pk for s in seats if seat_is_free(s.status, s.held_until, now)}
    assert in_python == set(ShowSeat.objects.filter(show=show).filter(free_q(now)).values_list("pk", flat=True))
    assert in_python == set(ShowSeat.objects.filter(show=show).free(now).values_list("pk", flat=True))
    assert in_python == {r.pk for r in sql.best_rows_sql(show_id=show.pk, user=viewer, now=now) if r.free}
    assert SeatStatus.LOCKED in {s.status for s in seats if s.pk in in_python}  # expired holds count as free
    c1, c2 = seat_ids(show, "C1", "C2")
    assert c1 in in_python and c2 not in in_python  # an unpaid order's seats are free once its deadline passes


def test_held_by_agree(scene):
    show, viewer, now = scene
    for at in (now, now + timedelta(hours=1)):
        for user in (viewer, UserFactory()):
            assert sql.held_by_sql(show_id=show.pk, user=user, now=at) == sql.held_by_orm(
                show_id=show.pk, user=user, now=at
            )
    assert [pk for pk, _ in sql.held_by_sql(show_id=show.pk, user=viewer, now=now)] == seat_ids(show, "A3", "A4")


def test_hold_counts_agree(scene):
    show, viewer, now = scene
    other_show = make_show("SSSS")
    seats_hold(user=viewer, show=other_show, seat_ids=seat_ids(other_show, "A1", "A2"), now=now)
    buyer = Booking.objects.filter(show=show, status=BookingStatus.CONFIRMED).get().user  # bought B1
    excludes = ((), seat_ids(show, "A3"), seat_ids(show, "A3", "A4", "B2"))
    for at in (now, now + timedelta(hours=1)):
        for user in (viewer, buyer, UserFactory()):
            for exclude in excludes:
                args = {"user": user, "show_id": show.pk, "now": at, "exclude": exclude}
                assert sql.hold_counts_sql(**args) == sql.hold_counts_orm(**args)
    assert sql.hold_counts_sql(user=viewer, show_id=show.pk, now=now) == (4, 2, 0)
    assert sql.hold_counts_sql(user=buyer, show_id=show.pk, now=now).bought == 1


def test_free_check_agrees(scene, django_assert_num_queries):
    show, viewer, now = scene
    for at in (now, now + timedelta(hours=1), show.start_time):
        for user in (viewer, UserFactory()):
            assert sql.free_check_sql(user=user, show_id=show.pk, now=at) == sql.free_check_orm(
                user=user, show_id=show.pk, now=at
            )
    check = sql.free_check_sql(user=viewer, show_id=show.pk, now=now)
    # Free: A1, A2 (lapsed holds), C1 (a lapsed order) and the four never touched.
    assert check == (True, 7, (2, 2, 0))
    with django_assert_num_queries(1 if connection.vendor == "mysql" else 3):
        sql.free_check_sql(user=viewer, show_id=show.pk, now=now)


def test_show_share_lock_twins_read_the_same_show(scene):
    show, _, _ = scene
    locks = [sql.show_share_lock_orm] + ([sql.show_share_lock_sql] if connection.features.has_select_for_update else [])
    for lock in locks:
        with transaction.atomic():
            got = lock(show.pk)
            assert (got.pk, got.start_time, got.cancelled_at, got.screen_id) == (
                show.pk,
                show.start_time,
                None,
                show.screen_id,
            )
            assert lock(show.pk + 1000) is None


def test_show_on_sale_agree():
    """Every way a show leaves sale: its movie withdrawn, started, cancelled."""
    now = timezone.now()
    on_sale = make_show()
    withdrawn = make_show()
    withdrawn.movie.is_active = False
    withdrawn.movie.save()
    started = make_show(starts_in=timedelta(minutes=-5))
    cancelled = make_show()
    cancelled.cancelled_at = now
    cancelled.save()
    for show, expected in [(on_sale, True), (withdrawn, False), (started, False), (cancelled, False)]:
        for twin in (sql.show_on_sale_sql, sql.show_on_sale_orm):
            assert twin(show_id=show.pk, now=now) is expected, (twin.__name__, show)
    assert sql.show_on_sale_sql(show_id=on_sale.pk, now=on_sale.start_time) is False  # the instant it starts


def test_seat_writes_agree(scene):
    """Each twin writes the same columns: the hold taken, changed, ended."""
    show, viewer, now = scene
    later = now + timedelta(minutes=3)
    ids = list(ShowSeat.objects.filter(show=show).order_by("pk").values_list("pk", flat=True))
    first, second = ids[: len(ids) // 2], ids[len(ids) // 2 : len(ids) // 2 * 2]
    columns = ("status", "held_by_id", "held_at", "held_until", "updated_at")

    def state(pks):
        rows = ShowSeat.objects.filter(pk__in=pks).order_by("pk")
        return [(tuple(getattr(r, c) for c in columns), r.version) for r in rows]

    writes = [
        dict(status=SeatStatus.LOCKED, held_by_id=viewer.pk, held_at=now, held_until=later, now=now),
        dict(status=SeatStatus.SOLD, held_by_id=viewer.pk, held_at=now, held_until=later, now=later),
        dict(status=SeatStatus.AVAILABLE, held_by_id=None, held_at=None, held_until=None, now=later),
    ]
    for write in writes:
        before = state(first), state(second)
        sql.seats_write_sql(first, **write)
        sql.seats_write_orm(second, **write)
        after_sql, after_orm = state(first), state(second)
        assert [c for c, _ in after_sql] == [c for c, _ in after_orm][: len(after_sql)]
        assert all(v == old[1] + 1 for (_, v), old in zip(after_sql, before[0], strict=True))
        assert all(v == old[1] + 1 for (_, v), old in zip(after_orm, before[1], strict=True))
        assert after_sql[0][0] == (
            write["status"],
            write["held_by_id"],
            write["held_at"],
            write["held_until"],
            write["now"],
        )
    sql.seats_write_sql([], **writes[0])  # nothing to write: no query


def test_a_holds_first_reads_in_one_round_trip_agree(scene, django_assert_num_queries):
    """hold_start_sql: the user lock, on-sale, map and counts reads of a
    best-available hold in one query on MariaDB (one by one on SQLite),
    answering what their ORM twins answer; a show not on sale reads False."""
    show, viewer, now = scene
    buyer = Booking.objects.filter(show=show, status=BookingStatus.CONFIRMED).get().user
    for at in (now, now + timedelta(hours=1), show.start_time):
        for user in (viewer, buyer):
            with transaction.atomic():
                with django_assert_num_queries(1 if connection.vendor == "mysql" else 3):
                    raw = sql.hold_start_sql(user=user, show_id=show.pk, now=at)
                orm = sql.hold_start_orm(user=user, show_id=show.pk, now=at)
            assert (raw.on_sale, sorted(raw.rows), raw.counts) == (orm.on_sale, sorted(orm.rows), orm.counts)
    assert sql.hold_start_sql(user=viewer, show_id=show.pk, now=show.start_time).on_sale is False


@pytest.mark.usefixtures("payments_on")
def test_an_order_sold_by_either_twin_is_the_same_sale(django_assert_num_queries):
    """order_sold_sql (one round trip on MariaDB) writes what order_sold_orm
    does: the lines active, the seats SOLD with no hold, the order CONFIRMED;
    refused by the one-active-sale constraint, it writes nothing at all."""
    now = timezone.now()
    show = make_show("SSSS\nSSSS")
    buyer = UserFactory()
    orders = []
    for names in (("A1", "A2"), ("B1", "B2")):
        ids = seat_ids(show, *names)
        seats_hold(user=buyer, show=show, seat_ids=ids, now=now)
        orders.append((booking_confirm(user=buyer, show=show, seat_ids=ids, now=now).booking, ids))

    def state(order, ids):
        order.refresh_from_db()
        seats = ShowSeat.objects.filter(pk__in=ids).order_by("pk")
        return (
            order.status,
            order.confirmed_at,
            sorted(order.lines.values_list("active", flat=True)),
            [(s.status, s.held_by_id, s.held_at, s.held_until, s.updated_at) for s in seats],
        )

    later = now + timedelta(seconds=5)
    with django_assert_num_queries(1 if connection.vendor == "mysql" else 3):
        sql.order_sold_sql(order_id=orders[0][0].pk, seat_ids=orders[0][1], now=later)
    sql.order_sold_orm(order_id=orders[1][0].pk, seat_ids=orders[1][1], now=later)
    sold = state(*orders[0])
    assert sold == state(*orders[1])
    assert sold[:3] == (BookingStatus.CONFIRMED, later, [True, True])
    assert {s[:4] for s in sold[3]} == {(SeatStatus.SOLD, None, None, None)}

    # A second order of seat A1 (its claim forged past the first sale): refused, nothing written.
    seats_hold(user=buyer, show=show, seat_ids=seat_ids(show, "A3"), now=now)
    third = booking_confirm(user=buyer, show=show, seat_ids=seat_ids(show, "A3"), now=now).booking
    third.lines.update(show_seat_id=seat_ids(show, "A1")[0])
    before = state(third, seat_ids(show, "A3"))
    with pytest.raises(IntegrityError), one_statement():  # no savepoint to undo it: the database's own
        sql.order_sold_sql(order_id=third.pk, seat_ids=seat_ids(show, "A3"), now=later)
    assert state(third, seat_ids(show, "A3")) == before
