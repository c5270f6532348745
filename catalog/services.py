"""Writes to the catalogue that do not touch show seats.

Anything that creates or changes shows or edits a screen (and so touches
show seats) lives in booking/services/scheduling.py, which calls in here.
"""

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from catalog.exceptions import MovieHasShows, ScreenHasShows, ScreenNameTaken, TheatreHasScreens
from catalog.layout import layout_text, parse_layout
from catalog.models import Movie, Screen, Seat, Theatre


def screen_name_check(*, screen: Screen) -> None:
    """ScreenNameTaken if another screen of its theatre has its name."""
    taken = Screen.objects.filter(theatre_id=screen.theatre_id, name=screen.name).exclude(pk=screen.pk).exists()
    if taken:
        raise _name_taken()


def screen_save(*, screen: Screen) -> None:
    """Save the screen; should a concurrent edit take the name first, the
    unique index decides and the loser gets ScreenNameTaken, not a 500."""
    try:
        with transaction.atomic():
            screen.save()
    except IntegrityError as exc:
        raise _name_taken() from exc


def _name_taken() -> ScreenNameTaken:
    message = "This theatre already has a screen of that name."
    return ScreenNameTaken(message, fields={"name": [message]})


def screen_seats_plan(*, screen: Screen) -> tuple[list[Seat], list[Seat], list[int]]:
    """Compare the screen's Seat rows with its layout text.

    Seats are matched by row label and number, so a kept seat keeps its id and
    every show seat pointing at it stays valid. Returns (seats to create,
    seats whose type or position changed, ids of seats the layout dropped).
    """
    wanted = {(s.row_label, s.number): s for s in parse_layout(screen.layout)}
    existing = {(s.row_label, s.number): s for s in screen.seats.all()} if screen.pk else {}
    changed = []
    for key, seat in existing.items():
        spec = wanted.get(key)
        if spec and (seat.seat_type, seat.row_index, seat.column) != (
            spec.seat_type,
            spec.row_index,
            spec.column,
        ):
            seat.seat_type, seat.row_index, seat.column = spec.seat_type, spec.row_index, spec.column
            changed.append(seat)
    new = [
        Seat(
            screen=screen,
            row_label=s.row_label,
            number=s.number,
            seat_type=s.seat_type,
            row_index=s.row_index,
            column=s.column,
        )
        for key, s in wanted.items()
        if key not in existing
    ]
    dropped = [seat.pk for key, seat in existing.items() if key not in wanted]
    return new, changed, dropped


def screen_seats_apply(*, new: list[Seat], changed: list[Seat], dropped: list[int]) -> list[Seat]:
    Seat.objects.filter(pk__in=dropped).delete()
    Seat.objects.bulk_update(changed, ["seat_type", "row_index", "column"])
    return Seat.objects.bulk_create(new)


@transaction.atomic
def screen_create(*, theatre: Theatre, name: str, layout) -> Screen:
    """Create a screen and its seats from the layout (text or a list of rows).

    Raises ScreenNameTaken for a name already used in the theatre and
    ValidationError for a bad layout.
    """
    screen = Screen(theatre=theatre, name=name, layout=layout if isinstance(layout, str) else layout_text(layout))
    screen_name_check(screen=screen)
    screen.full_clean(validate_constraints=False)
    screen_save(screen=screen)
    new, changed, dropped = screen_seats_plan(screen=screen)
    screen_seats_apply(new=new, changed=changed, dropped=dropped)
    return screen


# --------------------------------------------------------------------------
# movies and theatres (staff API)
# --------------------------------------------------------------------------
_MOVIE_FIELDS = (
    "title",
    "description",
    "duration_mins",
    "rating",
    "language",
    "genres",
    "cast",
    "crew",
    "release_date",
    "poster_url",
    "is_active",
)
_THEATRE_FIELDS = ("name", "city", "address")


def _save_fields(obj, fields: tuple, data: dict):
    for field in fields:
        if field in data:
            setattr(obj, field, data[field])
    obj.full_clean()
    obj.save()
    return obj


def movie_create(**data) -> Movie:
    """Add a movie. Raises ValidationError for bad fields."""
    return _save_fields(Movie(), _MOVIE_FIELDS, data)


def movie_update(*, movie: Movie, **data) -> Movie:
    """Change a movie's details. Its shows keep their times: a new duration
    applies to shows scheduled from now on."""
    return _save_fields(movie, _MOVIE_FIELDS, data)


def theatre_create(**data) -> Theatre:
    return _save_fields(Theatre(), _THEATRE_FIELDS, data)


def theatre_update(*, theatre: Theatre, **data) -> Theatre:
    return _save_fields(theatre, _THEATRE_FIELDS, data)


def movie_delete(*, movie: Movie) -> None:
    """Delete a movie. Raises MovieHasShows while any show refers to it
    (deactivate it instead: ``is_active=False`` hides it from moviegoers)."""
    try:
        movie.delete()
    except ProtectedError as exc:
        raise MovieHasShows(
            "This movie has shows, so it cannot be deleted. Set is_active to false to hide it."
        ) from exc


def theatre_delete(*, theatre: Theatre) -> None:
    """Delete a theatre. Raises TheatreHasScreens while it has screens."""
    try:
        theatre.delete()
    except ProtectedError as exc:
        raise TheatreHasScreens("This theatre still has screens; delete them first.") from exc


def screen_delete(*, screen: Screen) -> None:
    """Delete a screen and its seats. Raises ScreenHasShows while it has shows."""
    try:
        screen.delete()
    except ProtectedError as exc:
        raise ScreenHasShows("This screen has shows, so it cannot be deleted.") from exc
