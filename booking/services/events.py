"""The events of the order services (docs/events.md), written with
events.services.event_emit inside the service's own transaction."""

from datetime import datetime

from django.db import transaction

from cinema import metrics
from events.models import EventType
from events.services import event_emit


def order_event(type: str, order, *, now: datetime | None = None, **data) -> None:
    """An event of the order aggregate with the ids every order event carries."""
    event_emit(
        type=type,
        aggregate="order",
        aggregate_id=order.pk,
        now=now,
        data={
            "order_id": order.pk,
            "order_code": order.code,
            "show_id": order.show_id,
            "user_id": order.user_id,
            **data,
        },
    )


def seats_released_event(*, show_id: int, user_id, seat_ids, reason: str, now: datetime | None = None) -> None:
    if not seat_ids:
        return
    event_emit(
        type=EventType.SEAT_RELEASED,
        aggregate="show",
        aggregate_id=show_id,
        now=now,
        data={
            "show_id": show_id,
            "user_id": user_id,
            "hold_id": f"{show_id}-{user_id}",  # a user's seats on one show form one hold
            "seat_ids": sorted(seat_ids),
            "reason": reason,
        },
    )


def count_order(outcome: str) -> None:
    """cinema_orders_total{outcome}, once the change commits."""
    transaction.on_commit(lambda: metrics.order_outcome(outcome=outcome))


def count_payment(provider: str, outcome: str) -> None:
    """cinema_payments_total{provider, outcome}, once the change commits."""
    transaction.on_commit(lambda: metrics.payment_outcome(provider=provider, outcome=outcome))
