"""The hand-written SQL, each query beside its ORM twin.

Only queries the benchmark justified are written by hand (docs/performance.md):
they run on every hold, booking or seat-map poll, and through the ORM their
compilation cost more CPU than the database spent running them. Each
``*_sql`` function answers exactly what its ``*_orm`` twin answers (a test,
booking/tests/test_sql.py, checks it on every backend), and the free-seat rule
in SQL is the twin of booking.models.free_q.
"""

from datetime import UTC, datetime
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, F, Q, Sum

from booking.models import Booking, BookingSeat, BookingStatus, SeatStatus, ShowSeat, free_q, held_q, hold_expired
from catalog.models import Movie, Seat, Show
from catalog.selectors import shows_on_sale
from cinema.prepared import Prepared, Statement, no_answer, statements_run

# booking.models.free_q in SQL; parameters: AVAILABLE, LOCKED, SOLD, now.
FREE_SQL = "(ss.status = %s OR (ss.status IN (%s, %s) AND ss.held_until <= %s))"


def _free_params(at) -> list:
    return [SeatStatus.AVAILABLE.value, SeatStatus.LOCKED.value, SeatStatus.SOLD.value, at]


# --------------------------------------------------------------------------
# the user-row lock every hold, booking and cancellation starts with
# --------------------------------------------------------------------------
def _user_lock_statement(user) -> Statement:
    return Statement(f"SELECT id FROM {get_user_model()._meta.db_table} WHERE id = %s FOR UPDATE", [user.pk], no_answer)


def user_lock_sql(user) -> None:
    statements_run([_user_lock_statement(user)])


def user_lock_statements(user) -> list[Statement]:
    """The user-row lock as statements to run first in a batch: none on
    SQLite, which has no row locks (its write transaction is the lock)."""
    return [_user_lock_statement(user)] if connection.features.has_select_for_update else []


def user_lock_orm(user) -> None:
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))


# --------------------------------------------------------------------------
# a seat's state written (every hold, order, payment and release)
# --------------------------------------------------------------------------
def seats_write_statement(pks, *, status: str, held_by_id: int | None, held_at, held_until, now: datetime):
    """seats_write_sql as a statement of statements_run."""
    pks = list(pks)
    adapt = connection.ops.adapt_datetimefield_value
    return Statement(
        f"UPDATE {ShowSeat._meta.db_table} SET status = %s, held_by_id = %s, held_at = %s, held_until = %s,"
        f" version = version + 1, updated_at = %s WHERE id IN ({', '.join(['%s'] * len(pks))})",
        [status, held_by_id, adapt(held_at), adapt(held_until), adapt(now), *pks],
        no_answer,
    )


def seats_write_sql(pks, *, status: str, held_by_id: int | None, held_at, held_until, now: datetime) -> None:
    """Set the show seats' status and hold (None: no hold), bumping their version."""
    pks = list(pks)
    if pks:
        statements_run(
            [
                seats_write_statement(
                    pks, status=status, held_by_id=held_by_id, held_at=held_at, held_until=held_until, now=now
                )
            ]
        )


def seats_write_orm(pks, *, status: str, held_by_id: int | None, held_at, held_until, now: datetime) -> None:
    ShowSeat.objects.filter(pk__in=list(pks)).update(
        status=status,
        held_by=held_by_id,
        held_at=held_at,
        held_until=held_until,
        version=F("version") + 1,
        updated_at=now,
    )


# --------------------------------------------------------------------------
# an order paid on time becomes the sale (services/orders.py _settle)
# --------------------------------------------------------------------------
def order_sold_sql(*, order_id: int, seat_ids, now: datetime) -> None:
    """The order's lines become its seats' active sale (the database's
    one-active-sale constraint may refuse it: IntegrityError), the seats SOLD
    with no hold, the order CONFIRMED at ``now``: in one round trip, the
    constraint's statement first, so that when it refuses, the batch stops
    there and nothing of it is written (MariaDB runs no statement of a batch
    after one that fails; SQLite's one by one raises there too)."""
    adapt = connection.ops.adapt_datetimefield_value
    statements = [
        Statement(
            f"UPDATE {BookingSeat._meta.db_table} SET active = %s WHERE booking_id = %s", [True, order_id], no_answer
        )
    ]
    if seat_ids:
        statements.append(
            seats_write_statement(
                seat_ids, status=SeatStatus.SOLD, held_by_id=None, held_at=None, held_until=None, now=now
            )
        )
    statements.append(
        Statement(
            f"UPDATE {Booking._meta.db_table} SET status = %s, confirmed_at = %s WHERE id = %s",
            [BookingStatus.CONFIRMED.value, adapt(now), order_id],
            no_answer,
        )
    )
    statements_run(statements)


