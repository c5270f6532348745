"""Paying: where the buyer pays, the `test` provider's hosted page, and
provider webhooks."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from booking.models import Booking, BookingStatus
from booking.services import order_checkout_start, order_pay, payment_webhook_receive
from cinema.errors import DomainError
from payments.exceptions import PaymentDeclined
from payments.forms import CardForm
from payments.selectors import payment_by_checkout_token, payment_for_order


def _pay_url(order, payment=None):
    """Where the buyer pays: the provider's checkout URL (asked again if the
    provider was down at creation), else our hosted test page."""
    payment = payment or order.__dict__.get("created_payment") or payment_for_order(order_id=order.pk)
    if payment is None:
        return order.get_absolute_url()
    if not payment.checkout_url:
        payment = order_checkout_start(order=order, payment=payment)
    return payment.checkout_url or reverse("booking:pay", args=[payment.checkout_token])


@login_required
@require_http_methods(["GET", "POST"])
def pay(request, token):
    """The `test` provider's hosted payment page (payments.forms.CardForm):
    the same code path as POST /api/v1/orders/{id}/confirm-payment."""
    payment = payment_by_checkout_token(token=token)
    if payment is None:
        raise Http404("No such payment.")
    order = get_object_or_404(
        Booking.objects.select_related("show__movie", "show__screen__theatre"), pk=payment.order_id, user=request.user
    )
    form = CardForm(request.POST or None)
    context = {
        "payment": payment,
        "order": order,
        "form": form,
        "action_url": request.path,
        "back_url": order.get_absolute_url(),
        "expires_at": order.expires_at if order.effective_status() == BookingStatus.PAYMENT_PENDING else None,
        "paid": payment.is_paid,
    }
    if order.effective_status() != BookingStatus.PAYMENT_PENDING:
        return redirect(order)
    if request.method == "POST" and form.is_valid():
        try:
            order = order_pay(order=order, card_number=form.cleaned_data["card_number"])
        except PaymentDeclined as exc:
            context["decline_message"] = exc.message
            return render(request, "payments/test_checkout.html", context, status=402)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(order)
        if order.status == BookingStatus.CONFIRMED:
            messages.success(request, "Paid. You're booked! A confirmation email is on its way.")
        return redirect(order)
    status = 400 if request.method == "POST" else 200
    return render(request, "payments/test_checkout.html", context, status=status)


@csrf_exempt
@require_POST
def payment_webhook(request, provider):
    """POST /payments/webhooks/<provider>: a signed provider notice. 400 and
    nothing changes on a bad or stale signature, a wrong amount or currency
    or an unknown payment; a duplicate is 200 and applied once."""
    try:
        outcome = payment_webhook_receive(provider_name=provider, body=request.body, headers=request.headers)
    except DomainError as exc:
        # A busy database (503) asks the provider to deliver again; anything else is the notice's fault.
        return JsonResponse(
            {"error": {"code": exc.code, "message": exc.message}}, status=exc.status if exc.status >= 500 else 400
        )
    if outcome is None:
        return JsonResponse({"error": {"code": "NOT_FOUND", "message": "No such payment provider."}}, status=404)
    return JsonResponse({"received": True, "applied": outcome.applied})
