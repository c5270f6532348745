"""Sales report over 100,000 orders: time and memory (SPEC 7.2/7.4 budget:
under 2 s, constant memory). Prints one JSON object.

    DATABASE_URL=mysql://root@127.0.0.1:3306/cinema_bench_reports DEBUG=true \
        .venv/bin/python -m bench.reports [--orders 100000]

bench/run.py calls it on its own fresh database after the HTTP scenarios.
The data is written with bulk inserts straight into the tables (a bench of the
report, not of booking): shows of 100 seats over a year, orders of two seats,
every tenth one cancelled. Memory is tracemalloc's peak while the whole CSV
is produced and thrown away, measured at 1/10 of the orders and at all of
them: constant memory means the two peaks are about the same.
"""

import argparse
import csv
import json
import os
import sys
import time
import tracemalloc
from datetime import timedelta
from decimal import Decimal


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cinema.settings")
    import django

    django.setup()


def populate(orders: int, seats_per_show: int = 100, orders_per_show: int = 50) -> dict:
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from booking.models import Booking, BookingSeat, BookingStatus, SeatStatus, ShowSeat
    from catalog.models import Movie, Screen, Seat, Show, Theatre

    call_command("migrate", verbosity=0, interactive=False)
    tag = f"bench-report-{orders}"
    theatre = Theatre.objects.filter(name=tag).first()
    if theatre is not None:
        return {"theatre": theatre.pk, "created": False}
    with transaction.atomic():
        theatre = Theatre.objects.create(name=tag, city="Bench", address="1 Bench Road")
        screen = Screen.objects.create(theatre=theatre, name="Bench 1", layout="S" * 10 + ("\n" + "S" * 10) * 9)
        seats = Seat.objects.bulk_create(
            Seat(screen=screen, row_label=chr(65 + r), number=c + 1, seat_type="STANDARD", row_index=r, column=c)
            for r in range(10)
            for c in range(10)
        )
        movies = [Movie.objects.create(title=f"Bench movie {i}", duration_mins=100) for i in range(6)]
        user = User.objects.create_user(email=f"{tag}@example.com", password=None, name="Bench")
    n_shows = -(-orders // orders_per_show)
    start = timezone.now() - timedelta(days=180)
    code = 0
    for first in range(0, n_shows, 200):
        with transaction.atomic():
            shows = Show.objects.bulk_create(
                Show(
                    movie=movies[i % len(movies)],
                    screen=screen,
                    start_time=start + timedelta(hours=3 * i),
                    end_time=start + timedelta(hours=3 * i, minutes=100),
                )
                for i in range(first, min(first + 200, n_shows))
            )
            show_seats = ShowSeat.objects.bulk_create(
                ShowSeat(show=show, seat=seat, status=SeatStatus.SOLD) for show in shows for seat in seats
            )
            bookings, lines = [], []
            for s_index, show in enumerate(shows):
                base = s_index * seats_per_show
                for o in range(orders_per_show):
                    if code >= orders:
                        break
                    cancelled = code % 10 == 9
                    bookings.append(
                        Booking(
                            code=f"B{code:010d}",
                            user=user,
                            show=show,
                            status=BookingStatus.CANCELLED if cancelled else BookingStatus.CONFIRMED,
                            total=Decimal("400.00"),
                            currency="INR",
                        )
                    )
                    code += 1
                    for k in (0, 1):
                        lines.append((len(bookings) - 1, show_seats[base + 2 * o + k], cancelled))
            Booking.objects.bulk_create(bookings, batch_size=2000)
            BookingSeat.objects.bulk_create(
                (
                    BookingSeat(
                        booking=bookings[b],
                        show_seat=ss,
                        seat_name="A1",
                        seat_type="STANDARD",
                        price=Decimal("200.00"),
                        active=None if cancelled else True,
                    )
                    for b, ss, cancelled in lines
                ),
                batch_size=5000,
            )
    return {"theatre": theatre.pk, "created": True, "shows": n_shows}


class _Null:
    def write(self, value):
        return len(value)


def measure(theatre_id: int, *, last_n_shows: int | None = None) -> dict:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from catalog.models import Show
    from tickets.reports import COLUMNS, report_rows

    boss = get_user_model()(is_staff=True, is_superuser=True, is_active=True)
    shows = Show.objects.filter(screen__theatre_id=theatre_id).order_by("start_time")
    first = shows.first().start_time
    last = shows.last().start_time
    if last_n_shows:
        last = shows[last_n_shows - 1].start_time
    out = {}

    def produce(group: str) -> int:
        writer = csv.writer(_Null())
        rows = 0
        writer.writerow(COLUMNS)
        for row in report_rows(
            user=boss,
            date_from=timezone.localdate(first),
            date_to=timezone.localdate(last),
            group=group,
            theatre_id=theatre_id,
        ):
            writer.writerow(row.as_list())
            rows += 1
        return rows

    for group in ("day", "movie"):
        t0 = time.perf_counter()  # timed without tracemalloc, which slows Python down
        rows = produce(group)
        elapsed = time.perf_counter() - t0
        tracemalloc.start()
        produce(group)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out[group] = {"seconds": round(elapsed, 3), "rows": rows, "peak_kib": round(peak / 1024)}
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    args = parser.parse_args(argv)
    _setup()
    from booking.models import Booking
    from catalog.models import Show

    t0 = time.perf_counter()
    info = populate(args.orders)
    info["populate_s"] = round(time.perf_counter() - t0, 1)
    orders = Booking.objects.filter(show__screen__theatre_id=info["theatre"]).count()
    full = measure(info["theatre"])
    shows = Show.objects.filter(screen__theatre_id=info["theatre"]).count()
    tenth = measure(info["theatre"], last_n_shows=max(1, shows // 10))
    worst = max(v["seconds"] for v in full.values())
    result = {
        "orders": orders,
        **info,
        "full": full,
        "tenth": tenth,
        "under_2s": worst < 2.0,
        # "constant memory": ten times the orders, at most twice the peak (+256 KiB slack)
        "constant_memory": all(full[g]["peak_kib"] <= 2 * tenth[g]["peak_kib"] + 256 for g in full),
    }
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