def order_sold_orm(*, order_id: int, seat_ids, now: datetime) -> None:
    BookingSeat.objects.filter(booking_id=order_id).update(active=True)
    seats_write_orm(seat_ids, status=SeatStatus.SOLD, held_by_id=None, held_at=None, held_until=None, now=now)
    Booking.objects.filter(pk=order_id).update(status=BookingStatus.CONFIRMED, confirmed_at=now)


# --------------------------------------------------------------------------
# the show row, shared: paying or cancelling an order (services/locking.py)
# --------------------------------------------------------------------------
# The ORM has no FOR SHARE: its query with the clause added (cinema.prepared).
SHOW_SHARED = Prepared(
    Show,
    lambda pk: Show.objects.filter(pk=pk),
    for_update=True,
    suffix=lambda connection: " LOCK IN SHARE MODE" if connection.vendor == "mysql" else " FOR SHARE",
)


def show_share_lock_sql(show_id: int) -> Show | None:
    """The show, read under a shared row lock: payments of one show go on
    side by side, show_cancel's FOR UPDATE waits for them and they for it."""
    return SHOW_SHARED.first(show_id)


def show_share_lock_orm(show_id: int) -> Show | None:
    """SQLite (no row locks): the write transaction is the lock."""
    return Show.objects.filter(pk=show_id).first()


# --------------------------------------------------------------------------
# still on sale? (every hold, under the user's lock: catalog.selectors.shows_on_sale)
# --------------------------------------------------------------------------
def show_on_sale_statement(*, show_id: int, now: datetime) -> Statement:
    sql = (
        f"SELECT 1 FROM {Show._meta.db_table} s INNER JOIN {Movie._meta.db_table} m ON m.id = s.movie_id"
        " WHERE s.id = %s AND m.is_active = %s AND s.start_time > %s AND s.cancelled_at IS NULL"
    )
    return Statement(sql, [show_id, True, connection.ops.adapt_datetimefield_value(now)], bool)


def show_on_sale_sql(*, show_id: int, now: datetime) -> bool:
    return statements_run([show_on_sale_statement(show_id=show_id, now=now)])[0]


def show_on_sale_orm(*, show_id: int, now: datetime) -> bool:
    return shows_on_sale(now=now).filter(pk=show_id).exists()


# --------------------------------------------------------------------------
# seat-map totals behind the ETag (every poll of every seat map)
# --------------------------------------------------------------------------
class MapTotals(NamedTuple):
    version_sum: int
    count: int
    pk_sum: int
    expired: int


def map_totals_sql(*, show_id: int, now: datetime) -> MapTotals:
    sql = (
        "SELECT COALESCE(SUM(version), 0), COUNT(*), COALESCE(SUM(id), 0),"
        " COALESCE(SUM(CASE WHEN status IN (%s, %s) AND held_until <= %s THEN 1 ELSE 0 END), 0)"
        f" FROM {ShowSeat._meta.db_table} WHERE show_id = %s"
    )
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(sql, [SeatStatus.LOCKED.value, SeatStatus.SOLD.value, at, show_id])
        return MapTotals(*(int(value) for value in cursor.fetchone()))


def map_totals_orm(*, show_id: int, now: datetime) -> MapTotals:
    seats = ShowSeat.objects.filter(show_id=show_id)
    totals = seats.aggregate(version_sum=Sum("version"), pk_sum=Sum("pk"))
    expired = sum(1 for status, until in seats.values_list("status", "held_until") if hold_expired(status, until, now))
    return MapTotals(totals["version_sum"] or 0, seats.count(), totals["pk_sum"] or 0, expired)


