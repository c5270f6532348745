"""Booking API: shows, seat maps, holds, bookings, and the staff endpoints that
schedule shows or change screen layouts (they go through booking.services).

Views stay thin: parse the input, call a service or selector, render.
"""

from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count, ProtectedError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from booking import selectors, services
from booking.api.serializers import (
    BookingOutputSerializer,
    HoldOutputSerializer,
    PricesField,
    SeatOutputSerializer,
    ShowOutputSerializer,
    StaffBookingOutputSerializer,
    hold_body,
)
from booking.models import Booking, SeatStatus, ShowSeat
from catalog import selectors as catalog_selectors
from catalog import services as catalog_services
from catalog.models import Movie, Screen, SeatType, Show, Theatre
from cinema.api import Conflict, IsStaff, IsStaffOrReadOnly, UTCDateTimeField, errors, id_field, utc_iso

IDEMPOTENCY_KEY_MAX = 255
MAX_IDS = 100
# How far ahead staff may schedule a show, and the dates ?date= accepts: bounds
# keep datetime arithmetic (end time, local day) far from Python's limits.
SCHEDULE_AHEAD = timedelta(days=5 * 366)
FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(9000, 12, 31)


class ShowStartField(UTCDateTimeField):
    """A show's start: in the future and at most SCHEDULE_AHEAD from now."""

    def to_internal_value(self, value):
        start = super().to_internal_value(value)
        now = timezone.now()
        if start <= now:
            raise serializers.ValidationError("A show must start in the future.")
        if start > now + SCHEDULE_AHEAD:
            raise serializers.ValidationError("A show can be scheduled at most 5 years ahead.")
        return start


def _viewer(request):
    return request.user if request.user.is_authenticated else None


def _lookup(model, pk, field: str):
    """An object named in the body: unknown ids are a 400 on that field."""
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise exceptions.ValidationError({field: [f"No {model._meta.verbose_name} with id {pk}."]})
    return obj


def _show_with_counts(show: Show) -> Show:
    show.counts = selectors.seat_counts(show=show)
    return show


def _shows(request):
    return Show.objects.select_related("movie", "screen__theatre")


# --------------------------------------------------------------------------
# shows
# --------------------------------------------------------------------------
class MovieShowListApi(APIView):
    OutputSerializer = ShowOutputSerializer

    class QuerySerializer(serializers.Serializer):
        date = serializers.DateField(
            required=False, input_formats=["%Y-%m-%d"], help_text="YYYY-MM-DD, in the theatre's local time."
        )

        def validate_date(self, value):
            if value is not None and not FIRST_DATE <= value <= LAST_DATE:
                raise serializers.ValidationError(f"Pick a date between {FIRST_DATE} and {LAST_DATE}.")
            return value

    @extend_schema(
        operation_id="movie_shows_list",
        summary="Upcoming shows of a movie (a plain array)",
        parameters=[QuerySerializer],
        responses={200: OutputSerializer(many=True), **errors(400, 404)},
        auth=[],
        tags=["shows"],
    )
    def get(self, request, movie_id):
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        movies = Movie.objects.all() if request.user.is_staff else Movie.objects.filter(is_active=True)
        movie = get_object_or_404(movies, pk=movie_id)
        shows = list(catalog_selectors.movie_shows_upcoming(movie=movie, day=query.validated_data.get("date")))
        counts = selectors.show_seat_counts(shows=shows)
        empty = {"free": 0, "held": 0, "sold": 0, "total": 0}
        for show in shows:
            show.movie = movie
            show.counts = counts.get(show.pk, empty)
        return Response(self.OutputSerializer(shows, many=True).data)


