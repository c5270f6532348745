"""Bookings API: book held seats (idempotent with an Idempotency-Key), list,
read and cancel bookings, and a show's bookings for staff."""

from django.db.models import Q
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from booking import selectors, services
from booking.api.common import MAX_IDS
from booking.api.serializers import BookingOutputSerializer, StaffBookingOutputSerializer
from booking.models import Booking
from catalog.models import Show
from cinema.api import IsStaff, errors, id_field
from cinema.permissions import staff_scope_queryset, staff_theatre_ids


# --------------------------------------------------------------------------
# bookings
# --------------------------------------------------------------------------
def _booking_queryset():
    return Booking.objects.select_related("show__movie", "show__screen__theatre").prefetch_related("lines")


def _visible_bookings(user):
    if user.is_staff:  # a scoped staff user sees their theatres' orders (and their own) only
        theatres = staff_theatre_ids(user)
        if theatres is None:
            return _booking_queryset()
        return _booking_queryset().filter(Q(show__screen__theatre__in=theatres) | Q(user=user))
    return selectors.bookings_for_user(user=user)


class BookingListApi(APIView):
    permission_classes = [IsAuthenticated]
    OutputSerializer = BookingOutputSerializer

    class InputSerializer(serializers.Serializer):
        show_id = id_field()
        seat_id = id_field(required=False)
        seat_ids = serializers.ListField(child=id_field(), min_length=1, max_length=MAX_IDS, required=False)

        def validate(self, attrs):
            if ("seat_id" in attrs) == ("seat_ids" in attrs):
                raise serializers.ValidationError("Send either seat_id or seat_ids.")
            ids = attrs.pop("seat_ids", None) or [attrs.pop("seat_id")]
            attrs["seat_ids"] = sorted(set(ids))
            return attrs

    @extend_schema(
        operation_id="bookings_list",
        summary="The caller's bookings, newest first (a plain array)",
        responses={200: OutputSerializer(many=True), **errors(401)},
        tags=["bookings"],
    )
    def get(self, request):
        bookings = selectors.bookings_for_user(user=request.user)
        return Response(self.OutputSerializer(bookings, many=True).data)

    @extend_schema(
        operation_id="bookings_create",
        summary="Book the seats you hold",
        description=(
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
                e409="SEAT_NOT_HELD, HOLD_EXPIRED, SHOW_STARTED or IDEMPOTENCY_IN_PROGRESS.",
            ),
        },
        tags=["bookings"],
    )
    def post(self, request):
        key = services.idempotency_key_clean(request.headers.get("Idempotency-Key"))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        show = get_object_or_404(Show.objects.select_related("movie", "screen__theatre"), pk=values["show_id"])
        render = self.OutputSerializer
        outcome = services.booking_confirm(
            user=request.user,
            show=show,
            seat_ids=values["seat_ids"],
            idempotency_key=key,
            fingerprint=services.request_fingerprint(values) if key else "",
            # The answer is stored with the key, in the booking's transaction.
            respond=lambda booking: (status.HTTP_201_CREATED, render(booking).data),
        )
        record = outcome.record
        if outcome.replayed and record is not None and record.response_status is not None:
            response = Response(record.response_body, status=record.response_status)
            response["Idempotent-Replayed"] = "true"
            return response
        if record is not None and not outcome.replayed:
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
    OutputSerializer = BookingOutputSerializer

    @extend_schema(
        operation_id="bookings_cancel",
        summary="Cancel a booking before the show starts (owner or staff); again is a no-op",
        request=None,
        responses={200: OutputSerializer, **errors(401, 404, 503, e409="CANCELLATION_CLOSED.")},
        tags=["bookings"],
    )
    def post(self, request, booking_id):
        booking = get_object_or_404(_visible_bookings(request.user), pk=booking_id)
        services.booking_cancel(booking=booking, by=request.user)
        booking = _booking_queryset().get(pk=booking.pk)
        return Response(self.OutputSerializer(booking).data)


class ShowBookingListApi(APIView):
    permission_classes = [IsStaff]
    OutputSerializer = StaffBookingOutputSerializer

    @extend_schema(
        operation_id="show_bookings_list",
        summary="Every booking of a show (staff)",
        responses={200: OutputSerializer(many=True), **errors(401, 403, 404)},
        tags=["bookings"],
    )
    def get(self, request, show_id):
        show = get_object_or_404(staff_scope_queryset(Show.objects.all(), request.user), pk=show_id)
        bookings = _booking_queryset().select_related("user").filter(show=show).order_by("-created_at", "-pk")
        return Response(self.OutputSerializer(bookings, many=True).data)
