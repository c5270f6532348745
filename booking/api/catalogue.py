"""Browsing shows (SPEC 7.4): search by title, a theatre's or a screen's shows.
Shows carry seat counts and a status, so these lists live beside the seat
rules; catalog.selectors decides what is on sale, catalog.filters parses the
query string, cinema.pagination pages the lists."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from booking import selectors
from booking.api.serializers import ShowOutputSerializer
from catalog import selectors as catalog_selectors
from catalog.filters import catalogue_filters_parse
from catalog.models import Screen, Theatre
from cinema.api import errors
from cinema.pagination import CursorPage

SHOW_ORDER = ("start_time", "pk")
EMPTY = {"free": 0, "held": 0, "sold": 0, "total": 0}

PAGE_PARAMS = [
    OpenApiParameter("limit", int, description="Page size, 1 to 200 (default 50)."),
    OpenApiParameter("cursor", str, description='From the `Link: <…>; rel="next"` header of the previous page.'),
]
DATE = OpenApiParameter("date", str, description="YYYY-MM-DD, in the theatres' local time.")


def with_counts(shows: list) -> list:
    """Attach seat counts to shows already read (one grouped query)."""
    counts = selectors.show_seat_counts(shows=shows)
    for show in shows:
        show.counts = counts.get(show.pk, EMPTY)
    return shows


def show_page(request, shows) -> Response:
    page = CursorPage(SHOW_ORDER)
    items = with_counts(page.paginate(shows, request))
    return page.response(ShowOutputSerializer(items, many=True).data)


class ShowSearchApi(APIView):
    @extend_schema(
        operation_id="shows_search",
        summary="Shows on sale whose movie title contains q (a plain array, paginated)",
        parameters=[
            OpenApiParameter("q", str, required=True, description="Part of the title, any case."),
            OpenApiParameter("city", str),
            DATE,
            *PAGE_PARAMS,
        ],
        responses={200: ShowOutputSerializer(many=True), **errors(400)},
        auth=[],
        tags=["shows"],
    )
    def get(self, request):
        f = catalogue_filters_parse(request.query_params, allowed=("q", "city", "date"), required=("q",))
        return show_page(request, catalog_selectors.shows_search(q=f["q"], city=f["city"], day=f["date"]))


class TheatreShowListApi(APIView):
    @extend_schema(
        operation_id="theatre_shows_list",
        summary="A theatre's shows on sale (a plain array, paginated)",
        parameters=[DATE, *PAGE_PARAMS],
        responses={200: ShowOutputSerializer(many=True), **errors(400, 404)},
        auth=[],
        tags=["shows"],
    )
    def get(self, request, theatre_id):
        f = catalogue_filters_parse(request.query_params, allowed=("date",))
        theatre = get_object_or_404(Theatre, pk=theatre_id)
        return show_page(request, catalog_selectors.theatre_shows(theatre=theatre, day=f["date"]))


class ScreenShowListApi(APIView):
    @extend_schema(
        operation_id="screen_shows_list",
        summary="A screen's shows on sale (a plain array, paginated)",
        parameters=[DATE, *PAGE_PARAMS],
        responses={200: ShowOutputSerializer(many=True), **errors(400, 404)},
        auth=[],
        tags=["shows"],
    )
    def get(self, request, screen_id):
        f = catalogue_filters_parse(request.query_params, allowed=("date",))
        screen = get_object_or_404(Screen, pk=screen_id)
        return show_page(request, catalog_selectors.screen_shows(screen=screen, day=f["date"]))
