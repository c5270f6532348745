"""Orders API beyond what bookings.py serves (the same resource): paying by
card with the test provider, and staff cancelling a whole show."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from booking import selectors, services
from booking.api.bookings import BookingCancelApi, BookingDetailApi, BookingListApi
from booking.api.serializers import BookingOutputSerializer
from catalog.models import Show
from cinema.api import errors
from cinema.permissions import StaffModelPermissions, staff_scope_queryset


class OrderConfirmPaymentApi(APIView):
    permission_classes = [IsAuthenticated]
    OutputSerializer = BookingOutputSerializer

    class InputSerializer(serializers.Serializer):
        card_number = serializers.CharField(
            max_length=32, help_text="Test cards: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined."
        )

    @extend_schema(
        operation_id="orders_confirm_payment",
        summary="Pay a PAYMENT_PENDING order by card (test provider; the hosted page's code path)",
        description=(
            "200 CONFIRMED with the ticket `code`; again → 200 unchanged. A decline is 402 "
            "PAYMENT_DECLINED and the order stays PAYMENT_PENDING until `expires_at`."
        ),
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            **errors(
                400,
                401,
                404,
                503,
                e402="PAYMENT_DECLINED: the card was declined; try again before expires_at.",
                e409="ORDER_EXPIRED (past expires_at; nothing charged), ORDER_NOT_PAYABLE or PAYMENT_NOT_SUPPORTED.",
            ),
        },
        tags=["orders"],
    )
    def post(self, request, order_id):
        # Only the owner's, read as the answer shows it; order_pay decides on it
        # again under its lock and brings it up to date.
        order = selectors.order_of_user(user=request.user, order_id=order_id)
        if order is None:
            raise Http404
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_pay(order=order, card_number=data.validated_data["card_number"])
        return Response(self.OutputSerializer(order).data)


class ShowCancelApi(APIView):
    """Staff with catalog.change_show."""

    permission_classes = [StaffModelPermissions]
    permission_model = Show
    permission_actions = {"POST": "change"}

    @extend_schema(
        operation_id="shows_cancel",
        summary="Cancel a show (staff): every order cancelled and fully refunded, holds released, buyers emailed",
        request=None,
        responses={
            200: inline_serializer(
                name="ShowCancelled",
                fields={
                    "show_id": serializers.IntegerField(),
                    "status": serializers.CharField(),
                    "cancelled_at": serializers.DateTimeField(),
                    "orders_cancelled": serializers.IntegerField(),
                },
            ),
            **errors(401, 403, 404, 503),
        },
        tags=["shows"],
    )
    def post(self, request, show_id):
        show = get_object_or_404(staff_scope_queryset(Show.objects.all(), request.user), pk=show_id)
        self.check_object_permissions(request, show)
        outcome = services.show_cancel(show=show, by=request.user)
        return Response(
            {
                "show_id": show.pk,
                "status": "CANCELLED",
                "cancelled_at": outcome.show.cancelled_at,
                "orders_cancelled": outcome.orders_cancelled,
            }
        )


# /api/v1/orders is seed 003's name for /api/v1/bookings: the same views,
# documented under their own operation ids.
@extend_schema_view(
    get=extend_schema(operation_id="orders_list", tags=["orders"]),
    post=extend_schema(operation_id="orders_create", tags=["orders"]),
)
class OrderListApi(BookingListApi):
    pass


@extend_schema_view(get=extend_schema(operation_id="orders_retrieve", tags=["orders"]))
class OrderDetailApi(BookingDetailApi):
    pass


@extend_schema_view(
    get=extend_schema(operation_id="orders_cancel_preview", tags=["orders"]),
    post=extend_schema(operation_id="orders_cancel", tags=["orders"]),
)
class OrderCancelApi(BookingCancelApi):
    pass
