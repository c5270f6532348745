"""Reads of the catalogue: movies, theatres and shows.

Times are stored in UTC; a "date" here is a calendar day in the theatres'
local time (TIME_ZONE), which is what people mean by "shows on Friday".
"""

from datetime import date as date_type
from datetime import datetime, time, timedelta

from django.db.models import Min, Q, QuerySet
from django.utils import timezone

from catalog.models import Movie, Show, Theatre


# --------------------------------------------------------------------------
# what is on sale: the one rule
# --------------------------------------------------------------------------
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
    """A show with its movie, screen and theatre (one query), or None."""
    return Show.objects.select_related("movie", "screen__theatre").filter(pk=show_id).first()


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
