"""What every hold service shares: the hold and its id, the checks made
before and under the locks (show on sale, the user's limits, the lone-seat
rule, the hold rate), taking the seats and the events and metrics that go
with it. The services are holds.py (by seat id) and holds_best.py (best
available); this module imports neither.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache, wraps

from django.conf import settings

from accounts.services import user_may_hold_seats
from booking import seating, sql
from booking.exceptions import (
    EmailNotVerified,
    HoldLimitExceeded,
    HoldThrottled,
    LoneSeat,
    ShowNotOnSale,
    ShowStarted,
)
from booking.models import SeatStatus, ShowSeat
from booking.services.common import show_ensure_not_started
from booking.services.events import seats_released_event
from catalog.models import Show
from cinema import metrics
from cinema.errors import DomainError
from cinema.prepared import Prepared, Statement, statement_later, writes_send
from cinema.token_bucket import Rate, bucket_take, rate_parse
from events.services import event_emit


def hold_id_for(*, show_id: int, user_id: int) -> str:
    """A user's seats on one show form one hold; its id is stable for the pair
    (so the per-seat and per-show endpoints change the same hold)."""
    return f"{show_id}-{user_id}"


def hold_id_parse(hold_id: str) -> tuple[int, int] | None:
    """(show_id, user_id) of a hold id, or None when it is not one."""
    show, sep, user = str(hold_id).partition("-")
    if not sep or not show.isdigit() or not user.isdigit() or len(show) > 18 or len(user) > 18:
        return None
    return int(show), int(user)


@dataclass
class Hold:
    seats: list[ShowSeat]
    expires_at: datetime
    show_id: int | None = None
    user_id: int | None = None

    @property
    def id(self) -> str:
        return hold_id_for(show_id=self.show_id, user_id=self.user_id)


def _hold_duration() -> timedelta:
    return timedelta(seconds=settings.SEAT_HOLD_SECONDS)


@lru_cache(maxsize=8)
def _rate(text: str) -> Rate | None:
    return rate_parse(text)


def _hold_preflight(user, show: Show, now: datetime) -> None:
    """Checks made before any lock: the show has not started, the user may
    hold seats at all, and their holding bucket has a token (HOLD_RATE; one
    Redis round trip, kept out of the locked transaction)."""
    show_ensure_not_started(show, now)
    if not user_may_hold_seats(user=user):
        raise EmailNotVerified("Please confirm your email address (we sent you a link) before holding seats.")
    rate = _rate(settings.HOLD_RATE)
    if rate is not None:
        wait = bucket_take(key=f"hold:{user.pk}", rate=rate)
        if wait:
            raise HoldThrottled(
                f"You are changing seats too quickly. Please wait {max(1, round(wait))} s and try again.",
                retry_after=wait,
            )


def _ensure_on_sale(show: Show, now: datetime, *, on_sale: bool | None = None) -> None:
    """Under the caller's locks: the show is still on sale (catalog.selectors;
    by hand in booking/sql.py, beside its ORM twin: one query on every hold).
    ``on_sale``: that answer, when the caller read it under those locks."""
    if on_sale is None:
        on_sale = sql.show_on_sale_sql(show_id=show.pk, now=now)
    if not on_sale:
        if show.start_time <= now:
            raise ShowStarted("This show has already started.", show_id=show.pk)
        raise ShowNotOnSale("This show is no longer on sale.", show_id=show.pk)


def _check_limit(
    user, show: Show, now: datetime, wanted: int, exclude=(), *, held: int | None = None, counts=None
) -> None:
    """HoldLimitExceeded if the user would hold more than a limit: seats of
    one show at a time (MAX_SEATS_PER_BOOKING), held and bought on one show
    (MAX_SEATS_PER_USER_PER_SHOW), held across every show
    (MAX_HELD_SEATS_PER_USER). ``held``: the user's unexpired holds on the show
    outside ``exclude``, when the caller already knows them under the user's
    row lock. One query (booking/sql.py: the user's holds, their bought seats),
    unless the caller read those ``counts`` under that lock."""
    limit = settings.MAX_SEATS_PER_BOOKING
    if counts is None:
        counts = sql.hold_counts_sql(user=user, show_id=show.pk, now=now, exclude=exclude)
    if held is None:
        held = counts.here
    if held + wanted > limit:
        raise HoldLimitExceeded(
            f"You can hold at most {limit} seats of one show at a time"
            + (f" (you already hold {held})." if held else "."),
            limit=limit,
            held=held,
        )
    per_show = settings.MAX_SEATS_PER_USER_PER_SHOW
    bought = counts.bought
    if held + bought + wanted > per_show:
        raise HoldLimitExceeded(
            f"You can have at most {per_show} seats of one show, held and bought together"
            f" (you have {bought} bought and {held} held).",
            limit=per_show,
            held=held,
            bought=bought,
        )
    overall = settings.MAX_HELD_SEATS_PER_USER
    elsewhere = counts.everywhere - counts.here
    if elsewhere + held + wanted > overall:
        raise HoldLimitExceeded(
            f"You can hold at most {overall} seats across all shows at a time"
            f" (you hold {elsewhere + held}). Book or release some first.",
            limit=overall,
            held=elsewhere + held,
        )


def _emit_held(user, show: Show, seat_ids, until: datetime, now: datetime) -> None:
    event_emit(
        type="seat.held",
        aggregate="show",
        aggregate_id=show.pk,
        now=now,
        data={
            "show_id": show.pk,
            "user_id": user.pk,
            "hold_id": hold_id_for(show_id=show.pk, user_id=user.pk),
            "seat_ids": sorted(seat_ids),
            "expires_at": until,
        },
    )


def _emit_released(user, show: Show, seat_ids, reason: str) -> None:
    seats_released_event(show_id=show.pk, user_id=user.pk, seat_ids=seat_ids, reason=reason)


# The held seats read back with their catalogue seats: compiled once per count (cinema.prepared).
_SEATS_WITH_PLACE = Prepared(
    ShowSeat, lambda *ids: ShowSeat.objects.filter(pk__in=ids).select_related("seat").order_by("pk")
)


def seat_places_statement(ids: list[int]) -> Statement:
    """The catalogue seats of the show seats ``ids`` ({show seat pk: Seat}:
    _apply_hold's ``seat_info``), read without locks, as a statement to send
    in the round trip that locks the show seats (cinema.prepared), so the
    held seats need not be read back after their UPDATE."""
    statement = _SEATS_WITH_PLACE.statement(*ids)
    return statement._replace(answer=lambda rows: {s.pk: s.seat for s in statement.answer(rows)})


def _apply_hold(user, show: Show, seats: list[ShowSeat], now: datetime, seat_info: dict | None = None) -> Hold:
    """Hold the free ones of ``seats`` (locked by the caller) until now + the hold time.

    With ``seat_info`` ({show seat pk: Seat}) and every seat free, the rows
    are known exactly after the UPDATE (we hold their locks), so the answer is
    built in memory instead of read back.
    """
    until = now + _hold_duration()
    fresh = [s.pk for s in seats if s.is_free(now)]
    if fresh:
        # The rows are locked by us and nothing can refuse the UPDATE: it goes
        # with the transaction's next round trip (cinema.prepared), its event's.
        statement_later(
            sql.seats_write_statement(
                fresh, status=SeatStatus.LOCKED, held_by_id=user.pk, held_at=now, held_until=until, now=now
            )
        )
        _emit_held(user, show, fresh, until, now)
    if seat_info is not None and len(fresh) == len(seats):
        for seat in seats:
            seat.status, seat.held_by_id, seat.held_at, seat.held_until = SeatStatus.LOCKED, user.pk, now, until
            seat.version += 1
            seat.updated_at = now
            seat.seat = seat_info[seat.pk]
        return Hold(seats=sorted(seats, key=lambda x: x.pk), expires_at=until, show_id=show.pk, user_id=user.pk)
    writes_send()  # the UPDATE above, before its rows are read back
    result = _SEATS_WITH_PLACE.all(*dict.fromkeys(s.pk for s in seats)) if seats else []
    return Hold(seats=result, expires_at=min(s.held_until for s in result), show_id=show.pk, user_id=user.pk)


def _check_lone_seats(user, show: Show, now: datetime, ids, *, replacing: bool) -> None:
    """LoneSeat if holding ``ids`` would strand a single empty seat in its row
    (booking.seating.lone_seats), when LONE_SEAT_RULE is on. ``replacing``: the
    user's other holds on the show are let go, so they count as free. One read
    of the map, without locks (the neighbours are others' seats)."""
    if not settings.LONE_SEAT_RULE:
        return
    # A choice is refused only when another one of as many seats strands none.
    wanted = set(ids)
    rows = [
        r._replace(free=1) if replacing and r.mine and r.pk not in wanted else r
        for r in sql.best_rows_sql(show_id=show.pk, user=user, now=now)
    ]
    lone = seating.lone_seats(rows, wanted)
    if not lone:
        return
    names = {r.pk: f"{r.row_label}{r.number}" for r in rows}
    free_rows = [r._replace(free=1) if r.pk in wanted else r for r in rows]
    alternative = seating.suggest_seats(free_rows, len(wanted), near=sorted(wanted))
    if not alternative or seating.lone_seats(free_rows, alternative):
        return  # every choice of that many seats strands one: the rule yields
    lone_names = [names[pk] for pk in lone]
    raise LoneSeat(
        f"That choice would leave {', '.join(lone_names)} on its own. "
        + (
            f"Try {', '.join(names[pk] for pk in alternative)} instead, or move your seats next to it."
            if alternative
            else "Please move your seats so no single seat is left empty."
        ),
        seats=lone,
        names=lone_names,
        alternative=alternative,
        alternative_names=[names[pk] for pk in alternative],
    )


def _counted(service):
    """Count the hold request in /metrics: placed (with its seats) or refused (by code)."""

    @wraps(service)
    def wrapper(*args, **kwargs):
        try:
            hold = service(*args, **kwargs)
        except DomainError as exc:
            metrics.hold_refused(reason=exc.code)
            raise
        metrics.hold_placed(seats=len(hold.seats))
        return hold

    return wrapper
