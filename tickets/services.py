"""The door: admitting an order once (``checkin_record``)."""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from booking.models import Booking, BookingStatus
from booking.services.locking import locked
from cinema import metrics
from cinema.permissions import staff_scope_queryset
from events.services import event_emit
from tickets.exceptions import AlreadyCheckedIn, NotAdmissible, TicketError, TicketNotFound
from tickets.models import CheckIn

CODE_MAX_LENGTH = 32


@dataclass
class Admission:
    booking: Booking
    seats: list[str]
    admitted_at: datetime
    first: bool = True


def code_clean(code: str) -> str:
    """A ticket code as typed or scanned: blanks and dashes dropped, upper case."""
    return "".join(ch for ch in str(code) if ch not in " -\t\r\n").upper()[:CODE_MAX_LENGTH]


def _not_admissible_reason(booking: Booking, now: datetime) -> str | None:
    if booking.status != BookingStatus.CONFIRMED:
        label = BookingStatus(booking.status).label.lower() if booking.status in BookingStatus.values else "not paid"
        return f"This order is {label}, not a paid ticket."
    show_day = timezone.localdate(booking.show.start_time)
    today = timezone.localdate(now)
    if show_day != today:
        return f"This ticket is for {show_day:%a %d %b %Y}, not today."
    return None


def checkin_record(*, code: str, staff, now: datetime | None = None) -> Admission:
    """Admit the order with this ticket code, once.

    Locks the order row, then inserts its CheckIn; the unique order on CheckIn
    is the last word, so of two scanners racing one code exactly one admits.
    Emits ``checkin.recorded`` in the same transaction. A scoped staff user
    finds only their theatres' orders (another theatre's code is unknown).

    Raises TicketNotFound (404), AlreadyCheckedIn (409, with ``admitted_at``
    of the first admission) and NotAdmissible (409: cancelled, expired or
    unpaid, or a show on another day)."""
    try:
        admission = _checkin_record(code=code, staff=staff, now=now or timezone.now())
    except TicketError as exc:
        metrics.checkin_outcome(outcome=_OUTCOMES.get(exc.code, "unknown"))
        raise
    metrics.checkin_outcome(outcome="admitted")
    return admission


_OUTCOMES = {"ALREADY_CHECKED_IN": "already_checked_in", "NOT_ADMISSIBLE": "not_admissible", "NOT_FOUND": "unknown"}


@locked
def _checkin_record(*, code: str, staff, now: datetime) -> Admission:
    orders = staff_scope_queryset(Booking.objects.select_related("show__movie", "show__screen__theatre"), staff)
    booking = orders.filter(code=code_clean(code)).first()
    if booking is None:
        raise TicketNotFound("No ticket has this code.")
    # Lock the order row alone (not its show or theatre) and re-read its status
    # under the lock: a cancellation racing the door is decided here.
    booking.status = Booking.objects.select_for_update().values_list("status", flat=True).get(pk=booking.pk)
    earlier = CheckIn.objects.filter(booking=booking).first()
    if earlier is not None:
        raise _already(earlier)
    reason = _not_admissible_reason(booking, now)
    if reason:
        raise NotAdmissible(reason, order=booking.code, status=booking.status)
    lines = list(booking.lines.filter(active=True).order_by("pk"))
    try:
        with transaction.atomic():
            checkin = CheckIn.objects.create(booking=booking, admitted_at=now, staff=staff)
    except IntegrityError:  # another door won between our read and insert
        raise _already(CheckIn.objects.get(booking=booking)) from None
    event_emit(
        type="checkin.recorded",
        aggregate="order",
        aggregate_id=booking.pk,
        now=now,
        data={
            "order_id": booking.pk,
            "order_code": booking.code,
            "show_id": booking.show_id,
            "user_id": booking.user_id,
            "staff_id": getattr(staff, "pk", None),
            "admitted_at": now,
            "seat_ids": [line.show_seat_id for line in lines],
        },
    )
    return Admission(booking=booking, seats=[line.seat_name for line in lines], admitted_at=checkin.admitted_at)


def _already(checkin: CheckIn) -> AlreadyCheckedIn:
    local = timezone.localtime(checkin.admitted_at)
    return AlreadyCheckedIn(
        f"Already admitted at {local:%H:%M} on {local:%a %d %b}.",
        admitted_at=checkin.admitted_at,
    )
