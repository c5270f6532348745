"""Shows and screen layouts: the writes that create, move or drop show seats.

Scheduling a show creates its show seats and editing a screen's layout brings
the seats of its shows in line, so these live beside the seat rules rather
than in catalog/ (which never imports booking). The staff API, the admin and
seed_demo all call them.
"""

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db.models import F
from django.utils import timezone

from booking.exceptions import InvalidRequest, LayoutInUse, ScreenBusy, ShowHasBookings
from booking.models import Booking, BookingSeat, ShowSeat
from booking.services.locking import locked
from catalog.layout import layout_text
from catalog.models import Movie, Screen, Seat, SeatType, Show, Theatre, overlap_message
from catalog.services import screen_name_check, screen_save, screen_seats_apply, screen_seats_plan
from cinema.validators import validate_single_line


def _apply_prices(show: Show, prices: dict | None) -> None:
    if not prices:
        return
    try:
        cleaned = {SeatType(str(kind)): Decimal(str(value)) for kind, value in dict(prices).items()}
    except (TypeError, ValueError, InvalidOperation) as exc:
        raise InvalidRequest(
            "Prices must map seat types to amounts.", fields={"prices": ["invalid seat type or amount"]}
        ) from exc
    if any(not value.is_finite() or value < 0 for value in cleaned.values()):
        raise InvalidRequest("Prices cannot be negative.", fields={"prices": ["must be 0 or more"]})
    show.set_prices(cleaned)


def _check_overlap(show: Show) -> None:
    clash = show.overlapping_shows().select_related("movie").first()
    if clash:
        raise ScreenBusy(overlap_message(clash), show_id=clash.pk)


# --------------------------------------------------------------------------
# shows
# --------------------------------------------------------------------------
@locked
def show_schedule(
    *, movie: Movie, screen: Screen, start_time: datetime, prices: dict | None = None, details: dict | None = None
) -> Show:
    """Create a show and one show seat per seat of the screen.

    Locks the screen row, so two schedulers cannot both slip a show into the
    same free slot. Raises ScreenBusy when the show would overlap another.
    """
    Screen.objects.select_for_update().filter(pk=screen.pk).first()
    show = Show(movie=movie, screen=screen, start_time=start_time)
    _apply_prices(show, prices)
    _apply_details(show, details)
    show.end_time = show.compute_end_time()
    _check_overlap(show)
    show.save()
    seat_ids = Seat.objects.filter(screen_id=screen.pk).order_by("pk").values_list("pk", flat=True)
    ShowSeat.objects.bulk_create([ShowSeat(show=show, seat_id=pk) for pk in seat_ids], batch_size=500)
    return show


@locked
def show_update(
    *,
    show: Show,
    movie: Movie | None = None,
    start_time: datetime | None = None,
    prices: dict | None = None,
    details: dict | None = None,
) -> Show:
    """Change a show's movie, time, prices or details (format, audio language,
    subtitles; not its screen), re-checking overlap.

    A show with bookings keeps its time and movie (SHOW_HAS_BOOKINGS).
    """
    Screen.objects.select_for_update().filter(pk=show.screen_id).first()
    show = Show.objects.select_for_update().get(pk=show.pk)
    moves = (movie is not None and movie.pk != show.movie_id) or (
        start_time is not None and start_time != show.start_time
    )
    if moves and Booking.objects.filter(show=show).exists():
        raise ShowHasBookings("This show has bookings: its movie and time can no longer change.")
    if movie is not None:
        show.movie = movie
    if start_time is not None:
        show.start_time = start_time
    _apply_prices(show, prices)
    _apply_details(show, details)
    show.end_time = show.compute_end_time()
    _check_overlap(show)
    show.save()
    return show


SHOW_DETAILS = ("format", "language", "subtitles")


def _apply_details(show: Show, details: dict | None) -> None:
    for name, value in (details or {}).items():
        if name not in SHOW_DETAILS:
            raise ValueError(f"Not a show detail: {name}")
        if name != "format":
            validate_single_line(value)  # a ValidationError: 400 on the API, a form error in admin
        setattr(show, name, value)


