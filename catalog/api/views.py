"""Catalogue API: movies and theatres. Anyone reads; staff write.

Shows and screens change show seats, so their endpoints live in booking/api.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors, services
from catalog.api.serializers import (
    MovieInputSerializer,
    MovieOutputSerializer,
    TheatreInputSerializer,
    TheatreOutputSerializer,
)
from catalog.models import Movie, Theatre
from cinema import readcache
from cinema.api import errors
from cinema.permissions import PublicReadStaffModelPermissions, model_permission


class MovieListApi(APIView):
    permission_classes = [PublicReadStaffModelPermissions]
    permission_model = Movie
    InputSerializer = MovieInputSerializer
    OutputSerializer = MovieOutputSerializer

    @extend_schema(
        operation_id="movies_list",
        summary="Active movies (a plain array)",
        responses={200: OutputSerializer(many=True)},
        auth=[],
        tags=["catalogue"],
    )
    @readcache.cached_get()
    def get(self, request):
        movies = selectors.movies_active()
        return Response(self.OutputSerializer(movies, many=True).data)

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
        responses={200: OutputSerializer(many=True)},
        auth=[],
        tags=["catalogue"],
    )
    @readcache.cached_get()
    def get(self, request):
        return Response(self.OutputSerializer(Theatre.objects.order_by("city", "name"), many=True).data)

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
