from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from payments.money import PriceBreakdown


class SeatStatus(models.TextChoices):
    AVAILABLE = "AVAILABLE", "Available"
    LOCKED = "LOCKED", "Held"
    SOLD = "SOLD", "Sold"


# --------------------------------------------------------------------------
# "A free seat": AVAILABLE, or a claim whose time has passed (lazy expiry):
# LOCKED by a hold, or SOLD to an order still waiting for its payment
# (PAYMENT_PENDING), whose ``held_until`` is the order's ``expires_at``. A
# paid sale is SOLD with no ``held_until``. This is the one definition, in
# Python (hold_expired, seat_is_free), as a Q (free_q, held_q) and through the
# queryset below; the hand-written SQL in booking/sql.py says the same, and a
# test checks that they agree.
# --------------------------------------------------------------------------
CLAIMS = (SeatStatus.LOCKED, SeatStatus.SOLD)  # the statuses a deadline can lapse


def hold_expired(status: str, held_until, now: datetime) -> bool:
    """A hold, or an unpaid order's claim, whose deadline has passed."""
    return status in CLAIMS and held_until is not None and held_until <= now


def seat_is_free(status: str, held_until, now: datetime) -> bool:
    return status == SeatStatus.AVAILABLE or hold_expired(status, held_until, now)


def free_q(now: datetime, through: str = "") -> Q:
    """Free show seats; ``through`` prefixes the lookups (e.g. "show_seats__")."""
    return Q(**{f"{through}status": SeatStatus.AVAILABLE}) | Q(
        **{f"{through}status__in": CLAIMS, f"{through}held_until__lte": now}
    )


def sold_q(now: datetime, through: str = "") -> Q:
    """Seats sold: paid, or claimed by an unpaid order whose deadline has not passed."""
    return Q(**{f"{through}status": SeatStatus.SOLD}) & (
        Q(**{f"{through}held_until__isnull": True}) | Q(**{f"{through}held_until__gt": now})
    )


def held_q(now: datetime, through: str = "") -> Q:
    """Seats under an unexpired hold."""
    return Q(**{f"{through}status": SeatStatus.LOCKED, f"{through}held_until__gt": now})


def seat_counts_annotation(now: datetime, through: str = "") -> dict:
    """total_count / sold_count / held_count / free_count, for ``.annotate()``:
    on show seats grouped by show (through=""), or on shows (through="show_seats__")."""
    field = through.removesuffix("__") or "pk"
    return {
        "total_count": Count(field),
        "sold_count": Count(field, filter=sold_q(now, through)),
        "held_count": Count(field, filter=held_q(now, through)),
        "free_count": Count(field, filter=free_q(now, through)),
    }


class ShowSeatQuerySet(models.QuerySet):
    def free(self, now: datetime):
        return self.filter(free_q(now))

    def held(self, now: datetime):
        return self.filter(held_q(now))

    def held_by(self, user, now: datetime):
        """The user's unexpired holds."""
        return self.held(now).filter(held_by_id=user.pk)

    def counts_by_show(self, now: datetime):
        """One row per show: show_id and seat_counts_annotation's counts."""
        return self.values("show_id").annotate(**seat_counts_annotation(now))


class ShowSeat(models.Model):
    """One seat of one show. Every state change goes through booking.services.

    A ``LOCKED`` seat whose ``held_until`` has passed counts as available
    everywhere it is read or written (lazy expiry): no job has to free it.
    """

    show = models.ForeignKey("catalog.Show", on_delete=models.CASCADE, related_name="show_seats")
    seat = models.ForeignKey("catalog.Seat", on_delete=models.PROTECT, related_name="show_seats")
    status = models.CharField(max_length=10, choices=SeatStatus.choices, default=SeatStatus.AVAILABLE)
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    held_at = models.DateTimeField(null=True, blank=True)
    held_until = models.DateTimeField(null=True, blank=True)
    # Bumped by every write; the seat map's ETag sums it, so any change to any
    # seat of the show gives a new ETag.
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ShowSeatQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["show", "seat"], name="showseat_unique_seat_per_show"),
            models.CheckConstraint(
                condition=Q(status="LOCKED", held_by__isnull=False, held_until__isnull=False) | ~Q(status="LOCKED"),
                name="showseat_locked_has_holder",
            ),
        ]
        indexes = [models.Index(fields=["show", "held_by"], name="showseat_show_holder")]

    def __str__(self):
        return f"{self.seat.name} ({self.status})"

    def is_free(self, now: datetime) -> bool:
        return seat_is_free(self.status, self.held_until, now)

    def is_held_by(self, user, now: datetime) -> bool:
        return self.status == SeatStatus.LOCKED and self.held_by_id == user.pk and not self.is_free(now)

    def effective_status(self, now: datetime) -> str:
        return SeatStatus.AVAILABLE if self.is_free(now) else self.status


