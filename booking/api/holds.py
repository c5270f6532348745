"""Holds as objects (SPEC 7.4): a user's seats on one show form one hold with a
stable id, created, read, changed and released here, through the same
services as the seat picker and the per-show and per-seat endpoints."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from booking import selectors, services
from booking.api.common import MAX_IDS, lookup
from booking.api.serializers import HoldInputSerializer, HoldOutputSerializer, hold_body
from booking.models import SeatStatus, ShowSeat
from booking.services.holds import hold_id_for, hold_id_parse
from catalog.models import Show
from cinema.api import errors, id_field

HELD, RELEASED, EXPIRED = "HELD", "RELEASED", "EXPIRED"


class HoldObjectOutputSerializer(HoldOutputSerializer):
    id = serializers.CharField(help_text="Stable for the caller and the show.")
    status = serializers.ChoiceField(choices=[HELD, RELEASED, EXPIRED])


def _body(*, show, user, seats, expires_at=None, state=None) -> dict:
    body = hold_body(show=show, seats=seats, expires_at=expires_at)
    body["id"] = hold_id_for(show_id=show.pk, user_id=user.pk)
    body["status"] = state or (HELD if seats else RELEASED)
    return body


def _show_of(request, hold_id) -> Show:
    """The show of one of the caller's holds; anyone else's (or nonsense) is 404."""
    parsed = hold_id_parse(hold_id)
    if parsed is None or parsed[1] != request.user.pk:
        raise NotFound("No such hold.")
    return get_object_or_404(Show.objects.select_related("movie"), pk=parsed[0])


_CONFLICTS = "SEAT_UNAVAILABLE (with `seats`), HOLD_LIMIT, SHOW_STARTED or SHOW_NOT_ON_SALE."


class HoldCreateApi(APIView):
    permission_classes = [IsAuthenticated]
    OutputSerializer = HoldObjectOutputSerializer

    class InputSerializer(HoldInputSerializer):
        show_id = id_field()

    @extend_schema(
        operation_id="holds_create",
        summary="Hold seats on a show, replacing your earlier seats there (all or nothing)",
        request=InputSerializer,
        responses={201: OutputSerializer, **errors(400, 401, 403, 429, 503, e409=_CONFLICTS)},
        tags=["holds"],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        show = lookup(Show, values["show_id"], "show_id")
        if "seat_ids" in values:
            hold = services.hold_replace(user=request.user, show=show, seat_ids=values["seat_ids"])
        else:
            hold = services.seats_hold_best(
                user=request.user,
                show=show,
                quantity=values["quantity"],
                seat_type=values.get("seat_type"),
                replace=True,
            )
        body = _body(show=show, user=request.user, seats=hold.seats, expires_at=hold.expires_at)
        return Response(body, status=status.HTTP_201_CREATED)


class HoldDetailApi(APIView):
    permission_classes = [IsAuthenticated]
    OutputSerializer = HoldObjectOutputSerializer

    class InputSerializer(serializers.Serializer):
        seat_ids = serializers.ListField(child=id_field(), min_length=1, max_length=MAX_IDS)

    @extend_schema(
        operation_id="holds_retrieve",
        summary="One of your holds: its seats while HELD; RELEASED or EXPIRED after",
        responses={200: OutputSerializer, **errors(401, 404)},
        tags=["holds"],
    )
    def get(self, request, hold_id):
        show = _show_of(request, hold_id)
        seats = selectors.holds_for_user(user=request.user, show=show)
        state = None
        if not seats:
            lapsed = ShowSeat.objects.filter(show_id=show.pk, held_by_id=request.user.pk, status=SeatStatus.LOCKED)
            state = EXPIRED if lapsed.exists() else RELEASED
        return Response(_body(show=show, user=request.user, seats=seats, state=state))

    @extend_schema(
        operation_id="holds_update",
        summary="Change the seats of a hold, all or nothing (the new seats are held before the old go)",
        request=InputSerializer,
        responses={200: OutputSerializer, **errors(400, 401, 403, 404, 429, 503, e409=_CONFLICTS)},
        tags=["holds"],
    )
    def patch(self, request, hold_id):
        show = _show_of(request, hold_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        hold = services.hold_replace(user=request.user, show=show, seat_ids=data.validated_data["seat_ids"])
        return Response(_body(show=show, user=request.user, seats=hold.seats, expires_at=hold.expires_at))


class HoldReleaseApi(APIView):
    permission_classes = [IsAuthenticated]
    OutputSerializer = HoldObjectOutputSerializer

    @extend_schema(
        operation_id="holds_release",
        summary="Release every seat of a hold (again is a no-op)",
        request=None,
        responses={200: OutputSerializer, **errors(401, 404, 503)},
        tags=["holds"],
    )
    def post(self, request, hold_id):
        show = _show_of(request, hold_id)
        services.seats_release_all(user=request.user, show=show)
        return Response(_body(show=show, user=request.user, seats=[], state=RELEASED))
