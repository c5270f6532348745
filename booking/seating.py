"""The best-seat search, pure: seat rows in, seat blocks out (no database).

A row is anything with ``pk``, ``free``, ``row_index``, ``column`` and
``seat_type`` attributes (booking.sql.BestRow, or SeatRow below).
booking.services.holds.seats_hold_best reads the map, asks best_blocks for the
candidates in order, and tries to lock them.
"""

from dataclasses import dataclass
from typing import NamedTuple

from catalog.models import SeatType


class SeatRow(NamedTuple):
    pk: int
    free: bool
    row_index: int
    column: int
    seat_type: str


@dataclass
class _Run:
    """Adjacent free seats of one row: [(column, pk, accessible), ...]."""

    row_index: int
    row_cost: int
    centre: float
    seats: list


def _free_runs(rows, seat_type: str | None, exclude) -> list[_Run]:
    by_row: dict[int, list] = {}
    for row in rows:
        free = row.free and row.pk not in exclude and (not seat_type or row.seat_type == seat_type)
        by_row.setdefault(row.row_index, []).append((row.column, row.pk, free, row.seat_type == SeatType.ACCESSIBLE))
    if not by_row:
        return []
    # The sweet spot is about two thirds of the way back; small rooms: the back row.
    last = max(by_row)
    sweet = round((last + 1) * 2 / 3) - 1 if len(by_row) > 2 else last
    runs = []
    for row_index, seats in sorted(by_row.items()):
        seats.sort()
        centre = (seats[0][0] + seats[-1][0]) / 2
        run: list = []
        for column, pk, free, accessible in seats + [(None, None, False, False)]:
            if free and run and column == run[-1][0] + 1:
                run.append((column, pk, accessible))
                continue
            if run:
                runs.append(_Run(row_index, abs(row_index - sweet), centre, run))
            run = [(column, pk, accessible)] if free else []
    return runs


def _windows(run: _Run, size: int):
    """(score, pks) for every window of ``size`` seats in a run; lower is better.

    A window that takes an accessible seat comes last (keep them for people who
    need them), then one that leaves a single seat stranded at either side,
    then a worse row, then further from the centre of the row.
    """
    for start in range(len(run.seats) - size + 1):
        block = run.seats[start : start + size]
        strands = start == 1 or len(run.seats) - start - size == 1
        middle = (block[0][0] + block[-1][0]) / 2
        score = (
            any(accessible for _, _, accessible in block),
            strands,
            run.row_cost,
            abs(middle - run.centre),
            run.row_index,
            block[0][0],
        )
        yield score, [pk for _, pk, _ in block]


def _scattered(runs: list[_Run], quantity: int) -> list[int] | None:
    """When no row has ``quantity`` seats together: as few pieces as possible.

    Takes a run that fits the remainder exactly (so nothing is stranded) or
    else the longest run, best rows first, until enough seats are picked.
    """
    pool = list(runs)
    if sum(len(r.seats) for r in pool) < quantity:
        return None
    picked: list[int] = []
    while len(picked) < quantity:
        remaining = quantity - len(picked)
        exact = [r for r in pool if len(r.seats) == remaining]
        run = min(exact or pool, key=lambda r: (-len(r.seats), r.row_cost, r.row_index))
        pool.remove(run)
        size = min(len(run.seats), remaining)
        picked += min(_windows(run, size))[1]
    return sorted(picked)


def best_blocks(rows, quantity: int, *, seat_type: str | None = None, exclude=frozenset()) -> list[list[int]]:
    """Blocks of ``quantity`` adjacent free seats of one row, best first (see
    _windows), as lists of pks. If no row has that many together, a single
    scattered choice; none at all when too few seats are free."""
    runs = _free_runs(rows, seat_type, exclude)
    candidates = sorted(window for run in runs for window in _windows(run, quantity))
    if candidates:
        return [pks for _, pks in candidates]
    fallback = _scattered(runs, quantity)
    return [fallback] if fallback else []


# --- No lone seat (Regal's rule) ------------------------------------------------


def lone_seats(rows, chosen) -> list[int]:
    """The free seats that taking ``chosen`` (pks) would leave stranded: a seat
    left alone between taken seats, or between a taken seat and an aisle or the
    end of the row. Only seats next to a chosen one count, so a seat that was
    already alone is not the buyer's doing. Returns pks, front row first.

    ``rows`` as for best_blocks (``pk``, ``free``, ``row_index``, ``column``);
    a chosen seat counts as taken whatever ``free`` says.
    """
    chosen = set(chosen)
    by_row: dict[int, dict[int, tuple[int, bool]]] = {}
    for row in rows:
        by_row.setdefault(row.row_index, {})[row.column] = (row.pk, bool(row.free) and row.pk not in chosen)
    lone = []
    for row_index in sorted(by_row):
        seats = by_row[row_index]
        for column in sorted(seats):
            pk, free = seats[column]
            if not free:
                continue
            left, right = seats.get(column - 1), seats.get(column + 1)
            # A missing neighbour is an aisle or the row's end: nobody sits there.
            if (left and left[1]) or (right and right[1]):
                continue
            if (left and left[0] in chosen) or (right and right[0] in chosen):
                lone.append(pk)
    return lone


def blocks_without_lone(rows, blocks) -> list[list[int]]:
    """``blocks`` (lists of pks, best first) minus those that strand a seat."""
    rows = list(rows)
    return [pks for pks in blocks if not lone_seats(rows, pks)]


def suggest_seats(rows, quantity: int, *, near=None, seat_type: str | None = None) -> list[int]:
    """A read-only suggestion of ``quantity`` seats (no locks): the best block
    that strands no seat; with ``near`` (pks of a refused choice), the such
    block closest to it. Empty when nothing fits."""
    rows = list(rows)
    blocks = blocks_without_lone(rows, best_blocks(rows, quantity, seat_type=seat_type))
    if not blocks:
        return []
    if near:
        where = {r.pk: (r.row_index, r.column) for r in rows}
        spots = [where[pk] for pk in near if pk in where]
        if spots:
            row0 = sum(s[0] for s in spots) / len(spots)
            col0 = sum(s[1] for s in spots) / len(spots)

            def distance(pks):
                r = sum(where[pk][0] for pk in pks) / len(pks)
                c = sum(where[pk][1] for pk in pks) / len(pks)
                return (abs(r - row0) * 3 + abs(c - col0), blocks.index(pks))

            return sorted(min(blocks, key=distance))
    return sorted(blocks[0])