# --------------------------------------------------------------------------
# the viewer's own holds merged into the shared seat map (every signed-in poll)
# --------------------------------------------------------------------------
def _aware(value):
    """A datetime column as the raw cursor gives it (naive UTC on MariaDB and SQLite), aware."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def held_by_sql(*, show_id: int, user, now: datetime) -> list[tuple[int, datetime]]:
    """(show-seat id, held_until) of ``user``'s unexpired holds on the show (held_q in SQL)."""
    sql = (
        f"SELECT id, held_until FROM {ShowSeat._meta.db_table}"
        " WHERE show_id = %s AND held_by_id = %s AND status = %s AND held_until > %s ORDER BY id"
    )
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(sql, [show_id, user.pk, SeatStatus.LOCKED.value, at])
        return [(pk, _aware(until)) for pk, until in cursor.fetchall()]


def held_by_orm(*, show_id: int, user, now: datetime) -> list[tuple[int, datetime]]:
    return list(ShowSeat.objects.held_by(user, now).filter(show_id=show_id).values_list("pk", "held_until"))


# --------------------------------------------------------------------------
# the counts behind the hold limits (every hold: booking.services.hold_rules)
# --------------------------------------------------------------------------
class HoldCounts(NamedTuple):
    everywhere: int  # the user's unexpired held seats on every show (outside ``exclude``)
    here: int  # of them, on this show
    bought: int  # the user's seats of this show in standing bookings


def hold_counts_statement(*, user, show_id: int, now: datetime, exclude=()) -> Statement:
    exclude = sorted(exclude)
    skip = f" AND NOT (show_id = %s AND id IN ({', '.join(['%s'] * len(exclude))}))" if exclude else ""
    sql = (
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN show_id = %s THEN 1 ELSE 0 END), 0),"
        f" (SELECT COUNT(*) FROM {BookingSeat._meta.db_table} bs INNER JOIN {Booking._meta.db_table} b"
        " ON b.id = bs.booking_id WHERE b.user_id = %s AND b.show_id = %s AND bs.active = %s)"
        f" FROM {ShowSeat._meta.db_table} WHERE held_by_id = %s AND status = %s AND held_until > %s{skip}"
    )
    at = connection.ops.adapt_datetimefield_value(now)
    params = [show_id, user.pk, show_id, True, user.pk, SeatStatus.LOCKED.value, at]
    return Statement(
        sql,
        [*params, *([show_id, *exclude] if exclude else [])],
        lambda rows: HoldCounts(*(int(value) for value in rows[0])),
    )


def hold_counts_sql(*, user, show_id: int, now: datetime, exclude=()) -> HoldCounts:
    return statements_run([hold_counts_statement(user=user, show_id=show_id, now=now, exclude=exclude)])[0]


def hold_counts_orm(*, user, show_id: int, now: datetime, exclude=()) -> HoldCounts:
    counts = (
        ShowSeat.objects.held_by(user, now)
        .exclude(show_id=show_id, pk__in=list(exclude))
        .aggregate(everywhere=Count("pk"), here=Count("pk", filter=Q(show_id=show_id)))
    )
    bought = BookingSeat.objects.filter(booking__user_id=user.pk, booking__show_id=show_id, active=True).count()
    return HoldCounts(counts["everywhere"], counts["here"], bought)


# --------------------------------------------------------------------------
# a show that may be sold out: enough free seats at all? (booking.services.holds_best)
# --------------------------------------------------------------------------
class FreeCheck(NamedTuple):
    on_sale: bool
    free: int  # the show's free seats (booking.models.free_q)
    counts: HoldCounts


def _free_count_statement(*, show_id: int, now: datetime) -> Statement:
    sql = f"SELECT COUNT(*) FROM {ShowSeat._meta.db_table} ss WHERE ss.show_id = %s AND {FREE_SQL}"
    at = connection.ops.adapt_datetimefield_value(now)
    return Statement(sql, [show_id, *_free_params(at)], lambda rows: int(rows[0][0]))


