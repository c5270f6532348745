"""Moviegoer pages of the catalogue: home (movies now showing) and a movie's shows."""

from datetime import date

from django.shortcuts import get_object_or_404, render

from catalog.models import Movie
from catalog.selectors import city_list, movie_shows_by_day, movies_now_showing, upcoming_days


def _filters(request, cities):
    """The city and date chosen in the query string, ignoring unknown values."""
    city = request.GET.get("city", "")
    if city not in cities:
        city = ""
    days = upcoming_days()
    try:
        day = date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = None
    if day not in days:
        day = None
    return city, day, days


def home(request):
    cities = city_list()
    city, day, days = _filters(request, cities)
    movies = list(movies_now_showing(city=city or None, day=day))
    context = {"movies": movies, "cities": cities, "city": city, "day": day, "days": days}
    return render(request, "catalog/home.html", context)


def movie_detail(request, movie_id):
    movie = get_object_or_404(Movie, pk=movie_id, is_active=True)
    cities = city_list()
    city, day, _ = _filters(request, cities)
    schedule = movie_shows_by_day(movie=movie, city=city or None)
    context = {"movie": movie, "schedule": schedule, "cities": cities, "city": city, "day": day}
    return render(request, "catalog/movie_detail.html", context)
