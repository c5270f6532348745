"""Output shapes of the booking API, shared by several views."""

from decimal import Decimal

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from booking.api.common import MAX_IDS
from booking.models import BookingStatus, SeatStatus
from catalog.models import SeatType
from catalog.selectors import show_status
from cinema.api import UTCDateTimeField, id_field, utc_iso

PRICES_HELP = 'Price per seat type as decimal strings, e.g. {"STANDARD": "280.00"}.'


class PricesField(serializers.DictField):
    """{"STANDARD": "280.00", ...}: known seat types only, non-negative amounts."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", PRICES_HELP)
        super().__init__(
            child=serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0),
            **kwargs,
        )

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        unknown = sorted(set(value) - set(SeatType.values))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown seat types: {', '.join(unknown)}. Use {', '.join(SeatType.values)}."
            )
        return value


class ShowOutputSerializer(serializers.Serializer):
    """A show as the lists and the detail return it. ``theatre`` and ``time``
    keep the seed API's names; the rest is spelled out beside them."""

    id = serializers.IntegerField()
    movie_id = serializers.IntegerField()
    movie = serializers.CharField(source="movie.title")
    theatre = serializers.CharField(source="screen.theatre.name", help_text="Theatre name.")
    theatre_id = serializers.IntegerField(source="screen.theatre_id")
    city = serializers.CharField(source="screen.theatre.city")
    screen = serializers.CharField(source="screen.name")
    screen_id = serializers.IntegerField()
    time = UTCDateTimeField(source="start_time", help_text="Same as start_time (UTC).")
    start_time = UTCDateTimeField()
    end_time = UTCDateTimeField()
    prices = serializers.DictField(child=serializers.DecimalField(max_digits=8, decimal_places=2))
    currency = serializers.SerializerMethodField()
    seats_free = serializers.IntegerField(source="counts.free")
    seats_held = serializers.IntegerField(source="counts.held")
    seats_sold = serializers.IntegerField(source="counts.sold")
    seats_total = serializers.IntegerField(source="counts.total")
    status = serializers.SerializerMethodField(
        help_text="AVAILABLE, FILLING_FAST (60 % sold), ALMOST_FULL (90 %), SOLD_OUT or CANCELLED."
    )
    format = serializers.CharField(help_text="2D, 3D, IMAX or 4DX.")
    language = serializers.CharField(help_text="Audio language.")
    subtitles = serializers.CharField(help_text="Subtitle language; empty for none.")

    def get_currency(self, obj) -> str:
        return settings.CURRENCY

    def get_status(self, obj) -> str:
        counts = obj.counts
        return show_status(show=obj, sold=counts["sold"], free=counts["free"], total=counts["total"])


class SeatOutputSerializer(serializers.Serializer):
    """One seat of the seat map (documentation: the view builds these by hand)."""

    id = serializers.IntegerField(help_text="Show seat id: use it to hold and book.")
    name = serializers.CharField(help_text='e.g. "A1"')
    status = serializers.ChoiceField(choices=SeatStatus.choices)
    row = serializers.CharField()
    number = serializers.IntegerField()
    type = serializers.ChoiceField(choices=SeatType.choices)
    price = serializers.DecimalField(max_digits=8, decimal_places=2)
    currency = serializers.CharField()
    mine = serializers.BooleanField(help_text="Held by the caller.")
    expires_at = UTCDateTimeField(allow_null=True, help_text="When the caller's own hold lapses.")
    row_index = serializers.IntegerField(help_text="0 is the front row.")
    column = serializers.IntegerField(help_text="Position in the row, gaps included.")


class HeldSeatOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="seat.name")
    row = serializers.CharField(source="seat.row_label")
    number = serializers.IntegerField(source="seat.number")
    type = serializers.CharField(source="seat.seat_type")
    price = serializers.SerializerMethodField()
    expires_at = UTCDateTimeField(source="held_until")

    def get_price(self, obj) -> str:
        return f"{self.context['prices'][obj.seat.seat_type]:.2f}"


class HoldInputSerializer(serializers.Serializer):
    """What to hold: these seats, or the best N together (the per-show and the /holds endpoints)."""

    seat_ids = serializers.ListField(
        child=id_field(),
        min_length=1,
        max_length=MAX_IDS,
        required=False,
        help_text="Hold exactly these show seats (all or nothing).",
    )
    quantity = serializers.IntegerField(
        min_value=1,
        max_value=MAX_IDS,
        required=False,
        help_text="Or: hold the best N seats together, chosen by the server.",
    )
    seat_type = serializers.ChoiceField(choices=SeatType.choices, required=False)

    def validate(self, attrs):
        if ("seat_ids" in attrs) == ("quantity" in attrs):
            raise serializers.ValidationError("Send either seat_ids or quantity.")
        return attrs


