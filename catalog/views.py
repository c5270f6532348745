"""Moviegoer pages of the catalogue: home (movies now showing) and a movie's shows."""

from django.shortcuts import get_object_or_404, render

from catalog.filters import FilterInvalid, catalogue_filters_parse
from catalog.models import Movie
from catalog.selectors import city_list, movie_shows_by_day, movies_now_showing, upcoming_days


def _filters(request):
    """(city, day, error): the filters of the query string, parsed as the API
    parses them (catalog.filters). A city or day that matches nothing filters
    down to nothing; a value that cannot be parsed is an error to show."""
    try:
        values = catalogue_filters_parse(request.GET, allowed=("city", "date"))
    except FilterInvalid as exc:
        problems = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in exc.details["fields"].items())
        return "", None, f"That filter is not valid ({problems}). Showing everything instead."
    return values["city"] or "", values["date"], ""


def home(request):
    cities = city_list()
    city, day, error = _filters(request)
    movies = list(movies_now_showing(city=city or None, day=day))
    context = {
        "movies": movies,
        "cities": cities,
        "city": city,
        "day": day,
        "days": upcoming_days(),
        "filter_error": error,
    }
    return render(request, "catalog/home.html", context, status=400 if error else 200)


def movie_detail(request, movie_id):
    movie = get_object_or_404(Movie, pk=movie_id, is_active=True)
    cities = city_list()
    city, day, error = _filters(request)
    schedule = movie_shows_by_day(movie=movie, city=city or None)
    context = {"movie": movie, "schedule": schedule, "cities": cities, "city": city, "day": day, "filter_error": error}
    return render(request, "catalog/movie_detail.html", context, status=400 if error else 200)
