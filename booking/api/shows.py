"""Shows API: a movie's upcoming shows, and scheduling, changing and deleting a
show (staff), through booking.services.scheduling."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from booking import selectors, services
from booking.api.catalogue import PAGE_PARAMS, SHOW_ORDER, with_counts
from booking.api.common import ShowStartField, lookup
from booking.api.serializers import PricesField, ShowOutputSerializer
from booking.services.scheduling import SHOW_DETAILS
from catalog import selectors as catalog_selectors
from catalog.api.serializers import TheatreOutputSerializer
from catalog.filters import catalogue_filters_parse
from catalog.models import Movie, Screen, Show, ShowFormat
from cinema import readcache
from cinema.api import errors, id_field
from cinema.pagination import CursorPage
from cinema.permissions import PublicReadStaffModelPermissions, StaffModelPermissions, model_permission


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

    @extend_schema(
        operation_id="movie_shows_list",
        summary="Upcoming shows of a movie (a plain array, paginated); group=theatre: grouped by theatre",
        parameters=[
            OpenApiParameter("date", str, description="YYYY-MM-DD, in the theatre's local time."),
            OpenApiParameter("group", str, enum=["theatre"], description='[{"theatre": {…}, "shows": […]}]'),
            *PAGE_PARAMS,
        ],
        responses={200: OutputSerializer(many=True), **errors(400, 404)},
        auth=[],
        tags=["shows"],
    )
    @readcache.cached_get()
    def get(self, request, movie_id):
        f = catalogue_filters_parse(request.query_params, allowed=("date", "group"))
        staff_view = request.user.is_staff and request.user.has_perm(model_permission(Movie, "view"))
        movies = Movie.objects.all() if staff_view else Movie.objects.filter(is_active=True)
        movie = get_object_or_404(movies, pk=movie_id)
        shows = catalog_selectors.movie_shows_upcoming(movie=movie, day=f["date"])
        if f["group"] == "theatre":
            items = with_counts(list(shows))
            for show in items:
                show.movie = movie
            groups = catalog_selectors.shows_grouped_by_theatre(items)
            return Response(
                [
                    {
                        "theatre": TheatreOutputSerializer(g["theatre"]).data,
                        "shows": self.OutputSerializer(g["shows"], many=True).data,
                    }
                    for g in groups
                ]
            )
        page = CursorPage(SHOW_ORDER)
        items = with_counts(page.paginate(shows, request))
        for show in items:
            show.movie = movie
        return page.response(self.OutputSerializer(items, many=True).data)


class ShowListApi(APIView):
    permission_classes = [StaffModelPermissions]
    permission_model = Show
    OutputSerializer = ShowOutputSerializer

    class InputSerializer(serializers.Serializer):
        movie_id = id_field()
        screen_id = id_field()
        start_time = ShowStartField(help_text="ISO 8601, in the future; without an offset it is taken as UTC.")
        prices = PricesField(required=False)
        format = serializers.ChoiceField(choices=ShowFormat.choices, required=False)
        language = serializers.CharField(max_length=50, allow_blank=True, required=False, help_text="Audio language.")
        subtitles = serializers.CharField(max_length=50, allow_blank=True, required=False)

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
            movie=lookup(Movie, values["movie_id"], "movie_id"),
            screen=lookup(Screen, values["screen_id"], "screen_id", user=request.user),
            start_time=values["start_time"],
            prices=values.get("prices"),
            details={k: values[k] for k in SHOW_DETAILS if k in values},
        )
        show = _show_with_counts(_shows(request).get(pk=show.pk))
        return Response(self.OutputSerializer(show).data, status=status.HTTP_201_CREATED)


class ShowDetailApi(APIView):
    permission_classes = [PublicReadStaffModelPermissions]
    permission_model = Show
    OutputSerializer = ShowOutputSerializer

    class InputSerializer(serializers.Serializer):
        movie_id = id_field(required=False)
        start_time = ShowStartField(required=False, help_text="ISO 8601, in the future.")
        prices = PricesField(required=False)
        format = serializers.ChoiceField(choices=ShowFormat.choices, required=False)
        language = serializers.CharField(max_length=50, allow_blank=True, required=False, help_text="Audio language.")
        subtitles = serializers.CharField(max_length=50, allow_blank=True, required=False)

    @extend_schema(
        operation_id="shows_retrieve",
        summary="A show: movie, theatre, screen, times, prices, seats free/total",
        responses={200: OutputSerializer, **errors(404)},
        auth=[],
        tags=["shows"],
    )
    def get(self, request, show_id):
        show = self._show(request, show_id)
        return Response(self.OutputSerializer(_show_with_counts(show)).data)

    def _show(self, request, show_id):
        # Moviegoers see shows on sale; staff who may view shows see them all.
        staff_view = request.user.is_staff and request.user.has_perm(model_permission(Show, "view"))
        shows = _shows(request) if staff_view else _shows(request).filter(movie__is_active=True)
        show = get_object_or_404(shows, pk=show_id)
        self.check_object_permissions(request, show)
        return show

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
        show = self._show(request, show_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        services.show_update(
            show=show,
            movie=lookup(Movie, values["movie_id"], "movie_id") if "movie_id" in values else None,
            start_time=values.get("start_time"),
            prices=values.get("prices"),
            details={k: values[k] for k in SHOW_DETAILS if k in values},
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
        services.show_delete(show=self._show(request, show_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