class HoldOutputSerializer(serializers.Serializer):
    show_id = serializers.IntegerField()
    seats = HeldSeatOutputSerializer(many=True)
    expires_at = UTCDateTimeField(allow_null=True)
    total = serializers.DecimalField(max_digits=10, decimal_places=2)
    currency = serializers.CharField()


def hold_body(*, show, seats, expires_at=None) -> dict:
    """What HoldOutputSerializer gives (the schema), built by hand: every hold
    of a rush answers with it, and the serializer cost more CPU than the rest
    of the body (booking/tests/test_rush_paths.py checks both agree)."""
    prices = show.prices
    price_text = {kind: f"{price:.2f}" for kind, price in prices.items()}
    if expires_at is None:
        expires_at = min((s.held_until for s in seats), default=None)
    return {
        "show_id": show.pk,
        "seats": [
            {
                "id": s.pk,
                "name": s.seat.name,
                "row": s.seat.row_label,
                "number": s.seat.number,
                "type": s.seat.seat_type,
                "price": price_text[s.seat.seat_type],
                "expires_at": utc_iso(s.held_until),
            }
            for s in seats
        ],
        "expires_at": utc_iso(expires_at),
        "total": f"{sum((prices[s.seat.seat_type] for s in seats), Decimal('0.00')):.2f}",
        "currency": settings.CURRENCY,
    }


def hold_body_serialized(*, show, seats, expires_at=None) -> dict:
    """hold_body through HoldOutputSerializer (for tests: the two must agree)."""
    prices = show.prices
    body = {
        "show_id": show.pk,
        "seats": seats,
        "expires_at": expires_at if expires_at is not None else min((s.held_until for s in seats), default=None),
        "total": sum((prices[s.seat.seat_type] for s in seats), 0),
        "currency": settings.CURRENCY,
    }
    return HoldOutputSerializer(body, context={"prices": prices}).data


class BookingSeatOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="show_seat_id", help_text="Show seat id.")
    name = serializers.CharField(source="seat_name")
    type = serializers.CharField(source="seat_type")
    price = serializers.DecimalField(max_digits=8, decimal_places=2)


class BookingShowOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    movie_id = serializers.IntegerField()
    movie = serializers.CharField(source="movie.title")
    theatre = serializers.CharField(source="screen.theatre.name")
    city = serializers.CharField(source="screen.theatre.city")
    screen = serializers.CharField(source="screen.name")
    start_time = UTCDateTimeField()
    end_time = UTCDateTimeField()


class PaymentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    provider = serializers.CharField()
    status = serializers.CharField(help_text="PENDING, SUCCEEDED, FAILED, PARTIALLY_REFUNDED or REFUNDED.")
    amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    currency = serializers.CharField()
    checkout_url = serializers.CharField(help_text="Where the buyer pays (the test provider's hosted page).")
    failure_message = serializers.CharField()


class RefundOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    status = serializers.CharField(help_text="PENDING, SUCCEEDED or FAILED (NONE: nothing to refund).")


def order_payment(obj, context):
    """The order's payment: handed over by the service, looked up in the
    view's batch (context["payments"]), or read."""
    if "created_payment" in obj.__dict__:
        return obj.created_payment
    payments = context.get("payments")
    if payments is not None:
        return payments.get(obj.pk)
    from payments.selectors import payment_for_order

    return payment_for_order(order_id=obj.pk)


BOOKING_MESSAGES = {
    BookingStatus.CANCELLED: "Booking cancelled.",
    BookingStatus.PAYMENT_PENDING: "Pay before expires_at to keep these seats.",
    BookingStatus.EXPIRED: "Not paid in time: the seats were released.",
}
BOOKING_CONFIRMED_MESSAGE = "Ticket sent to your email."


def _money(value) -> str:
    """A DecimalField(decimal_places=2) as the API writes it."""
    return f"{value:.2f}"


def payment_body(payment) -> dict:
    """PaymentOutputSerializer's answer, built by hand (see BookingOutputSerializer)."""
    return {
        "id": payment.pk,
        "provider": payment.provider,
        "status": payment.status,
        "amount": _money(payment.amount),
        "currency": payment.currency,
        "checkout_url": payment.checkout_url,
        "failure_message": payment.failure_message,
    }


