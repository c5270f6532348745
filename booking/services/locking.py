"""Transactions and row locks of the seat services.

Every public write runs in its own durable transaction (``locked``), takes
``SELECT ... FOR UPDATE`` on the rows it changes, and always in one order: the
user row first (``user_lock``), then a booking row, then show seats in primary
key order (``seats_lock``).
"""

import contextlib
import functools
import random
import time

from django.contrib.auth import get_user_model
from django.db import IntegrityError, OperationalError, connection, transaction

from booking import sql
from booking.exceptions import LockTimeout
from booking.models import Booking, BookingSeat, ShowSeat
from catalog.models import Show
from cinema import metrics, readcache
from cinema.prepared import Prepared, statements_run, writes_batched

DEADLOCK_RETRIES = 3
MYSQL_LOCK_WAIT_TIMEOUT = 1205
MYSQL_DEADLOCK = 1213


def lock_error(exc: OperationalError) -> str | None:
    """ "deadlock", "timeout" (a lock wait ran out), or None for any other error."""
    code = exc.args[0] if exc.args else None
    if code == MYSQL_DEADLOCK:
        return "deadlock"
    if code == MYSQL_LOCK_WAIT_TIMEOUT or "database is locked" in str(exc):
        return "timeout"
    return None


def locked(fn):
    """Run ``fn`` in ``transaction.atomic(durable=True)``, its outbox events
    and queued emails sent together (cinema.prepared.writes_batched).

    A deadlock rolls everything back and is retried a few times; a lock wait
    past ``innodb_lock_wait_timeout`` (or SQLite's busy timeout) becomes
    LockTimeout (503 + Retry-After). Either way a failed call changed nothing.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        for attempt in range(1, DEADLOCK_RETRIES + 1):
            try:
                with transaction.atomic(durable=True), writes_batched():
                    return fn(*args, **kwargs)
            except OperationalError as exc:
                kind = lock_error(exc)
                if kind == "deadlock" and attempt < DEADLOCK_RETRIES:
                    metrics.deadlock_retry()
                    time.sleep(random.uniform(0.005, 0.03) * attempt)
                    continue
                if kind:
                    metrics.lock_timeout()
                    raise LockTimeout("Those seats are busy right now. Please try again in a moment.") from exc
                raise
        raise AssertionError("unreachable")

    return wrapper


_locked = locked  # the name the services used before the split


@contextlib.contextmanager
def one_statement():
    """Around ONE statement inside a transaction whose IntegrityError the
    caller catches and goes on from: what ``transaction.atomic()``'s
    savepoint does there, without its two round trips where the database does
    it itself. MariaDB (InnoDB) and SQLite undo a statement that breaks a
    constraint, and only that statement, and the transaction goes on;
    elsewhere (PostgreSQL aborts the whole transaction) it is a savepoint.
    Not for several statements, unless they go as one statements_run batch
    whose first is the only one that can break a constraint (the batch stops
    at a failing statement: booking.sql.order_sold_sql); nor for ``create()``
    (its signals may write).
    The ORM's writes mark the transaction for rollback on any error
    (``mark_for_rollback_on_error``), not knowing the database undid just the
    one statement; that mark is taken back."""
    if connection.vendor in ("mysql", "sqlite"):
        marked = connection.needs_rollback
        try:
            yield
        except IntegrityError:
            connection.needs_rollback = marked
            raise
    else:
        with transaction.atomic():
            yield


def user_lock(user) -> None:
    """Serialize one user's own seat changes, so the per-user limit holds even
    when the same person fires several requests at once.

    Lock order everywhere: this user row first, then a booking row, then show
    seats in pk order. Taking it first also keeps InnoDB's foreign-key checks
    (a shared lock on the user row when a hold, booking or cancellation names
    the user) from closing a cycle with another transaction of the same user.
    """
    if connection.features.has_select_for_update:
        sql.user_lock_sql(user)
    else:  # SQLite: the write transaction is the lock
        sql.user_lock_orm(user)


# Every payment and cancellation locks its order: compiled once (cinema.prepared).
_BOOKING_LOCKED = Prepared(
    Booking,
    lambda pk, show_id: Booking.objects.select_for_update().select_related("user").filter(pk=pk, show_id=show_id),
    for_update=True,
)


def booking_lock(booking_id: int, show_id: int) -> Booking:
    """The booking (an order) row locked, with its user, after a shared lock
    on its show row (``show_id``: an order's show never changes, so callers
    read it before any lock). Lock order: show, order, seats, as show_cancel
    takes them (show, seats, orders; its exclusive show lock keeps the
    inverted tail from meeting ours). Shared, so the payments and cancels of
    one show no longer queue behind each other, nor new orders (whose foreign
    key check takes the same shared lock) behind them. ``booking.show`` is
    the row read under the lock: its ``cancelled_at`` is current. Raises
    Booking.DoesNotExist."""
    if connection.features.has_select_for_update:
        show = sql.show_share_lock_sql(show_id)
    else:  # SQLite: the write transaction is the lock
        show = sql.show_share_lock_orm(show_id)
    booking = _BOOKING_LOCKED.first(booking_id, show_id)
    return _locked_booking(booking, show)


def user_and_booking_lock(user_id: int, booking_id: int, show_id: int, *, then=()) -> tuple:
    """user_lock of ``user_id``, then booking_lock, then the ``then``
    statements (cinema.prepared.statements_run: the next locks in order), in
    one round trip: (the booking, *the answers of ``then``)."""
    if not connection.features.has_select_for_update:
        user_lock(get_user_model()(pk=user_id))
        return booking_lock(booking_id, show_id), *statements_run(list(then))
    _, show, booking, *answers = statements_run(
        [
            *sql.user_lock_statements(get_user_model()(pk=user_id)),
            sql.SHOW_SHARED.statement(show_id, first=True),
            _BOOKING_LOCKED.statement(booking_id, show_id, first=True),
            *then,
        ]
    )
    return _locked_booking(booking, show), *answers


def _locked_booking(booking: Booking | None, show: Show | None) -> Booking:
    if booking is None:
        raise Booking.DoesNotExist("Booking matching query does not exist.")
    booking.show = show
    return booking


def seats_lock(show: Show, seat_ids, *, skip_locked: bool = False) -> list[ShowSeat]:
    """Lock the show's seats among ``seat_ids``, in pk order (and move the
    show's cached-read versions once the transaction commits)."""
    ids = list(dict.fromkeys(seat_ids))
    if not ids:
        return []
    return statements_run([seats_lock_statement(show, ids, skip_locked=skip_locked)])[0]


