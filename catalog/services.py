"""Writes to the catalogue that do not touch show seats.

Anything that creates or changes shows (and so their seats) lives in
booking/services.py, which calls in here.
"""

from django.db import transaction

from catalog.layout import layout_text, parse_layout
from catalog.models import Screen, Seat, Theatre


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

    Raises ValidationError for a bad layout or a name already used in the theatre.
    """
    screen = Screen(theatre=theatre, name=name, layout=layout if isinstance(layout, str) else layout_text(layout))
    screen.full_clean()
    screen.save()
    new, changed, dropped = screen_seats_plan(screen=screen)
    screen_seats_apply(new=new, changed=changed, dropped=dropped)
    return screen
