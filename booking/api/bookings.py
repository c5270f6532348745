"""Bookings API: book held seats (idempotent with an Idempotency-Key), list,
read and cancel bookings, and a show's bookings for staff."""

from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from booking import selectors, services
from booking.api.common import MAX_IDS
from booking.api.serializers import BookingOutputSerializer, CancelOutputSerializer, StaffBookingOutputSerializer
from booking.models import Booking, ShowSeat
from catalog import selectors as catalog_selectors
from catalog.models import Show
from cinema.api import errors, id_field
from cinema.pagination import CursorPage
from cinema.permissions import StaffModelPermissions, model_permission, staff_scope_queryset, staff_theatre_ids


# --------------------------------------------------------------------------
# bookings
# --------------------------------------------------------------------------
def _booking_queryset():
    return Booking.objects.select_related("show__movie", "show__screen__theatre").prefetch_related("lines")


def _visible_bookings(user):
    # Others' bookings (customer data) need booking.view_booking, not is_staff alone;
    # a scoped staff user sees their theatres' orders (and their own) only.
    if not (user.is_staff and user.has_perm(model_permission(Booking, "view"))):
        return selectors.bookings_for_user(user=user)
    theatres = staff_theatre_ids(user)
    if theatres is None:
        return _booking_queryset()
    return _booking_queryset().filter(Q(show__screen__theatre__in=theatres) | Q(user=user))


class BookingListApi(APIView):
    permission_classes = [IsAuthenticated]
    OutputSerializer = BookingOutputSerializer

    class InputSerializer(serializers.Serializer):
        class CustomerSerializer(serializers.Serializer):
            name = serializers.CharField(max_length=150, required=False, allow_blank=True)
            email = serializers.EmailField(required=False, allow_blank=True)
            phone = serializers.RegexField(r"^\+?[0-9 ()-]{4,31}$", max_length=32, required=False, allow_blank=True)

        show_id = id_field(required=False)
        seat_id = id_field(required=False)
        seat_ids = serializers.ListField(child=id_field(), min_length=1, max_length=MAX_IDS, required=False)
        hold_id = serializers.RegexField(
            r"^[0-9]{1,18}-[0-9]{1,18}$",
            required=False,
            help_text='Order every seat of your hold (its id from /holds, "<show_id>-<user_id>") instead.',
        )
        customer = CustomerSerializer(required=False, help_text="Who the tickets are for (optional).")

        def validate(self, attrs):
            if "hold_id" in attrs:
                if {"show_id", "seat_id", "seat_ids"} & set(attrs):
                    raise serializers.ValidationError("Send either hold_id or show_id with seat_ids.")
                show_id, user_id = (int(part) for part in attrs["hold_id"].split("-"))
                user = self.context["request"].user
                if user_id != user.pk:
                    raise NotFound("No such hold.")
                held = ShowSeat.objects.held_by(user, timezone.now()).filter(show_id=show_id)
                # No live hold: only an idempotent replay can still succeed (the service says so).
                attrs["show_id"], attrs["seat_ids"] = show_id, sorted(held.values_list("pk", flat=True))
                return attrs
            if "show_id" not in attrs:
                raise serializers.ValidationError({"show_id": ["This field is required."]})
            if ("seat_id" in attrs) == ("seat_ids" in attrs):
                raise serializers.ValidationError("Send either seat_id or seat_ids.")
            ids = attrs.pop("seat_ids", None) or [attrs.pop("seat_id")]
            attrs["seat_ids"] = sorted(set(ids))
            return attrs

    @extend_schema(
        operation_id="bookings_list",
        summary="The caller's bookings, newest first (a plain array, paginated: ?limit=, Link rel=next)",
        responses={200: OutputSerializer(many=True), **errors(401)},
        tags=["bookings"],
    )
    def get(self, request):
        page = CursorPage(("-created_at", "-pk"))
        bookings = page.paginate(selectors.bookings_for_user(user=request.user), request)
        context = {"payments": selectors.payments_for_orders(orders=bookings)}
        return page.response(self.OutputSerializer(bookings, many=True, context=context).data)

    @extend_schema(
        operation_id="bookings_create",
        summary="Create an order of the seats you hold (same resource as /orders)",
        description=(
            "With PAYMENT_PROVIDER=none (or a total of 0) the order is CONFIRMED at once; otherwise "
            "it is PAYMENT_PENDING until paid (`payment.checkout_url`, or confirm-payment) before "
            "`expires_at`, and its seats are yours until then. "
            "Send an `Idempotency-Key` header (up to 255 characters) to make retries safe: "
            "the same key and body replays the first response; the same key with another "
            "body answers 422 IDEMPOTENCY_KEY_REUSED; while the first is still running, 409 "
            "IDEMPOTENCY_IN_PROGRESS. Keys are per user and kept 24 hours."
        ),
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)],
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            **errors(
                400,
                401,
                404,
                422,
                503,
                e409="SEAT_NOT_HELD, HOLD_EXPIRED, SHOW_STARTED, SHOW_CANCELLED or IDEMPOTENCY_IN_PROGRESS.",
            ),
        },
        tags=["bookings"],
    )
    def post(self, request):
        key = services.idempotency_key_clean(request.headers.get("Idempotency-Key"))
        data = self.InputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        show = catalog_selectors.show_with_place(show_id=values["show_id"])
        if show is None:
            raise Http404
        render = self.OutputSerializer
        outcome = services.booking_confirm(
            user=request.user,
            show=show,
            seat_ids=values["seat_ids"],
            customer=values.get("customer"),
            base_url=request.build_absolute_uri("/"),
            idempotency_key=key,
            # A hold's seats are gone once ordered: a retry is recognised by what it sent.
            fingerprint=services.request_fingerprint(
                {k: v for k, v in values.items() if k != "seat_ids"} if "hold_id" in values else values
            )
            if key
            else "",
            # The answer is stored with the key, in the booking's transaction.
            respond=lambda booking: (status.HTTP_201_CREATED, render(booking).data),
        )
        record = outcome.record
        if outcome.replayed and record is not None and record.response_status is not None:
            response = Response(record.response_body, status=record.response_status)
            response["Idempotent-Replayed"] = "true"
            return response
        if record is not None and not outcome.replayed and record.response_status is not None:
            body = record.response_body
        elif outcome.replayed:
            body = render(_booking_queryset().get(pk=outcome.booking.pk)).data
        else:
            # A new booking comes back from the service with its show (read
            # above with movie and theatre) and its lines: nothing to re-read.
            body = render(outcome.booking).data
        response = Response(body, status=status.HTTP_201_CREATED)
        if outcome.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class BookingDetailApi(APIView):
    permission_classes = [IsAuthenticated]
    OutputSerializer = BookingOutputSerializer

    @extend_schema(
        operation_id="bookings_retrieve",
        summary="One of your bookings (another user's is a 404)",
        responses={200: OutputSerializer, **errors(401, 404)},
        tags=["bookings"],
    )
    def get(self, request, booking_id):
        booking = get_object_or_404(_visible_bookings(request.user), pk=booking_id)
        return Response(self.OutputSerializer(booking).data)


