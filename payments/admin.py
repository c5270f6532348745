"""Payments and refunds in admin: for reading. Money only moves through the
services (an order's cancellation, a webhook), never by editing a row."""

from django.contrib import admin

from cinema.admin_helpers import ReadOnlyAdmin
from payments.models import Payment, Refund


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = ["amount", "currency", "status", "reason", "key", "reference", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["id", "order_id", "provider", "status", "amount", "currency", "reference", "created_at"]
    list_filter = ["status", "provider", "created_at"]
    search_fields = ["=id", "=order_id", "reference"]
    inlines = [RefundInline]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["id", "payment", "amount", "currency", "status", "reason", "created_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["=payment__id", "=payment__order_id", "key", "reference"]
    list_select_related = ["payment"]
