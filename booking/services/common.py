"""Steps the hold and booking services share: input checks and freeing seats."""

from datetime import datetime

from django.db.models import F
from django.utils import timezone

from booking.exceptions import InvalidRequest, ShowStarted
from booking.models import SeatStatus, ShowSeat
from catalog.models import Show


def show_ensure_not_started(show: Show, now: datetime) -> None:
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
    ShowSeat.objects.filter(pk__in=pks).update(
        status=status,
        held_by=None,
        held_at=None,
        held_until=None,
        version=F("version") + 1,
        updated_at=now or timezone.now(),
    )


def seats_set_free(pks) -> None:
    seats_end_hold(pks, status=SeatStatus.AVAILABLE)
