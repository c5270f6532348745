"""Load demo data: movies, two theatres in two cities, screens, a week of shows
and two logins. Safe to run again: it only adds what is missing."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from booking.services import show_schedule
from catalog.models import Movie, Screen, Show, Theatre
from catalog.services import screen_create

DEMO_USER = ("demo@example.com", "demo-pass-2026", "Asha Demo")
STAFF_USER = ("staff@example.com", "staff-pass-2026", "Sam Staff")

MOVIES = [
    (
        "Monsoon Heist",
        "A crew of retired magicians plans one last robbery during Mumbai's wettest week.",
        148,
        "UA",
        "Hindi",
        ["Thriller", "Comedy"],
    ),
    (
        "The Last Orbit",
        "A lone engineer must bring a failing space station home before the sun sets on it.",
        132,
        "UA",
        "English",
        ["Sci-Fi", "Drama"],
    ),
    (
        "Chai & Chaos",
        "Two rival tea stalls, one wedding, and a city that will never be the same.",
        124,
        "U",
        "Hindi",
        ["Comedy", "Romance"],
    ),
    (
        "Kingdom of Sand",
        "An exiled princess crosses the desert to reclaim a throne nobody wants.",
        162,
        "UA",
        "Tamil",
        ["Action", "Adventure"],
    ),
    (
        "Paper Lanterns",
        "A grandmother teaches her grandson to fold the lanterns of her childhood festival.",
        104,
        "U",
        "Bengali",
        ["Family", "Drama"],
    ),
    (
        "Northern Lights",
        "A detective chases a forger across Norway's winter nights.",
        118,
        "A",
        "English",
        ["Crime", "Mystery"],
    ),
]

IMAX = ["AA__SSSSSSSSSSSS__AA"] + ["SSSS_SSSSSSSSSS_SSSS"] * 5 + ["PPPP_PPPPPPPPPP_PPPP"] * 5 + ["RRR__RRRRRR__RRR"] * 2
MEDIUM = ["AA_SSSSSSSS_AA"] + ["SSSSSS_SSSSSS"] * 7 + ["PPPPPP_PPPPPP"] * 2
SMALL = ["SSSS_SSSS"] * 6 + ["RRR__RRR"]

THEATRES = [
    (
        "Galaxy Multiplex",
        "Mumbai",
        "Phoenix Mills, Lower Parel, Mumbai 400013",
        [("Audi 1 IMAX", IMAX), ("Audi 2", MEDIUM)],
    ),
    (
        "Lakeside Cinemas",
        "Bengaluru",
        "Forum Mall, Koramangala, Bengaluru 560095",
        [("Screen 1", MEDIUM), ("Screen 2 Gold", SMALL)],
    ),
]
SHOW_TIMES = [time(10, 0), time(13, 30), time(17, 0), time(20, 45)]
PRICES = {
    "STANDARD": Decimal("250.00"),
    "PREMIUM": Decimal("350.00"),
    "RECLINER": Decimal("600.00"),
    "ACCESSIBLE": Decimal("250.00"),
}
DAYS = 7


def _credits(title: str) -> tuple[list, list]:
    """Made-up cast and crew for a demo movie (stable per title)."""
    first = ["Asha", "Vikram", "Meera", "Arjun", "Kavya", "Rohan", "Zoya", "Dev"]
    last = ["Rao", "Kapoor", "Iyer", "Menon", "Shah", "Khan", "Das", "Nair"]
    seed = sum(map(ord, title))
    name = lambda n: f"{first[(seed + n) % len(first)]} {last[(seed * 3 + n) % len(last)]}"  # noqa: E731
    cast = [{"name": name(n), "character": role} for n, role in enumerate(["Lead", "Friend", "Rival"])]
    crew = [{"name": name(n + 5), "job": job} for n, job in enumerate(["Director", "Writer", "Music"])]
    return cast, crew


class Command(BaseCommand):
    help = "Load idempotent demo data (refuses a DEBUG-off database unless --force)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off.")
        parser.add_argument("--days", type=int, default=DAYS, help="How many days of shows (default 7).")

    def handle(self, *args, force=False, days=DAYS, **options):
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG is off: this looks like a production database. Use --force to seed it anyway.")
        User = get_user_model()
        for email, password, name, staff in (DEMO_USER + (False,), STAFF_USER + (True,)):
            if not User.objects.filter(email=email).exists():
                if staff:
                    User.objects.create_superuser(email=email, password=password, name=name, email_verified=True)
                else:
                    User.objects.create_user(email=email, password=password, name=name, email_verified=True)

        movies = []
        for title, desc, mins, rating, lang, genres in MOVIES:
            cast, crew = _credits(title)
            movie, _ = Movie.objects.get_or_create(
                title=title,
                defaults=dict(
                    description=desc,
                    duration_mins=mins,
                    rating=rating,
                    language=lang,
                    genres=genres,
                    cast=cast,
                    crew=crew,
                    release_date=timezone.localdate() - timedelta(days=len(movies) * 9),
                ),
            )
            movies.append(movie)

        screens = []
        for name, city, address, screen_specs in THEATRES:
            theatre, _ = Theatre.objects.get_or_create(name=name, city=city, defaults={"address": address})
            for screen_name, layout in screen_specs:
                screen = Screen.objects.filter(theatre=theatre, name=screen_name).first()
                screens.append(screen or screen_create(theatre=theatre, name=screen_name, layout=layout))

        created = 0
        now = timezone.now()
        today = timezone.localdate()
        for day in range(days):
            date = today + timedelta(days=day)
            for s_index, screen in enumerate(screens):
                for t_index, at in enumerate(SHOW_TIMES):
                    start = timezone.make_aware(datetime.combine(date, at))
                    if start <= now or Show.objects.filter(screen=screen, start_time=start).exists():
                        continue
                    movie = movies[(s_index + t_index + day) % len(movies)]
                    details = {
                        "format": "IMAX"
                        if "IMAX" in screen.name
                        else ("3D" if t_index == len(SHOW_TIMES) - 1 else "2D"),
                        "language": movie.language,
                        "subtitles": "English" if movie.language != "English" else "",
                    }
                    show_schedule(movie=movie, screen=screen, start_time=start, prices=PRICES, details=details)
                    created += 1

        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new shows)."))
        self.stdout.write(f"  Moviegoer: {DEMO_USER[0]} / {DEMO_USER[1]}")
        self.stdout.write(f"  Staff:     {STAFF_USER[0]} / {STAFF_USER[1]}  (http://127.0.0.1:8000/admin/)")
