"""Reads of the catalogue: movies, theatres and shows.

Times are stored in UTC; a "date" here is a calendar day in the theatres'
local time (TIME_ZONE), which is what people mean by "shows on Friday".
"""

from datetime import date as date_type
from datetime import datetime, time, timedelta

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from catalog.models import Movie, Show, Theatre
from cinema.prepared import Prepared

# --------------------------------------------------------------------------
# what is on sale: the one rule
# --------------------------------------------------------------------------
# Read by every hold and every order: compiled once per process (cinema.prepared).
_LISTED = Prepared(Show, lambda pk: Show.objects.filter(movie__is_active=True, pk=pk))
_WITH_PLACE = Prepared(Show, lambda pk: Show.objects.select_related("movie", "screen__theatre").filter(pk=pk))


def show_listed(*, show_id: int) -> Show | None:
    """The show, if its movie is listed (the API's 404 otherwise)."""
    return _LISTED.first(show_id)


def show_with_place(*, show_id: int) -> Show | None:
    """The show with its movie, screen and theatre (what an order shows), or None."""
    return _WITH_PLACE.first(show_id)


def shows_on_sale(*, now: datetime | None = None) -> QuerySet[Show]:
    """Shows moviegoers may see and book: their movie is active and they have
    not started, and staff have not cancelled them. Pages, the API and the seat
    services all start from here (a deactivated movie's shows disappear
    everywhere at once)."""
    now = now or timezone.now()
    return Show.objects.filter(movie__is_active=True, start_time__gt=now, cancelled_at__isnull=True)


def show_is_on_sale(*, show: Show, now: datetime | None = None) -> bool:
    """The same rule for a show already loaded (with its movie)."""
    now = now or timezone.now()
    return show.movie.is_active and show.start_time > now and show.cancelled_at is None


# --------------------------------------------------------------------------
# pages
# --------------------------------------------------------------------------
PAGE_DAYS = 7