class BookingOutputSerializer(serializers.Serializer):
    """An order as every endpoint returns it. The fields document it (the
    schema) and ``serializers.Serializer.to_representation`` of them is the
    reference; ``to_representation`` builds the same body by hand, because
    every order and payment of a rush answers with it and the generic walk
    over these fields cost about 2 ms of the request's 10
    (booking/tests/test_rush_paths.py checks both agree, for every status)."""

    booking_id = serializers.IntegerField(source="pk")
    id = serializers.IntegerField(source="pk")
    code = serializers.CharField(help_text="Short booking code for the ticket.")
    status = serializers.ChoiceField(
        choices=BookingStatus.choices,
        source="effective_status",
        help_text="PAYMENT_PENDING, CONFIRMED, EXPIRED (not paid in time) or CANCELLED.",
    )
    message = serializers.SerializerMethodField()
    show_id = serializers.IntegerField()
    show = BookingShowOutputSerializer()
    seats = BookingSeatOutputSerializer(source="line_list", many=True)
    subtotal = serializers.DecimalField(max_digits=10, decimal_places=2, help_text="The seats' prices.")
    fees = serializers.DecimalField(max_digits=10, decimal_places=2, help_text="Booking fee.")
    tax = serializers.DecimalField(max_digits=10, decimal_places=2, help_text="Tax on the booking fee.")
    total = serializers.DecimalField(max_digits=10, decimal_places=2, help_text="subtotal + fees + tax.")
    currency = serializers.CharField()
    expires_at = UTCDateTimeField(allow_null=True, help_text="Payment deadline of a PAYMENT_PENDING order.")
    payment = serializers.SerializerMethodField()
    created_at = UTCDateTimeField()
    confirmed_at = UTCDateTimeField(allow_null=True)
    cancelled_at = UTCDateTimeField(allow_null=True)

    @extend_schema_field(PaymentOutputSerializer(allow_null=True))
    def get_payment(self, obj):
        payment = order_payment(obj, self.context)
        return PaymentOutputSerializer(payment).data if payment is not None else None

    def get_message(self, obj) -> str:
        return BOOKING_MESSAGES.get(obj.effective_status(), BOOKING_CONFIRMED_MESSAGE)

    def to_representation(self, instance):
        status = instance.effective_status()
        show = instance.show
        payment = order_payment(instance, self.context)
        return {
            "booking_id": instance.pk,
            "id": instance.pk,
            "code": instance.code,
            "status": str(status),
            "message": BOOKING_MESSAGES.get(status, BOOKING_CONFIRMED_MESSAGE),
            "show_id": instance.show_id,
            "show": {
                "id": show.pk,
                "movie_id": show.movie_id,
                "movie": show.movie.title,
                "theatre": show.screen.theatre.name,
                "city": show.screen.theatre.city,
                "screen": show.screen.name,
                "start_time": utc_iso(show.start_time),
                "end_time": utc_iso(show.end_time),
            },
            "seats": [
                {"id": line.show_seat_id, "name": line.seat_name, "type": line.seat_type, "price": _money(line.price)}
                for line in instance.line_list()
            ],
            "subtotal": _money(instance.subtotal),
            "fees": _money(instance.fees),
            "tax": _money(instance.tax),
            "total": _money(instance.total),
            "currency": instance.currency,
            "expires_at": utc_iso(instance.expires_at),
            "payment": payment_body(payment) if payment is not None else None,
            "created_at": utc_iso(instance.created_at),
            "confirmed_at": utc_iso(instance.confirmed_at),
            "cancelled_at": utc_iso(instance.cancelled_at),
        }


class CancelOutputSerializer(BookingOutputSerializer):
    refund = serializers.SerializerMethodField()

    @extend_schema_field(RefundOutputSerializer)
    def get_refund(self, obj):
        refund = obj.__dict__.get("refund")
        if refund is None:
            return {"id": None, "amount": "0.00", "status": "NONE"}
        return RefundOutputSerializer(refund).data

    def to_representation(self, instance):
        return {**super().to_representation(instance), "refund": self.get_refund(instance)}


class StaffBookingOutputSerializer(BookingOutputSerializer):
    user_id = serializers.IntegerField()
    user_email = serializers.EmailField(source="user.email")
    user_name = serializers.CharField(source="user.name")

    def to_representation(self, instance):
        user = instance.user
        return {
            **super().to_representation(instance),
            "user_id": instance.user_id,
            "user_email": user.email,
            "user_name": user.name,
        }