def seats_lock_statement(show: Show, seat_ids, *, skip_locked: bool = False):
    """seats_lock as a statement (cinema.prepared.statements_run), to take in
    one round trip with the locks before it and the reads after it; the
    cached-read versions move as seats_lock moves them. ``seat_ids``: not empty."""
    ids = list(dict.fromkeys(seat_ids))
    if not ids:
        raise ValueError("no seats to lock")
    readcache.version_bump(*readcache.show_versions(show))
    return _SEATS_LOCKED[skip_locked].statement(show.pk, *ids)


def _seats_locked(skip_locked: bool) -> Prepared:
    return Prepared(
        ShowSeat,
        lambda show_id, *ids: (
            ShowSeat.objects.select_for_update(skip_locked=skip_locked)
            .filter(show_id=show_id, pk__in=ids)
            .order_by("pk")
        ),
        for_update=True,
    )


# Every hold, order and payment locks seats: compiled once per number of seats (cinema.prepared).
_SEATS_LOCKED = {False: _seats_locked(False), True: _seats_locked(True)}
_ORDER_SEATS_LOCKED = Prepared(
    ShowSeat,
    lambda show_id, order_id: (
        ShowSeat.objects.select_for_update()
        .filter(show_id=show_id, pk__in=BookingSeat.objects.filter(booking_id=order_id).values("show_seat_id"))
        .order_by("pk")
    ),
    for_update=True,
)


def order_seats_lock(order: Booking, *, locked: list[ShowSeat] | None = None) -> list[ShowSeat]:
    """seats_lock of the show seats of the order's lines, read in the same
    query (a subquery: a locking read's subquery takes no locks of its own;
    where MariaDB joins it in, the order's own lines are locked, which only
    this order's lock holder writes). ``locked``: what the caller's
    order_seats_lock_statement answered (sent with the locks before it)."""
    readcache.version_bump(*readcache.show_versions(order.show))
    if locked is not None:
        return locked
    # Through statements_run: the transaction's waiting writes go in the same round trip.
    return statements_run([order_seats_lock_statement(order)])[0]


def order_seats_lock_statement(order: Booking):
    """order_seats_lock's locking read as a statement (cinema.prepared), for a
    caller that takes it in one round trip after the locks that come before
    it (the buyer, the order, its payment); its answer goes to
    order_seats_lock as ``locked``, which moves the cached-read versions."""
    return _ORDER_SEATS_LOCKED.statement(order.show_id, order.pk)
