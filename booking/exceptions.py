"""Domain errors of the booking rules (see cinema/errors.py): no HTTP here,
each carries the status and code the API's error envelope uses; HTML views
show the message."""

from cinema.errors import DomainError


class BookingError(DomainError):
    status = 409
    code = "BOOKING_ERROR"


class SeatUnavailable(BookingError):
    code = "SEAT_UNAVAILABLE"


class SeatNotHeld(BookingError):
    code = "SEAT_NOT_HELD"


class HoldExpired(BookingError):
    code = "HOLD_EXPIRED"


class HoldLimitExceeded(BookingError):
    code = "HOLD_LIMIT"


class ShowStarted(BookingError):
    code = "SHOW_STARTED"


class ScreenBusy(BookingError):
    code = "SCREEN_BUSY"


class ShowHasBookings(BookingError):
    code = "SHOW_HAS_BOOKINGS"


class LayoutInUse(BookingError):
    code = "LAYOUT_IN_USE"


class CancellationClosed(BookingError):
    code = "CANCELLATION_CLOSED"


class IdempotencyKeyReused(BookingError):
    status = 422
    code = "IDEMPOTENCY_KEY_REUSED"


class IdempotencyInProgress(BookingError):
    code = "IDEMPOTENCY_IN_PROGRESS"


class InvalidRequest(BookingError):
    """Input that is well-formed but makes no sense (unknown seats, bad quantity)."""

    status = 400
    code = "INVALID"


class LockTimeout(BookingError):
    """The database did not grant a row lock in time; the caller should retry."""

    status = 503
    code = "LOCK_TIMEOUT"
    retry_after = 2


class NotAllowed(BookingError):
    status = 403
    code = "PERMISSION_DENIED"


class OrderExpired(BookingError):
    """The order's payment deadline passed; its seats were released."""

    code = "ORDER_EXPIRED"


class OrderNotPayable(BookingError):
    """The order cannot take a payment (cancelled, or nothing to pay)."""

    code = "ORDER_NOT_PAYABLE"


class ShowCancelled(BookingError):
    code = "SHOW_CANCELLED"


class LoneSeat(BookingError):
    """The choice would leave a single empty seat stranded (LONE_SEAT_RULE).
    Details: seats (the stranded show-seat ids), names, alternative (ids of a
    choice of the same size that strands none, possibly empty)."""

    code = "LONE_SEAT"
