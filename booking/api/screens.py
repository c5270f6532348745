"""Screens API. Screens are catalogue objects, but editing one reaches the
seats of its shows, so the endpoints live here beside the seat rules and call
booking.services.screen_update (catalog/ never imports booking)."""

from django.db.models import Count
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from booking import services
from booking.api.common import lookup
from catalog import services as catalog_services
from catalog.filters import catalogue_filters_parse
from catalog.models import Screen, Theatre
from cinema.api import errors, id_field
from cinema.permissions import PublicReadStaffModelPermissions

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
    permission_classes = [PublicReadStaffModelPermissions]
    permission_model = Screen
    OutputSerializer = ScreenOutputSerializer

    class InputSerializer(serializers.Serializer):
        theatre_id = id_field()
        name = serializers.CharField(max_length=100)
        layout = _layout_field()

    @extend_schema(
        operation_id="screens_list",
        summary="Screens (of one theatre with ?theatre_id=)",
        parameters=[OpenApiParameter("theatre_id", int, description="Only this theatre's screens; no match is [].")],
        responses={200: OutputSerializer(many=True), **errors(400)},
        auth=[],
        tags=["catalogue"],
    )
    def get(self, request):
        f = catalogue_filters_parse(request.query_params, allowed=("theatre_id",))
        screens = _screens()
        if f["theatre_id"]:
            screens = screens.filter(theatre_id=f["theatre_id"])
        return Response(self.OutputSerializer(screens, many=True).data)

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
        theatre = lookup(Theatre, values["theatre_id"], "theatre_id", user=request.user)
        screen = catalog_services.screen_create(
            theatre=theatre,
            name=values["name"],
            layout=values["layout"],
        )
        return Response(self.OutputSerializer(_screens().get(pk=screen.pk)).data, status=status.HTTP_201_CREATED)


class ScreenDetailApi(APIView):
    permission_classes = [PublicReadStaffModelPermissions]
    permission_model = Screen
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
        self.check_object_permissions(request, screen)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values:  # name and layout change together or not at all
            screen = services.screen_update(screen=screen, name=values.get("name"), layout=values.get("layout"))
        return Response(self.OutputSerializer(_screens().get(pk=screen.pk)).data)

    @extend_schema(
        operation_id="screens_delete",
        summary="Delete a screen with no shows (staff)",
        responses={204: None, **errors(401, 403, 404, e409="SCREEN_HAS_SHOWS.")},
        tags=["catalogue"],
    )
    def delete(self, request, screen_id):
        screen = get_object_or_404(Screen, pk=screen_id)
        self.check_object_permissions(request, screen)
        catalog_services.screen_delete(screen=screen)
        return Response(status=status.HTTP_204_NO_CONTENT)
