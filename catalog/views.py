"""Moviegoer pages of the catalogue: home (movies now showing) and a movie's shows.

Filters come from the query string: city (remembered in a cookie), date (the
date strip), language and time of day. A value that cannot be used is said so
on the page (400), never silently ignored; a valid one that matches nothing
gets an empty state.
"""

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from django.shortcuts import get_object_or_404, render

from catalog.models import Movie, ShowFormat
from catalog.selectors import (
    TIMES_OF_DAY,
    city_list,
    movie_ids_showing_at,
    movie_shows_by_day,
    movies_now_showing,
    show_availability,
    show_time_of_day,
    upcoming_days,
)

CITY_COOKIE = "city"
CITY_COOKIE_AGE = 365 * 24 * 3600
TIME_LABELS = {
    "morning": "Morning (before 12:00)",
    "afternoon": "Afternoon (12–17)",
    "evening": "Evening (17–21)",
    "night": "Night (after 21:00)",
}
AVAILABILITY = {
    "AVAILABLE": ("Available", "available"),
    "FILLING_FAST": ("Filling fast", "filling"),
    "ALMOST_FULL": ("Almost full", "almost"),
    "SOLD_OUT": ("Sold out", "soldout"),
    "CANCELLED": ("Cancelled", "soldout"),
}


@dataclass
class Filters:
    city: str = ""
    day: date | None = None
    time: str = ""
    language: str = ""
    format: str = ""
    days: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    city_given: bool = False

    def query(self, **change) -> str:
        """The query string of these filters with ``change`` applied."""
        values = {"city": self.city, "date": self.day.isoformat() if self.day else "", "time": self.time}
        values["language"] = self.language
        values["format"] = self.format
        values.update(change)
        return urlencode({k: v for k, v in values.items() if v})


def _filters(request, cities, languages=()) -> Filters:
    f = Filters(days=upcoming_days())
    raw = request.GET.get("city")
    if raw is None:
        remembered = request.COOKIES.get(CITY_COOKIE, "")
        f.city = remembered if remembered in cities else ""
    else:
        # A city with no theatres is a valid filter that matches nothing: the
        # empty state says so. Only a city we have is remembered.
        f.city, f.city_given = raw, (not raw or raw in cities)
    raw = request.GET.get("date", "")
    if raw:
        try:
            f.day = date.fromisoformat(raw)
        except ValueError:
            f.errors.append(f"“{raw[:20]}” is not a date (YYYY-MM-DD): choose one of the next {len(f.days)} days.")
    raw = request.GET.get("time", "")
    if raw and raw not in TIMES_OF_DAY:
        f.errors.append(f"“{raw[:20]}” is not a time of day: choose morning, afternoon, evening or night.")
    elif raw:
        f.time = raw
    raw = request.GET.get("language", "")
    if raw:  # a language no movie is in matches nothing (the empty state)
        f.language = raw
    raw = request.GET.get("format", "")
    if raw and raw not in ShowFormat.values:
        f.errors.append(f"“{raw[:10]}” is not a format: choose {', '.join(ShowFormat.values)}.")
    elif raw:
        f.format = raw
    return f


def _respond(request, template, context, f: Filters):
    context.update(
        {
            "filters": f,
            "cities": context.get("cities", []),
            "city": f.city,
            "day": f.day,
            "days": f.days,
            "time": f.time,
            "times": list(TIME_LABELS.items()),
            "language": f.language,
            "formats": ShowFormat.values,
            "show_format": f.format,
            "date_strip": [{"day": d, "query": f.query(date=d.isoformat())} for d in f.days],
            "any_day_query": f.query(date=""),
        }
    )
    response = render(request, template, context, status=400 if f.errors else 200)
    if f.city_given:
        if f.city:
            response.set_cookie(CITY_COOKIE, f.city, max_age=CITY_COOKIE_AGE, samesite="Lax", httponly=True)
        else:
            response.delete_cookie(CITY_COOKIE, samesite="Lax")
    return response


def home(request):
    cities = city_list()
    movies = list(movies_now_showing())
    languages = sorted({m.language for m in movies if m.language})
    f = _filters(request, cities, languages)
    if f.city or f.day:
        movies = list(movies_now_showing(city=f.city or None, day=f.day))
    if f.language:
        movies = [m for m in movies if m.language == f.language]
    if f.time or f.format:
        showing = movie_ids_showing_at(
            time_of_day=f.time or None, show_format=f.format or None, city=f.city or None, day=f.day
        )
        movies = [m for m in movies if m.pk in showing]
    context = {"movies": movies, "cities": cities, "languages": languages}
    return _respond(request, "catalog/home.html", context, f)


def movie_detail(request, movie_id):
    movie = get_object_or_404(Movie, pk=movie_id, is_active=True)
    cities = city_list()
    f = _filters(request, cities)
    schedule = movie_shows_by_day(movie=movie, city=f.city or None)
    if f.time or f.format:
        for group in schedule:
            for item in group["theatres"]:
                item["shows"] = [
                    s
                    for s in item["shows"]
                    if (not f.time or show_time_of_day(s.start_time) == f.time)
                    and (not f.format or s.format == f.format)
                ]
            group["theatres"] = [item for item in group["theatres"] if item["shows"]]
        schedule = [group for group in schedule if group["theatres"]]
    shows = [s for group in schedule for item in group["theatres"] for s in item["shows"]]
    availability = show_availability(shows=shows)
    for show in shows:
        label, css = AVAILABILITY[availability.get(show.pk, "AVAILABLE")]
        show.availability_label, show.availability_class = label, css
        show.sold_out = css == "soldout"
    context = {"movie": movie, "schedule": schedule, "cities": cities}
    return _respond(request, "catalog/movie_detail.html", context, f)