@locked
def show_delete(*, show: Show) -> None:
    """Delete a show and its seats (holds go with them).

    Locks the screen, the show's seats in pk order, then the show row: the
    same order a booking takes (seats, then the show through its foreign key),
    so the two cannot deadlock. Raises ShowHasBookings if anyone booked it,
    even if the booking was cancelled since.
    """
    Screen.objects.select_for_update().filter(pk=show.screen_id).first()
    list(ShowSeat.objects.select_for_update().filter(show_id=show.pk).order_by("pk").values_list("pk"))
    show = Show.objects.select_for_update().get(pk=show.pk)
    if Booking.objects.filter(show=show).exists():
        raise ShowHasBookings("This show has bookings and cannot be deleted.")
    show.delete()


# --------------------------------------------------------------------------
# screens
# --------------------------------------------------------------------------
@locked
def screen_update(
    *,
    screen: Screen,
    name: str | None = None,
    theatre: Theatre | None = None,
    layout=None,
    now: datetime | None = None,
) -> Screen:
    """Edit a screen: its name, its theatre and its layout (text or a list of
    rows), together or not at all. The one service the admin and the API call.

    A new layout reaches the seats of its shows: new seats are added to every
    show that has not started; seats the layout drops are removed from all
    shows, unless some show has ever sold it or someone holds it now
    (LayoutInUse). Seats whose type or place changed get their show seats'
    version bumped, so seat-map ETags move. Locks the screen, then the affected
    show seats in pk order. Raises ScreenNameTaken (catalog) for a name the
    theatre already uses, ValidationError for a bad layout.
    """
    screen = Screen.objects.select_for_update().get(pk=screen.pk)
    if name is not None:
        screen.name = name
    if theatre is not None:
        screen.theatre = theatre
    if layout is not None:
        screen.layout = layout if isinstance(layout, str) else layout_text(layout)
    screen_name_check(screen=screen)
    screen.full_clean(validate_constraints=False)
    if layout is not None:
        _layout_follow(screen, now or timezone.now())
    else:
        screen_save(screen=screen)
    return screen


def screen_layout_update(*, screen: Screen, layout, name: str | None = None, now: datetime | None = None) -> Screen:
    """screen_update with a layout (the name it had before screens were edited in one service)."""
    return screen_update(screen=screen, layout=layout, name=name, now=now)


def _layout_follow(screen: Screen, now: datetime) -> None:
    """Save the screen with its new layout and bring its seats and its shows' seats in line."""
    new, changed, dropped = screen_seats_plan(screen=screen)
    touched = list(dropped) + [seat.pk for seat in changed]
    affected = list(ShowSeat.objects.select_for_update().filter(seat_id__in=touched).order_by("pk")) if touched else []
    if changed:
        ShowSeat.objects.filter(pk__in=[s.pk for s in affected if s.seat_id not in set(dropped)]).update(
            version=F("version") + 1, updated_at=now
        )
    if dropped:
        in_use = {s.seat_id for s in affected if s.seat_id in set(dropped) and not s.is_free(now)}
        in_use |= set(
            BookingSeat.objects.filter(show_seat__seat_id__in=dropped).values_list("show_seat__seat_id", flat=True)
        )
        if in_use:
            names = ", ".join(sorted(s.name for s in Seat.objects.filter(pk__in=in_use)))
            raise LayoutInUse(
                f"Seats {names} are sold or held in a show, so the layout cannot drop them.",
                seats=sorted(in_use),
            )
        ShowSeat.objects.filter(seat_id__in=dropped).delete()
    screen_save(screen=screen)
    screen_seats_apply(new=new, changed=changed, dropped=dropped)
    if new:
        # Read the new ids back: MySQL 8's bulk insert does not return them.
        keys = {(seat.row_label, seat.number) for seat in new}
        created = [
            pk
            for pk, label, number in Seat.objects.filter(screen=screen).values_list("pk", "row_label", "number")
            if (label, number) in keys
        ]
        upcoming = Show.objects.filter(screen=screen, start_time__gt=now).values_list("pk", flat=True)
        ShowSeat.objects.bulk_create(
            [ShowSeat(show_id=show_id, seat_id=seat_id) for show_id in upcoming for seat_id in created],
            batch_size=500,
        )