class BookingStatus(models.TextChoices):
    PAYMENT_PENDING = "PAYMENT_PENDING", "Payment pending"
    CONFIRMED = "CONFIRMED", "Confirmed"
    EXPIRED = "EXPIRED", "Expired"
    CANCELLED = "CANCELLED", "Cancelled"


class Booking(models.Model):
    """An order (SPEC 7.1): PAYMENT_PENDING until paid (its seats SOLD with
    ``held_until = expires_at``, free again once that passes), then CONFIRMED;
    or EXPIRED (not paid in time; lazily: a pending order past ``expires_at``
    reads EXPIRED, ``effective_status``), or CANCELLED. The money figures are
    stored as they were charged (payments.money.PriceBreakdown)."""

    code = models.CharField(max_length=12, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings")
    show = models.ForeignKey("catalog.Show", on_delete=models.PROTECT, related_name="bookings")
    status = models.CharField(max_length=16, choices=BookingStatus.choices, default=BookingStatus.CONFIRMED)
    subtotal = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    fees = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    tax = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    total = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    # The payment deadline of a PAYMENT_PENDING order (null once irrelevant: free orders, `none`).
    expires_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    customer_name = models.CharField(max_length=150, blank=True, default="")
    customer_email = models.EmailField(blank=True, default="")
    customer_phone = models.CharField(max_length=32, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="booking_user_recent"),
            models.Index(fields=["show", "status"], name="booking_show_status"),
        ]

    def __str__(self):
        return self.code

    def get_absolute_url(self):
        return reverse("booking:booking_detail", args=[self.code])

    @property
    def is_active(self) -> bool:
        return self.status == BookingStatus.CONFIRMED

    def effective_status(self, now: datetime | None = None) -> str:
        """The status as the buyer sees it: a pending order past its deadline is EXPIRED."""
        if self.status == BookingStatus.PAYMENT_PENDING and self.expires_at is not None:
            if self.expires_at <= (now or timezone.now()):
                return BookingStatus.EXPIRED
        return self.status

    def is_payable(self, now: datetime | None = None) -> bool:
        return self.effective_status(now) == BookingStatus.PAYMENT_PENDING

    def breakdown(self):
        """The stored figures as a payments.money.PriceBreakdown (refunds use these, never today's settings)."""
        return PriceBreakdown(
            subtotal=self.subtotal, fees=self.fees, tax=self.tax, total=self.total, currency=self.currency
        )

    def line_list(self) -> list:
        """The booking's lines: ``created_lines`` when the booking came with
        them (booking_confirm hands back the ones it created;
        booking.selectors.order_of_user reads them), else the prefetched or
        queried ones."""
        created = self.__dict__.get("created_lines")
        return created if created is not None else list(self.lines.all())


class BookingSeat(models.Model):
    """A seat of a booking, with the price paid.

    ``active`` is True while the booking stands confirmed and NULL otherwise
    (pending, expired, cancelled): a pending order's claim lives on the show
    seat (SOLD until ``held_until``), so an unpaid order never blocks the
    seat's re-sale once its deadline passes; confirming sets it True.
    The unique constraint on (show_seat, active) therefore lets any number of
    cancelled lines share a seat but never two active ones -- on MySQL/MariaDB
    (which have no partial indexes) as well as SQLite, since NULLs never clash
    in a unique index.
    """

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="lines")
    show_seat = models.ForeignKey(ShowSeat, on_delete=models.PROTECT, related_name="booking_lines")
    seat_name = models.CharField(max_length=8)
    seat_type = models.CharField(max_length=10)
    price = models.DecimalField(max_digits=8, decimal_places=2)
    active = models.BooleanField(null=True, default=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["show_seat", "active"], name="bookingseat_one_active_sale"),
            models.CheckConstraint(
                condition=Q(active=True) | Q(active__isnull=True), name="bookingseat_active_true_or_null"
            ),
        ]

    def __str__(self):
        return f"{self.booking.code} {self.seat_name}"


class IdempotencyRecord(models.Model):
    """A booking request made with an Idempotency-Key, kept so a retry replays it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    booking = models.ForeignKey(Booking, null=True, on_delete=models.CASCADE, related_name="+")
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_key_per_user")]

    def __str__(self):
        return f"{self.user_id}:{self.key}"