class ShowListApi(APIView):
    permission_classes = [IsStaff]
    OutputSerializer = ShowOutputSerializer

    class InputSerializer(serializers.Serializer):
        movie_id = id_field()
        screen_id = id_field()
        start_time = ShowStartField(help_text="ISO 8601, in the future; without an offset it is taken as UTC.")
        prices = PricesField(required=False)

    @extend_schema(
        operation_id="shows_create",
        summary="Schedule a show and create its seats (staff)",
        request=InputSerializer,
        responses={201: OutputSerializer, **errors(400, 401, 403, e409="SCREEN_BUSY: overlaps another show.")},
        tags=["shows"],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        show = services.show_schedule(
            movie=_lookup(Movie, values["movie_id"], "movie_id"),
            screen=_lookup(Screen, values["screen_id"], "screen_id"),
            start_time=values["start_time"],
            prices=values.get("prices"),
        )
        show = _show_with_counts(_shows(request).get(pk=show.pk))
        return Response(self.OutputSerializer(show).data, status=status.HTTP_201_CREATED)


class ShowDetailApi(APIView):
    permission_classes = [IsStaffOrReadOnly]
    OutputSerializer = ShowOutputSerializer

    class InputSerializer(serializers.Serializer):
        movie_id = id_field(required=False)
        start_time = ShowStartField(required=False, help_text="ISO 8601, in the future.")
        prices = PricesField(required=False)

    @extend_schema(
        operation_id="shows_retrieve",
        summary="A show: movie, theatre, screen, times, prices, seats free/total",
        responses={200: OutputSerializer, **errors(404)},
        auth=[],
        tags=["shows"],
    )
    def get(self, request, show_id):
        show = get_object_or_404(_shows(request), pk=show_id)
        return Response(self.OutputSerializer(_show_with_counts(show)).data)

    @extend_schema(
        operation_id="shows_update",
        summary="Change a show's movie, time or prices (staff)",
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            **errors(400, 401, 403, 404, e409="SCREEN_BUSY, or SHOW_HAS_BOOKINGS when moving a booked show."),
        },
        tags=["shows"],
    )
    def patch(self, request, show_id):
        show = get_object_or_404(Show, pk=show_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        services.show_update(
            show=show,
            movie=_lookup(Movie, values["movie_id"], "movie_id") if "movie_id" in values else None,
            start_time=values.get("start_time"),
            prices=values.get("prices"),
        )
        show = _show_with_counts(_shows(request).get(pk=show.pk))
        return Response(self.OutputSerializer(show).data)

    @extend_schema(
        operation_id="shows_delete",
        summary="Delete a show without bookings (staff)",
        responses={204: None, **errors(401, 403, 404, e409="SHOW_HAS_BOOKINGS.")},
        tags=["shows"],
    )
    def delete(self, request, show_id):
        services.show_delete(show=get_object_or_404(Show, pk=show_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --------------------------------------------------------------------------
# seat map (the hot path: keep it to a handful of cheap queries)
# --------------------------------------------------------------------------
def _etag_matches(header: str, etag: str) -> bool:
    if not header:
        return False
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or any(t.removeprefix("W/") == etag for t in tags)


class ShowSeatListApi(APIView):
    OutputSerializer = SeatOutputSerializer

    @extend_schema(
        operation_id="show_seats_list",
        summary="The seat map (a plain array); ETag / If-None-Match → 304",
        parameters=[OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER, required=False)],
        responses={
            200: OutputSerializer(many=True),
            304: OpenApiResponse(description="Not modified since the ETag sent."),
            **errors(404),
        },
        tags=["shows"],
    )
    def get(self, request, show_id):
        show = get_object_or_404(Show, pk=show_id)
        viewer = _viewer(request)
        # A poller's If-None-Match is checked with one aggregate query, so an
        # unchanged map never pays for building the body; without one, the
        # map's own query gives the ETag too (one round trip, not two).
        if_none_match = request.headers.get("If-None-Match", "")
        version = selectors.seat_map_version(show=show, viewer=viewer) if if_none_match else None
        if version and _etag_matches(if_none_match, f'"{version}"'):
            response = Response(status=status.HTTP_304_NOT_MODIFIED)
        else:
            version, seats = selectors.seat_map_with_version(show=show, viewer=viewer)
            currency = settings.CURRENCY
            price_text = {kind: f"{price:.2f}" for kind, price in show.prices.items()}
            for seat in seats:
                seat["price"] = price_text[seat["type"]]
                if seat["expires_at"] is not None:
                    seat["expires_at"] = utc_iso(seat["expires_at"])
                seat["currency"] = currency
            response = Response(seats)
        etag = f'"{version}"'
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"
        patch_vary_headers(response, ["Authorization", "Cookie"])
        return response


# --------------------------------------------------------------------------
# holds
# --------------------------------------------------------------------------
class SeatLockApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(
            choices=[SeatStatus.LOCKED, SeatStatus.AVAILABLE],
            help_text="LOCKED holds the seat; AVAILABLE releases your hold.",
        )

    class OutputSerializer(serializers.Serializer):
        message = serializers.CharField(help_text='"Locked" or "Released".')
        expires_at = UTCDateTimeField(allow_null=True)
        seat_id = serializers.IntegerField()
        show_id = serializers.IntegerField()

    @extend_schema(
        operation_id="seat_lock",
        summary="Hold or release one seat (seed-compatible)",
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            **errors(
                400,
                401,
                404,
                503,
                e409="SEAT_UNAVAILABLE, SEAT_NOT_HELD, HOLD_LIMIT or SHOW_STARTED.",
            ),
        },
        tags=["holds"],
    )
    def patch(self, request, seat_id):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        seat = get_object_or_404(ShowSeat.objects.select_related("show"), pk=seat_id)
        if data.validated_data["status"] == SeatStatus.LOCKED:
            hold = services.seats_hold(user=request.user, show=seat.show, seat_ids=[seat.pk])
            body = {"message": "Locked", "expires_at": hold.expires_at}
        else:
            services.seats_release(user=request.user, show=seat.show, seat_ids=[seat.pk])
            body = {"message": "Released", "expires_at": None}
        body.update(seat_id=seat.pk, show_id=seat.show_id)
        return Response(self.OutputSerializer(body).data)


class ShowHoldApi(APIView):
    permission_classes = [IsAuthenticated]
    OutputSerializer = HoldOutputSerializer

    class InputSerializer(serializers.Serializer):
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

    @extend_schema(
        operation_id="show_holds_list",
        summary="The caller's unexpired holds on the show",
        responses={200: OutputSerializer, **errors(401, 404)},
        tags=["holds"],
    )
    def get(self, request, show_id):
        show = get_object_or_404(Show, pk=show_id)
        seats = selectors.holds_for_user(user=request.user, show=show)
        return Response(hold_body(show=show, seats=seats))

    @extend_schema(
        operation_id="show_holds_create",
        summary="Hold seats for SEAT_HOLD_SECONDS, all or nothing",
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            **errors(
                400,
                401,
                404,
                503,
                e409="SEAT_UNAVAILABLE (with `seats`: the ids not free), HOLD_LIMIT or SHOW_STARTED.",
            ),
        },
        tags=["holds"],
    )
    def post(self, request, show_id):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        show = get_object_or_404(Show, pk=show_id)
        if "seat_ids" in values:
            hold = services.seats_hold(user=request.user, show=show, seat_ids=values["seat_ids"])
        else:
            hold = services.seats_hold_best(
                user=request.user, show=show, quantity=values["quantity"], seat_type=values.get("seat_type")
            )
        body = hold_body(show=show, seats=hold.seats, expires_at=hold.expires_at)
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="show_holds_release",
        summary="Release all the caller's holds on the show",
        responses={
            200: inline_serializer(
                "Released",
                {
                    "message": serializers.CharField(),
                    "released": serializers.ListField(child=serializers.IntegerField()),
                },
            ),
            **errors(401, 404, 503),
        },
        tags=["holds"],
    )
    def delete(self, request, show_id):
        show = get_object_or_404(Show, pk=show_id)
        released = services.seats_release_all(user=request.user, show=show)
        return Response({"message": "Released", "released": released})