def local_day_bounds(day: date_type) -> tuple[datetime, datetime]:
    """The UTC-aware start and end of a local calendar day."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def city_list() -> list[str]:
    """Every city with a theatre, alphabetically (one query)."""
    return list(Theatre.objects.order_by("city").values_list("city", flat=True).distinct())


def upcoming_days(*, days: int = PAGE_DAYS, today: date_type | None = None) -> list[date_type]:
    """The local dates people can pick on the pages: today and the next few days."""
    today = today or timezone.localdate()
    return [today + timedelta(days=n) for n in range(days)]


def _upcoming_shows(*, city: str | None, day: date_type | None, now: datetime) -> Q:
    q = Q(shows__start_time__gt=now)
    if city:
        q &= Q(shows__screen__theatre__city=city)
    if day:
        start, end = local_day_bounds(day)
        q &= Q(shows__start_time__gte=start, shows__start_time__lt=end)
    return q


def movies_now_showing(
    *, city: str | None = None, day: date_type | None = None, now: datetime | None = None
) -> QuerySet[Movie]:
    """Active movies with at least one show still to start (in ``city``, on the
    local ``day``), each annotated with ``next_show``: its earliest such show
    time. Soonest first, in one query."""
    now = now or timezone.now()
    return (
        Movie.objects.filter(is_active=True)
        .annotate(next_show=Min("shows__start_time", filter=_upcoming_shows(city=city, day=day, now=now)))
        .filter(next_show__isnull=False)
        .order_by("next_show", "title")
    )


def movie_shows_by_day(*, movie: Movie, city: str | None = None, now: datetime | None = None) -> list[dict]:
    """The movie's shows still to start, grouped for the movie page, in one query:

    [{"day": date, "theatres": [{"theatre": Theatre, "shows": [Show, ...]}, ...]}, ...]

    days in order, theatres by city and name, shows by start time.
    """
    now = now or timezone.now()
    shows = shows_on_sale(now=now).filter(movie=movie).select_related("screen__theatre").order_by("start_time", "pk")
    if city:
        shows = shows.filter(screen__theatre__city=city)
    days: dict[date_type, dict[int, dict]] = {}
    for show in shows:
        day = timezone.localdate(show.start_time)
        theatre = show.screen.theatre
        group = days.setdefault(day, {}).setdefault(theatre.pk, {"theatre": theatre, "shows": []})
        group["shows"].append(show)
    return [
        {
            "day": day,
            "theatres": sorted(groups.values(), key=lambda g: (g["theatre"].city, g["theatre"].name)),
        }
        for day, groups in sorted(days.items())
    ]


def show_for_page(*, show_id: int) -> Show | None:
    """A show with its movie, screen and theatre (one query), or None. A
    withdrawn movie's shows are gone from the pages (None) as from the API;
    a show that has started is still found (its page says so, read-only)."""
    return Show.objects.select_related("movie", "screen__theatre").filter(pk=show_id, movie__is_active=True).first()


# --------------------------------------------------------------------------
# API
# --------------------------------------------------------------------------
def movies_active() -> QuerySet[Movie]:
    """Movies shown to moviegoers, by title."""
    return Movie.objects.filter(is_active=True).order_by("title", "pk")


def movie_shows_upcoming(*, movie: Movie, day: date_type | None = None, now: datetime | None = None) -> QuerySet[Show]:
    """The movie's shows still to start (on the local ``day``), soonest first,
    with screen and theatre, in one query."""
    shows = shows_on_sale(now=now).filter(movie=movie)
    if day:
        start, end = local_day_bounds(day)
        shows = shows.filter(start_time__gte=start, start_time__lt=end)
    return shows.select_related("screen__theatre").order_by("start_time", "pk")


# --------------------------------------------------------------------------
# browsing (SPEC 7.4): search, cities, theatres, shows per place, dates
# --------------------------------------------------------------------------
FILLING_FAST, ALMOST_FULL = 0.6, 0.9


def show_status(*, show: Show, sold: int, free: int, total: int) -> str:
    """AVAILABLE, FILLING_FAST (60 % sold), ALMOST_FULL (90 %), SOLD_OUT (no
    seat free) or CANCELLED (a show the cinema called off)."""
    if getattr(show, "cancelled_at", None) or getattr(show, "is_cancelled", False):
        return "CANCELLED"
    if total == 0 or free == 0:
        return "SOLD_OUT"
    share = sold / total
    if share >= ALMOST_FULL:
        return "ALMOST_FULL"
    if share >= FILLING_FAST:
        return "FILLING_FAST"
    return "AVAILABLE"


def theatres_in(*, city: str | None = None) -> QuerySet[Theatre]:
    """Theatres (of one city, matched without regard to case)."""
    theatres = Theatre.objects.all()
    if city:
        theatres = theatres.filter(city__iexact=city)
    return theatres


def _on_day(shows: QuerySet[Show], day: date_type | None) -> QuerySet[Show]:
    if day:
        start, end = local_day_bounds(day)
        shows = shows.filter(start_time__gte=start, start_time__lt=end)
    return shows


def shows_listed(*, now: datetime | None = None) -> QuerySet[Show]:
    """Shows on sale with what a list shows of them (one query)."""
    return shows_on_sale(now=now).select_related("movie", "screen__theatre")


def theatre_shows(*, theatre: Theatre, day: date_type | None = None, now: datetime | None = None) -> QuerySet[Show]:
    return _on_day(shows_listed(now=now).filter(screen__theatre=theatre), day)


def screen_shows(*, screen, day: date_type | None = None, now: datetime | None = None) -> QuerySet[Show]:
    return _on_day(shows_listed(now=now).filter(screen=screen), day)


def shows_search(*, q: str, city: str | None = None, day: date_type | None = None, now=None) -> QuerySet[Show]:
    """Shows on sale whose movie title contains ``q`` (any case)."""
    shows = shows_listed(now=now).filter(movie__title__icontains=q)
    if city:
        shows = shows.filter(screen__theatre__city__iexact=city)
    return _on_day(shows, day)


def movie_available_dates(*, movie: Movie, start: date_type, end: date_type, now: datetime | None = None) -> list:
    """The local dates from ``start`` to ``end`` (inclusive) with a show of the
    movie on sale, in order (one query over the start times)."""
    first, _ = local_day_bounds(start)
    _, last = local_day_bounds(end)
    times = (
        shows_on_sale(now=now)
        .filter(movie=movie, start_time__gte=first, start_time__lt=last)
        .values_list("start_time", flat=True)
    )
    return sorted({timezone.localdate(t) for t in times})


def shows_grouped_by_theatre(shows) -> list[dict]:
    """[{"theatre": Theatre, "shows": [Show, ...]}, ...]: theatres by city and
    name, shows by start time (from shows already read with their theatre)."""
    groups: dict[int, dict] = {}
    for show in sorted(shows, key=lambda s: (s.start_time, s.pk)):
        theatre = show.screen.theatre
        groups.setdefault(theatre.pk, {"theatre": theatre, "shows": []})["shows"].append(show)
    return sorted(groups.values(), key=lambda g: (g["theatre"].city, g["theatre"].name, g["theatre"].pk))


# browse pages: time of day and availability
# --------------------------------------------------------------------------
# Local hours [from, to) of each part of the day on the browse pages.
TIMES_OF_DAY = {"morning": (0, 12), "afternoon": (12, 17), "evening": (17, 21), "night": (21, 24)}


def show_time_of_day(start_time: datetime) -> str:
    hour = timezone.localtime(start_time).hour
    return next(name for name, (lo, hi) in TIMES_OF_DAY.items() if lo <= hour < hi)


def movie_ids_showing_at(
    *,
    time_of_day: str | None = None,
    show_format: str | None = None,
    city: str | None = None,
    day: date_type | None = None,
    now: datetime | None = None,
) -> set[int]:
    """Ids of movies with a show on sale in that part of the (local) day and
    that format. The hour is read in Python: MariaDB may lack time zone tables."""
    shows = shows_on_sale(now=now)
    if show_format:
        shows = shows.filter(format=show_format)
    if city:
        shows = shows.filter(screen__theatre__city=city)
    if day:
        start, end = local_day_bounds(day)
        shows = shows.filter(start_time__gte=start, start_time__lt=end)
    return {
        mid
        for mid, at in shows.values_list("movie_id", "start_time")
        if not time_of_day or show_time_of_day(at) == time_of_day
    }


def show_availability(*, shows) -> dict[int, str]:
    """{show id: show_status(...)} for a page's show times, in one grouped query.
    Sold means paid (an unpaid order's seats may still come free), so the hint
    is never more alarming than the seat map."""
    by_pk = {s.pk: s for s in shows}
    rows = (
        Show.objects.filter(pk__in=list(by_pk))
        .annotate(
            total=Count("show_seats"),
            sold=Count("show_seats", filter=Q(show_seats__status="SOLD", show_seats__held_until__isnull=True)),
        )
        .values_list("pk", "total", "sold")
    )
    return {pk: show_status(show=by_pk[pk], sold=sold, free=total - sold, total=total) for pk, total, sold in rows}
