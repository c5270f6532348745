"""Steps the hold and booking services share: input checks and freeing seats
(an order's own seat steps too: its line seats, freeing what it still claims)."""

from datetime import datetime

from django.utils import timezone

from booking import sql
from booking.exceptions import InvalidRequest, ShowCancelled, ShowStarted
from booking.models import Booking, BookingSeat, SeatStatus, ShowSeat
from booking.services.events import seats_released_event
from catalog.models import Show


def show_ensure_not_started(show: Show, now: datetime) -> None:
    """ShowCancelled (staff cancelled it) or ShowStarted: nothing more can be held or bought."""
    if show.cancelled_at is not None:
        raise ShowCancelled("This show has been cancelled.", show_id=show.pk)
    if show.start_time <= now:
        raise ShowStarted("This show has already started.", show_id=show.pk)


def seat_ids_clean(seat_ids) -> list[int]:
    try:
        ids = sorted({int(pk) for pk in seat_ids})
    except (TypeError, ValueError) as exc:
        raise InvalidRequest("Seat ids must be whole numbers.", fields={"seat_ids": ["not a list of ids"]}) from exc
    if not ids:
        raise InvalidRequest("Choose at least one seat.", fields={"seat_ids": ["empty"]})
    return ids


def seats_check_known(seats: list[ShowSeat], seat_ids: list[int]) -> None:
    unknown = sorted(set(seat_ids) - {s.pk for s in seats})
    if unknown:
        raise InvalidRequest(
            "Some seats are not part of this show.",
            seats=unknown,
            fields={"seat_ids": [f"Not seats of this show: {', '.join(map(str, unknown))}."]},
        )


def seats_end_hold(pks, *, status: str, now: datetime | None = None) -> None:
    """Set the seats' status with no hold on them (freed, or sold), bumping their version."""
    sql.seats_write_sql(pks, status=status, held_by_id=None, held_at=None, held_until=None, now=now or timezone.now())


def seats_set_free(pks) -> None:
    seats_end_hold(pks, status=SeatStatus.AVAILABLE)


def seats_claim_for_order(pks, *, user, until: datetime, now: datetime) -> None:
    """Mark the seats SOLD to an unpaid order of ``user`` until ``until`` (its
    expires_at): taken until then, free once it passes (booking.models.free_q)."""
    sql.seats_write_sql(pks, status=SeatStatus.SOLD, held_by_id=user.pk, held_at=now, held_until=until, now=now)


def seat_is_claimed_by(seat: ShowSeat, order) -> bool:
    """The seat is still claimed by this unpaid order (SOLD to its buyer with its deadline)."""
    return (
        seat.status == SeatStatus.SOLD
        and seat.held_by_id == order.user_id
        and seat.held_until is not None
        and order.expires_at is not None
        and seat.held_until == order.expires_at
    )


def _line_seat_ids(order: Booking) -> list[int]:
    return sorted(BookingSeat.objects.filter(booking_id=order.pk).values_list("show_seat_id", flat=True))


def _release_claimed(order: Booking, seats: list[ShowSeat], *, reason: str, now: datetime) -> list[int]:
    """Free the seats this unpaid order still claims; returns their ids."""
    ids = [s.pk for s in seats if seat_is_claimed_by(s, order)]
    if ids:
        seats_set_free(ids)
        seats_released_event(show_id=order.show_id, user_id=order.user_id, seat_ids=ids, reason=reason, now=now)
    return ids