# --------------------------------------------------------------------------
# bookings
# --------------------------------------------------------------------------
def _booking_queryset():
    return Booking.objects.select_related("show__movie", "show__screen__theatre").prefetch_related("lines")


def _visible_bookings(user):
    return _booking_queryset() if user.is_staff else selectors.bookings_for_user(user=user)


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
        key = request.headers.get("Idempotency-Key")
        if key is not None:
            key = key.strip()
            if not key or len(key) > IDEMPOTENCY_KEY_MAX:
                raise exceptions.ValidationError(
                    {"Idempotency-Key": [f"Must be 1 to {IDEMPOTENCY_KEY_MAX} characters."]}
                )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        show = get_object_or_404(Show.objects.select_related("movie", "screen__theatre"), pk=values["show_id"])
        render = self.OutputSerializer
        outcome = services.booking_confirm(
            user=request.user,
            show=show,
            seat_ids=values["seat_ids"],
            idempotency_key=key or None,
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
        show = get_object_or_404(Show, pk=show_id)
        bookings = _booking_queryset().select_related("user").filter(show=show).order_by("-created_at", "-pk")
        return Response(self.OutputSerializer(bookings, many=True).data)


# --------------------------------------------------------------------------
# screens (staff writes; layout changes reach the shows' seats)
# --------------------------------------------------------------------------
LAYOUT_HELP = (
    "Rows from the front (row A) back, one character per position: S standard, "
    "P premium, R recliner, A accessible, _ gap."
)


def _layout_field(**kwargs):
    return serializers.ListField(
        child=serializers.CharField(max_length=200, trim_whitespace=False),
        min_length=1,
        max_length=52,
        help_text=LAYOUT_HELP,
        **kwargs,
    )


class ScreenOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    theatre_id = serializers.IntegerField()
    theatre = serializers.CharField(source="theatre.name")
    name = serializers.CharField()
    layout = serializers.ListField(source="layout_rows", child=serializers.CharField(), help_text=LAYOUT_HELP)
    seats_total = serializers.IntegerField()


def _screens():
    return Screen.objects.select_related("theatre").annotate(seats_total=Count("seats")).order_by("theatre", "name")


class ScreenListApi(APIView):
    permission_classes = [IsStaffOrReadOnly]
    OutputSerializer = ScreenOutputSerializer

    class InputSerializer(serializers.Serializer):
        theatre_id = id_field()
        name = serializers.CharField(max_length=100)
        layout = _layout_field()

    @extend_schema(
        operation_id="screens_list",
        responses={200: OutputSerializer(many=True)},
        auth=[],
        tags=["catalogue"],
    )
    def get(self, request):
        return Response(self.OutputSerializer(_screens(), many=True).data)

    @extend_schema(
        operation_id="screens_create",
        summary="Add a screen and its seats from the layout (staff)",
        request=InputSerializer,
        responses={201: OutputSerializer, **errors(400, 401, 403)},
        tags=["catalogue"],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        theatre = _lookup(Theatre, values["theatre_id"], "theatre_id")
        if Screen.objects.filter(theatre=theatre, name=values["name"]).exists():
            raise exceptions.ValidationError({"name": ["This theatre already has a screen of that name."]})
        screen = catalog_services.screen_create(
            theatre=theatre,
            name=values["name"],
            layout=values["layout"],
        )
        return Response(self.OutputSerializer(_screens().get(pk=screen.pk)).data, status=status.HTTP_201_CREATED)


class ScreenDetailApi(APIView):
    permission_classes = [IsStaffOrReadOnly]
    OutputSerializer = ScreenOutputSerializer

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100, required=False)
        layout = _layout_field(required=False)

    @extend_schema(
        operation_id="screens_retrieve",
        responses={200: OutputSerializer, **errors(404)},
        auth=[],
        tags=["catalogue"],
    )
    def get(self, request, screen_id):
        return Response(self.OutputSerializer(get_object_or_404(_screens(), pk=screen_id)).data)

    @extend_schema(
        operation_id="screens_update",
        summary="Rename a screen or change its layout (staff); upcoming shows follow the layout",
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            **errors(400, 401, 403, 404, 503, e409="LAYOUT_IN_USE: the new layout drops sold or held seats."),
        },
        tags=["catalogue"],
    )
    def patch(self, request, screen_id):
        screen = get_object_or_404(Screen, pk=screen_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if "name" in values and values["name"] != screen.name:
            if Screen.objects.filter(theatre_id=screen.theatre_id, name=values["name"]).exists():
                raise exceptions.ValidationError({"name": ["This theatre already has a screen of that name."]})
        if "layout" in values:  # layout and name change together or not at all
            screen = services.screen_layout_update(screen=screen, layout=values["layout"], name=values.get("name"))
        elif "name" in values:
            catalog_services.screen_rename(screen=screen, name=values["name"])
        return Response(self.OutputSerializer(_screens().get(pk=screen.pk)).data)

    @extend_schema(
        operation_id="screens_delete",
        summary="Delete a screen with no shows (staff)",
        responses={204: None, **errors(401, 403, 404, e409="SCREEN_HAS_SHOWS.")},
        tags=["catalogue"],
    )
    def delete(self, request, screen_id):
        screen = get_object_or_404(Screen, pk=screen_id)
        try:
            catalog_services.screen_delete(screen=screen)
        except ProtectedError as exc:
            raise Conflict("This screen has shows, so it cannot be deleted.", code="SCREEN_HAS_SHOWS") from exc
        return Response(status=status.HTTP_204_NO_CONTENT)
