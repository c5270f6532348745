"""Catalogue API: movies and theatres. Anyone reads; staff write.

Shows and screens change show seats, so their endpoints live in booking/api.
"""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors, services
from catalog.api.serializers import (
    MovieInputSerializer,
    MovieOutputSerializer,
    TheatreInputSerializer,
    TheatreOutputSerializer,
)
from catalog.filters import catalogue_filters_parse, default_range
from catalog.models import Movie, Theatre
from cinema import readcache
from cinema.api import errors
from cinema.pagination import CursorPage
from cinema.permissions import PublicReadStaffModelPermissions, model_permission

PAGE_PARAMS = [
    OpenApiParameter("limit", int, description="Page size, 1 to 200 (default 50)."),
    OpenApiParameter("cursor", str, description='From the `Link: <…>; rel="next"` header of the previous page.'),
]


class MovieListApi(APIView):
    permission_classes = [PublicReadStaffModelPermissions]
    permission_model = Movie
    InputSerializer = MovieInputSerializer
    OutputSerializer = MovieOutputSerializer

    @extend_schema(
        operation_id="movies_list",
        summary="Active movies by title (a plain array, paginated)",
        parameters=PAGE_PARAMS,
        responses={200: OutputSerializer(many=True)},
        auth=[],
        tags=["catalogue"],
    )
    @readcache.cached_get()
    def get(self, request):
        page = CursorPage(("title", "pk"))
        movies = page.paginate(selectors.movies_active(), request)
        return page.response(self.OutputSerializer(movies, many=True).data)

    @extend_schema(
        operation_id="movies_create",
        summary="Add a movie (staff)",
        request=InputSerializer,
        responses={201: OutputSerializer, **errors(400, 401, 403)},
        tags=["catalogue"],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        movie = services.movie_create(**data.validated_data)
        return Response(self.OutputSerializer(movie).data, status=status.HTTP_201_CREATED)


class MovieDetailApi(APIView):
    permission_classes = [PublicReadStaffModelPermissions]
    permission_model = Movie
    InputSerializer = MovieInputSerializer
    OutputSerializer = MovieOutputSerializer

    def _movie(self, request, movie_id):
        # Staff who may see the whole catalogue see inactive movies too.
        staff_view = request.user.is_staff and request.user.has_perm(model_permission(Movie, "view"))
        movies = Movie.objects.all() if staff_view else selectors.movies_active()
        movie = get_object_or_404(movies, pk=movie_id)
        self.check_object_permissions(request, movie)
        return movie

    @extend_schema(
        operation_id="movies_retrieve",
        responses={200: OutputSerializer, **errors(404)},
        auth=[],
        tags=["catalogue"],
    )
    def get(self, request, movie_id):
        return Response(self.OutputSerializer(self._movie(request, movie_id)).data)

    @extend_schema(
        operation_id="movies_update",
        summary="Change a movie (staff); send only the fields to change",
        request=InputSerializer(partial=True),
        responses={200: OutputSerializer, **errors(400, 401, 403, 404)},
        tags=["catalogue"],
    )
    def patch(self, request, movie_id):
        movie = self._movie(request, movie_id)
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        movie = services.movie_update(movie=movie, **data.validated_data)
        return Response(self.OutputSerializer(movie).data)

    @extend_schema(
        operation_id="movies_delete",
        summary="Delete a movie with no shows (staff)",
        responses={204: None, **errors(401, 403, 404, e409="MOVIE_HAS_SHOWS: deactivate it instead.")},
        tags=["catalogue"],
    )
    def delete(self, request, movie_id):
        movie = self._movie(request, movie_id)
        services.movie_delete(movie=movie)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TheatreListApi(APIView):
    permission_classes = [PublicReadStaffModelPermissions]
    permission_model = Theatre
    InputSerializer = TheatreInputSerializer
    OutputSerializer = TheatreOutputSerializer

    @extend_schema(
        operation_id="theatres_list",
        summary="Theatres by city and name (a plain array, paginated)",
        parameters=[OpenApiParameter("city", str, description="Any case; no match is []."), *PAGE_PARAMS],
        responses={200: OutputSerializer(many=True), **errors(400)},
        auth=[],
        tags=["catalogue"],
    )
    @readcache.cached_get()
    def get(self, request):
        f = catalogue_filters_parse(request.query_params, allowed=("city",))
        page = CursorPage(("city", "name", "pk"))
        theatres = page.paginate(selectors.theatres_in(city=f["city"]), request)
        return page.response(self.OutputSerializer(theatres, many=True).data)

    @extend_schema(
        operation_id="theatres_create",
        summary="Add a theatre (staff)",
        request=InputSerializer,
        responses={201: OutputSerializer, **errors(400, 401, 403)},
        tags=["catalogue"],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        theatre = services.theatre_create(**data.validated_data)
        return Response(self.OutputSerializer(theatre).data, status=status.HTTP_201_CREATED)


class TheatreDetailApi(APIView):
    permission_classes = [PublicReadStaffModelPermissions]
    permission_model = Theatre
    InputSerializer = TheatreInputSerializer
    OutputSerializer = TheatreOutputSerializer

    def _theatre(self, request, theatre_id):
        theatre = get_object_or_404(Theatre, pk=theatre_id)
        self.check_object_permissions(request, theatre)
        return theatre

    @extend_schema(
        operation_id="theatres_retrieve",
        responses={200: OutputSerializer, **errors(404)},
        auth=[],
        tags=["catalogue"],
    )
    def get(self, request, theatre_id):
        return Response(self.OutputSerializer(self._theatre(request, theatre_id)).data)

    @extend_schema(
        operation_id="theatres_update",
        summary="Change a theatre (staff)",
        request=InputSerializer(partial=True),
        responses={200: OutputSerializer, **errors(400, 401, 403, 404)},
        tags=["catalogue"],
    )
    def patch(self, request, theatre_id):
        theatre = self._theatre(request, theatre_id)
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        theatre = services.theatre_update(theatre=theatre, **data.validated_data)
        return Response(self.OutputSerializer(theatre).data)

    @extend_schema(
        operation_id="theatres_delete",
        summary="Delete a theatre with no screens (staff)",
        responses={204: None, **errors(401, 403, 404, e409="THEATRE_HAS_SCREENS.")},
        tags=["catalogue"],
    )
    def delete(self, request, theatre_id):
        theatre = self._theatre(request, theatre_id)
        services.theatre_delete(theatre=theatre)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CityListApi(APIView):
    @extend_schema(
        operation_id="cities_list",
        summary="Every city with a theatre, alphabetically (a plain array of names)",
        responses={200: OpenApiTypes.STR},
        auth=[],
        tags=["catalogue"],
    )
    def get(self, request):
        return Response(selectors.city_list())


class MovieAvailabilityApi(APIView):
    @extend_schema(
        operation_id="movie_availability",
        summary="The local dates with a show of the movie on sale",
        parameters=[
            OpenApiParameter("from", str, description="YYYY-MM-DD (default today)."),
            OpenApiParameter("to", str, description="YYYY-MM-DD, at most 366 days on (default from + 30)."),
        ],
        responses={
            200: inline_serializer(
                "MovieAvailability",
                {"movie_id": serializers.IntegerField(), "dates": serializers.ListField(child=serializers.DateField())},
            ),
            **errors(400, 404),
        },
        auth=[],
        tags=["catalogue"],
    )
    def get(self, request, movie_id):
        f = catalogue_filters_parse(request.query_params, allowed=("from", "to"))
        movie = get_object_or_404(selectors.movies_active(), pk=movie_id)
        start, end = default_range(f["from"], f["to"], today=timezone.localdate())
        if (end - start).days > 366 or end < start:
            return Response(
                {
                    "error": {
                        "code": "INVALID",
                        "message": "Bad value for `to`.",
                        "fields": {"to": ["At most 366 days after from."]},
                    }
                },
                status=400,
            )
        dates = selectors.movie_available_dates(movie=movie, start=start, end=end)
        return Response({"movie_id": movie.pk, "dates": [d.isoformat() for d in dates]})
