"""Seat maps and holds: the seat map of a show (the hot path: a handful of
cheap queries, ETag / 304), and holding and releasing seats through
booking.services.holds."""

import json
from dataclasses import replace

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from booking import selectors, services, sql
from booking.api.serializers import HoldInputSerializer, HoldOutputSerializer, SeatOutputSerializer, hold_body
from booking.models import SeatStatus
from booking.services.holds import hold_id_for
from catalog import selectors as catalog_selectors
from catalog.models import Show
from cinema import readcache
from cinema.api import UTCDateTimeField, errors, utc_iso


def _listed_show_or_404(show_id) -> Show:
    """The show if its movie is listed (catalog.selectors.show_listed), else 404."""
    show = catalog_selectors.show_listed(show_id=show_id)
    if show is None:
        raise Http404
    return show


# --------------------------------------------------------------------------
# seat map (the hot path: one shared cached answer per show, see cinema/readcache.py)
# --------------------------------------------------------------------------
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
        if request.user.is_authenticated:
            return self._mine(request, show_id)
        # Anonymous viewers share one cached answer (cinema/readcache.py).
        return readcache.respond(
            request, self._shared(request, show_id), cache_control="public, no-cache", vary=("Authorization", "Cookie")
        )

    def _shared(self, request, show_id, *, polling: bool = False) -> readcache.Entry:
        """The map as nobody's viewer sees it, from the shared cache (``polling``:
        not an answer built from a read replica)."""
        key, versions, _ = readcache.route(request) or (f"seat-map:{show_id}", ["catalog", f"show:{show_id}"], "")

        def build():
            return readcache.render_drf(self, request, self._build(request, show_id))

        polling = polling or "HTTP_IF_NONE_MATCH" in request.META
        return readcache.entry_get(key=key, versions=versions, build=build, polling=polling)

    def _mine(self, request, show_id):
        shared = self._shared(request, show_id, polling=True)  # signed in: never a replica's map
        entry = seat_map_signed_in(request, shared, show_id)
        return readcache.respond(request, entry, cache_control=SIGNED_IN_CACHE_CONTROL, vary=readcache.VARY)

    def _build(self, request, show_id):
        show = _listed_show_or_404(show_id)
        seats = selectors.seat_map_for_show(show=show)
        currency = settings.CURRENCY
        price_text = {kind: f"{price:.2f}" for kind, price in show.prices.items()}
        for seat in seats:
            seat["price"] = price_text[seat["type"]]
            seat["currency"] = currency
        return Response(seats)


SIGNED_IN_CACHE_CONTROL = "private, no-cache"


def seat_map_signed_in(request, shared: readcache.Entry, show_id) -> readcache.Entry:
    """The shared map with the signed-in viewer's own holds merged in: one
    indexed query for them (hand-written: booking/sql.py), so polling stays
    one cache read per show, not a map build per viewer. The view and
    cinema.readfront (registered in booking.apps) both answer with it."""
    now = timezone.now()
    mine = {pk: utc_iso(until) for pk, until in sql.held_by_sql(show_id=int(show_id), user=request.user, now=now)}
    if not mine:
        return shared
    seats = json.loads(shared.body)
    for seat in seats:
        if seat["id"] in mine:
            seat.update(status=SeatStatus.LOCKED, mine=True, expires_at=mine[seat["id"]])
    body = json.dumps(seats, separators=(",", ":"), ensure_ascii=False).encode()
    return replace(readcache.entry_from_bytes(body, shared.content_type), headers=shared.headers)


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
        seat = selectors.show_seat_with_show(seat_id=seat_id)
        if seat is None:
            raise Http404
        if data.validated_data["status"] == SeatStatus.LOCKED:
            hold = services.seats_hold(user=request.user, show=seat.show, seat_ids=[seat.pk], seen=[seat])
            body = {"message": "Locked", "expires_at": hold.expires_at}
        else:
            services.seats_release(user=request.user, show=seat.show, seat_ids=[seat.pk])
            body = {"message": "Released", "expires_at": None}
        body.update(seat_id=seat.pk, show_id=seat.show_id)
        return Response(self.OutputSerializer(body).data)


class ShowHoldApi(APIView):
    permission_classes = [IsAuthenticated]
    OutputSerializer = HoldOutputSerializer

    class InputSerializer(HoldInputSerializer):
        pass

    @extend_schema(
        operation_id="show_holds_list",
        summary="The caller's unexpired holds on the show",
        responses={200: OutputSerializer, **errors(401, 404)},
        tags=["holds"],
    )
    def get(self, request, show_id):
        show = _listed_show_or_404(show_id)
        seats = selectors.holds_for_user(user=request.user, show=show)
        body = hold_body(show=show, seats=seats)
        body["id"] = hold_id_for(show_id=show.pk, user_id=request.user.pk)  # the same hold as /holds/{id}
        return Response(body)

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
        show = _listed_show_or_404(show_id)
        if "seat_ids" in values:
            hold = services.seats_hold(user=request.user, show=show, seat_ids=values["seat_ids"])
        else:
            hold = services.seats_hold_best(
                user=request.user, show=show, quantity=values["quantity"], seat_type=values.get("seat_type")
            )
        body = hold_body(show=show, seats=hold.seats, expires_at=hold.expires_at)
        body["id"] = hold.id  # the same hold as /holds/{id}
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