def free_check_sql(*, user, show_id: int, now: datetime) -> FreeCheck:
    """show_on_sale_sql, the show's free seats and hold_counts_sql, in one
    round trip and without locks: what a hold needs to refuse a show without
    enough free seats as the locked search would, in the same order."""
    return FreeCheck(
        *statements_run(
            [
                show_on_sale_statement(show_id=show_id, now=now),
                _free_count_statement(show_id=show_id, now=now),
                hold_counts_statement(user=user, show_id=show_id, now=now),
            ]
        )
    )


def free_check_orm(*, user, show_id: int, now: datetime) -> FreeCheck:
    return FreeCheck(
        show_on_sale_orm(show_id=show_id, now=now),
        ShowSeat.objects.filter(show_id=show_id).filter(free_q(now)).count(),
        hold_counts_orm(user=user, show_id=show_id, now=now),
    )


# --------------------------------------------------------------------------
# the map the best-seat search reads (booking.seating)
# --------------------------------------------------------------------------
class BestRow(NamedTuple):
    """One seat of the show as booking.seating reads it (free decided in SQL)."""

    pk: int
    free: int  # 1 or 0 (as the database answers it; read it as a truth value)
    row_index: int
    column: int
    seat_type: str
    mine: int  # 1 or 0: held by the asking user, unexpired
    seat_id: int
    row_label: str
    number: int


def _best_rows_statement(*, show_id: int, user, now: datetime) -> Statement:
    ops = connection.ops
    sql = (
        f"SELECT ss.id, CASE WHEN {FREE_SQL} THEN 1 ELSE 0 END,"
        " s.row_index, s.{column}, s.seat_type,"
        " CASE WHEN ss.status = %s AND ss.held_by_id = %s AND ss.held_until > %s THEN 1 ELSE 0 END,"
        " s.id, s.row_label, s.number"
        " FROM {show_seat} ss INNER JOIN {seat} s ON s.id = ss.seat_id WHERE ss.show_id = %s"
    ).format(column=ops.quote_name("column"), show_seat=ShowSeat._meta.db_table, seat=Seat._meta.db_table)
    at = ops.adapt_datetimefield_value(now)
    params = [*_free_params(at), SeatStatus.LOCKED.value, user.pk, at, show_id]
    return Statement(sql, params, lambda rows: list(map(BestRow._make, rows)))


def best_rows_sql(*, show_id: int, user, now: datetime) -> list[BestRow]:
    return statements_run([_best_rows_statement(show_id=show_id, user=user, now=now)])[0]


def best_rows_orm(*, show_id: int, user, now: datetime) -> list[BestRow]:
    seats = ShowSeat.objects.filter(show_id=show_id).select_related("seat")
    free = set(seats.filter(free_q(now)).values_list("pk", flat=True))
    mine = set(seats.filter(held_q(now), held_by_id=user.pk).values_list("pk", flat=True))
    return [
        BestRow(
            s.pk,
            s.pk in free,
            s.seat.row_index,
            s.seat.column,
            s.seat.seat_type,
            s.pk in mine,
            s.seat_id,
            s.seat.row_label,
            s.seat.number,
        )
        for s in seats
    ]


# --------------------------------------------------------------------------
# what a best-available hold reads first, in one round trip
# --------------------------------------------------------------------------
class HoldStart(NamedTuple):
    on_sale: bool
    rows: list[BestRow]
    counts: HoldCounts


def hold_start_sql(*, user, show_id: int, now: datetime) -> HoldStart:
    """The user row locked (where the database has row locks), then
    show_on_sale_sql, best_rows_sql and hold_counts_sql, in that order and
    in one round trip (statements_run): the four reads every best-available
    hold starts with."""
    statements = [
        *user_lock_statements(user),
        show_on_sale_statement(show_id=show_id, now=now),
        _best_rows_statement(show_id=show_id, user=user, now=now),
        hold_counts_statement(user=user, show_id=show_id, now=now),
    ]
    return HoldStart(*statements_run(statements)[-3:])


def hold_start_orm(*, user, show_id: int, now: datetime) -> HoldStart:
    user_lock_orm(user)
    return HoldStart(
        show_on_sale_orm(show_id=show_id, now=now),
        best_rows_orm(show_id=show_id, user=user, now=now),
        hold_counts_orm(user=user, show_id=show_id, now=now),
    )
