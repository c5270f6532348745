"""Payment records. They point at the order by its id only (`order_id`, no
foreign key): the booking app uses this layer, this layer imports nothing from
booking or catalog. Amounts are Decimal with 2 places, always with currency."""

import secrets

from django.db import models
from django.db.models import Q


def new_checkout_token() -> str:
    return secrets.token_urlsafe(24)


class PaymentStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    SUCCEEDED = "SUCCEEDED", "Succeeded"
    # The last attempt was declined; the payment can still succeed (another
    # card, a late notice) until the order gives up on it.
    FAILED = "FAILED", "Failed"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED", "Partially refunded"
    REFUNDED = "REFUNDED", "Refunded"


class Payment(models.Model):
    """One order's money: created with the order, succeeded by a charge or a
    webhook, refunded by Refund rows."""

    order_id = models.BigIntegerField(db_index=True)
    provider = models.CharField(max_length=20)
    status = models.CharField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    # The provider's id of the charge (what a refund is made against).
    reference = models.CharField(max_length=255, blank=True, default="")
    # Unguessable id of the hosted payment page (the order id is guessable).
    checkout_token = models.CharField(max_length=64, unique=True, default=new_checkout_token)
    checkout_url = models.CharField(max_length=500, blank=True, default="")
    failure_message = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_not_negative"),
        ]

    def __str__(self):
        return f"Payment {self.pk} of order {self.order_id}: {self.amount} {self.currency} {self.status}"

    @property
    def is_payable(self) -> bool:
        """Money can still come in for it (never paid, maybe declined)."""
        return self.status in (PaymentStatus.PENDING, PaymentStatus.FAILED)

    @property
    def is_paid(self) -> bool:
        """Money came in (some of it may have gone back since)."""
        return self.status in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)


class RefundStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"  # recorded; the provider has not confirmed it yet
    SUCCEEDED = "SUCCEEDED", "Succeeded"
    FAILED = "FAILED", "Failed"


class Refund(models.Model):
    """Money going back. `key` names the reason it exists (e.g. `cancel:<order id>`),
    so a retried action finds the refund it already recorded."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=RefundStatus.choices, default=RefundStatus.PENDING)
    reason = models.CharField(max_length=255, blank=True, default="")
    key = models.CharField(max_length=100, unique=True)
    reference = models.CharField(max_length=255, blank=True, default="")
    failure_message = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self):
        return f"Refund {self.pk} of payment {self.payment_id}: {self.amount} {self.currency} {self.status}"


class ProcessedWebhook(models.Model):
    """A provider event already applied. The unique constraint, not a read,
    decides which of two racing deliveries applies it."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=255)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="processed_webhook_once"),
        ]

    def __str__(self):
        return f"{self.provider} {self.event_id}"
