"""Shows API: a movie's upcoming shows, and scheduling, changing and deleting a
show (staff), through booking.services.scheduling."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from booking import selectors, services
from booking.api.common import FIRST_DATE, LAST_DATE, ShowStartField, lookup
from booking.api.serializers import PricesField, ShowOutputSerializer
from catalog import selectors as catalog_selectors
from catalog.models import Movie, Screen, Show
from cinema import readcache
from cinema.api import IsStaff, IsStaffOrReadOnly, errors, id_field
from cinema.permissions import staff_scope_queryset


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
    @readcache.cached_get()
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
            movie=lookup(Movie, values["movie_id"], "movie_id"),
            screen=lookup(Screen, values["screen_id"], "screen_id", user=request.user),
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
        show = get_object_or_404(staff_scope_queryset(Show.objects.all(), request.user), pk=show_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        services.show_update(
            show=show,
            movie=lookup(Movie, values["movie_id"], "movie_id") if "movie_id" in values else None,
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
        services.show_delete(show=get_object_or_404(staff_scope_queryset(Show.objects.all(), request.user), pk=show_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
