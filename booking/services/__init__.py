"""The seat rules. Every change to a show seat, a booking or a show's schedule
goes through this package; the HTML views, the API and the admin all call it.

By concern: locking.py (the durable transaction, user and seat locks),
holds.py (hold, replace, release), holds_best.py (best available),
hold_rules.py (the checks every hold shares), bookings.py (create an
order, idempotency, emails), orders.py (pay, webhooks, late payment,
expiry), cancellations.py (cancel an order or a show, with refunds),
scheduling.py (shows, screen edits). Import the public names from here:
``from booking.services import seats_hold``.
"""

from booking.services.bookings import (
    CODE_ALPHABET,
    IDEMPOTENCY_KEY_MAX_LENGTH,
    BookingOutcome,
    booking_confirm,
    booking_send_confirmation,
    idempotency_key_clean,
    idempotency_purge,
    order_checkout_start,
    request_fingerprint,
)
from booking.services.cancellations import (
    ShowCancelOutcome,
    booking_cancel,
    order_refund_of,
    order_refund_preview,
    show_cancel,
)
from booking.services.holds import (
    Hold,
    hold_replace,
    seats_hold,
    seats_release,
    seats_release_all,
)
from booking.services.holds_best import BEST_AVAILABLE_ATTEMPTS, BEST_AVAILABLE_ROUNDS, seats_hold_best
from booking.services.locking import DEADLOCK_RETRIES, lock_error, locked, seats_lock, user_lock
from booking.services.orders import (
    WebhookOutcome,
    order_pay,
    order_record_charge,
    orders_expire_overdue,
    payment_webhook_receive,
)
from booking.services.scheduling import (
    screen_layout_update,
    screen_update,
    show_delete,
    show_schedule,
    show_update,
)

__all__ = [
    "BEST_AVAILABLE_ATTEMPTS",
    "BEST_AVAILABLE_ROUNDS",
    "CODE_ALPHABET",
    "DEADLOCK_RETRIES",
    "IDEMPOTENCY_KEY_MAX_LENGTH",
    "BookingOutcome",
    "Hold",
    "booking_cancel",
    "booking_confirm",
    "booking_send_confirmation",
    "hold_replace",
    "idempotency_key_clean",
    "idempotency_purge",
    "lock_error",
    "ShowCancelOutcome",
    "WebhookOutcome",
    "order_checkout_start",
    "order_pay",
    "order_record_charge",
    "order_refund_of",
    "order_refund_preview",
    "orders_expire_overdue",
    "payment_webhook_receive",
    "show_cancel",
    "locked",
    "request_fingerprint",
    "screen_layout_update",
    "screen_update",
    "seats_hold",
    "seats_hold_best",
    "seats_lock",
    "seats_release",
    "seats_release_all",
    "show_delete",
    "show_schedule",
    "show_update",
    "user_lock",
]