class BookingCancelApi(APIView):
    permission_classes = [IsAuthenticated]
    OutputSerializer = CancelOutputSerializer

    @extend_schema(
        operation_id="bookings_cancel",
        summary="Cancel an order before the show starts (owner or staff); again is a no-op",
        description=(
            "A paid order is refunded per CANCELLATION_POLICY (the booking fee is kept unless staff "
            "cancel): `refund {amount, status}`. GET answers the same shape with the refund this "
            "cancellation would give (status PREVIEW) without cancelling."
        ),
        request=None,
        responses={200: OutputSerializer, **errors(401, 404, 503, e409="CANCELLATION_CLOSED.")},
        tags=["bookings"],
    )
    def post(self, request, booking_id):
        booking = get_object_or_404(_visible_bookings(request.user), pk=booking_id)
        cancelled = services.booking_cancel(booking=booking, by=request.user)
        booking = _booking_queryset().get(pk=booking.pk)
        booking.refund = cancelled.__dict__.get("refund")
        if booking.refund is not None:
            booking.refund.refresh_from_db()  # paid back after commit: its status now
        return Response(self.OutputSerializer(booking).data)

    @extend_schema(
        operation_id="bookings_cancel_preview",
        summary="The refund cancelling now would give (nothing changes)",
        responses={200: OutputSerializer, **errors(401, 404)},
        tags=["bookings"],
    )
    def get(self, request, booking_id):
        booking = get_object_or_404(_visible_bookings(request.user), pk=booking_id)
        body = self.OutputSerializer(booking).data
        if booking.status != "CANCELLED":
            amount = services.order_refund_preview(order=booking, by=request.user)
            body["refund"] = {"id": None, "amount": f"{amount:.2f}", "status": "PREVIEW"}
        return Response(body)


class ShowBookingListApi(APIView):
    permission_classes = [StaffModelPermissions]
    permission_model = Booking
    OutputSerializer = StaffBookingOutputSerializer

    @extend_schema(
        operation_id="show_bookings_list",
        summary="Every booking of a show (staff)",
        responses={200: OutputSerializer(many=True), **errors(401, 403, 404)},
        tags=["bookings"],
    )
    def get(self, request, show_id):
        show = get_object_or_404(staff_scope_queryset(Show.objects.all(), request.user), pk=show_id)
        page = CursorPage(("-created_at", "-pk"))
        bookings = page.paginate(_booking_queryset().select_related("user").filter(show=show), request)
        context = {"payments": selectors.payments_for_orders(orders=bookings)}
        return page.response(self.OutputSerializer(bookings, many=True, context=context).data)
