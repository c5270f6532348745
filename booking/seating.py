"""The best-seat search, pure: seat rows in, seat blocks out (no database).

A row is anything with ``pk``, ``free``, ``row_index``, ``column`` and
``seat_type`` attributes (booking.sql.BestRow, or SeatRow below).
booking.services.holds_best.seats_hold_best reads the map, asks best_blocks for the
candidates in order, and tries to lock them.

A party sits together or not at all, in this order of preference:

1. side by side in one row (no aisle between them);
2. in one row across an aisle (no taken seat between them, only the gap);
3. split over two adjacent rows, as evenly as the rows allow.

Anything more scattered is no answer (the buyer would not accept it): the
caller says so with shortfall_message().
"""

from dataclasses import dataclass
from typing import NamedTuple

from catalog.models import SeatType

# Enough candidates for the lock attempts of one call (see
# booking.services.holds_best.BEST_AVAILABLE_ATTEMPTS): the costlier levels are only
# searched when the cheaper ones do not give that many.
ENOUGH_CANDIDATES = 24
# Per pair of rows and split, how many of each row's best windows are combined.
PAIR_WINDOWS = 3


class SeatRow(NamedTuple):
    pk: int
    free: bool
    row_index: int
    column: int
    seat_type: str


@dataclass
class _Segment:
    """Free seats of one row with no unavailable seat between them (aisle gaps
    allowed): [(column, pk, accessible), ...]."""

    row_index: int
    row_cost: int
    centre: float
    seats: list


def _free_segments(rows, seat_type: str | None, exclude) -> list[_Segment]:
    by_row: dict[int, list] = {}
    for row in rows:
        free = row.free and row.pk not in exclude and (not seat_type or row.seat_type == seat_type)
        by_row.setdefault(row.row_index, []).append((row.column, row.pk, free, row.seat_type == SeatType.ACCESSIBLE))
    if not by_row:
        return []
    # The sweet spot is about two thirds of the way back; small rooms: the back row.
    last = max(by_row)
    sweet = round((last + 1) * 2 / 3) - 1 if len(by_row) > 2 else last
    segments = []
    for row_index, seats in sorted(by_row.items()):
        seats.sort()
        centre = (seats[0][0] + seats[-1][0]) / 2
        segment: list = []
        for column, pk, free, accessible in seats + [(None, None, False, False)]:
            if free:
                segment.append((column, pk, accessible))
                continue
            if segment:
                segments.append(_Segment(row_index, abs(row_index - sweet), centre, segment))
            segment = []
    return segments


def _windows(segment: _Segment, size: int, *, aisles: bool):
    """(score, pks, middle) for every window of ``size`` seats in a segment;
    lower is better. ``aisles``: windows that cross an aisle (else only those
    that do not).

    A window that takes an accessible seat comes last (keep them for people who
    need them), then one that leaves a single seat stranded at either side,
    then a worse row, then more aisles crossed, then further from the centre.
    Each window is scored in O(1) from running counts over the segment (the
    search runs on every hold).
    """
    seats = segment.seats
    n = len(seats)
    if n < size:
        return
    columns = [seat[0] for seat in seats]
    # beside[i]: seats i and i + 1 are next to each other (no aisle between).
    beside = [columns[i + 1] == columns[i] + 1 for i in range(n - 1)]
    gaps, accessible = [0], [0]  # running counts: aisles crossed, accessible seats
    for together in beside:
        gaps.append(gaps[-1] + (not together))
    for seat in seats:
        accessible.append(accessible[-1] + seat[2])
    for start in range(n - size + 1):
        last = start + size - 1
        crossed = gaps[last] - gaps[start]
        if bool(crossed) != aisles:
            continue
        # A stranded seat: exactly one free seat left between the block and
        # a taken seat, the aisle or the wall.
        strands = (start >= 1 and beside[start - 1] and (start < 2 or not beside[start - 2])) or (
            last + 1 < n and beside[last] and (last + 2 >= n or not beside[last + 1])
        )
        middle = (columns[start] + columns[last]) / 2
        score = (
            accessible[last + 1] > accessible[start],
            strands,
            segment.row_cost,
            crossed,
            abs(middle - segment.centre),
            segment.row_index,
            columns[start],
        )
        yield score, [seat[1] for seat in seats[start : last + 1]], middle


def _pairs(segments: list[_Segment], quantity: int) -> list[tuple]:
    """Candidates over two adjacent rows: (score, pks), best first."""
    by_row: dict[int, list[_Segment]] = {}
    for seg in segments:
        by_row.setdefault(seg.row_index, []).append(seg)
    candidates = []
    for row_index in sorted(by_row):
        if row_index + 1 not in by_row:
            continue
        front, back = by_row[row_index], by_row[row_index + 1]
        for first in range(1, quantity):
            second = quantity - first
            mine = _best_windows(front, first)
            theirs = _best_windows(back, second)
            for score_a, pks_a, mid_a in mine:
                for score_b, pks_b, mid_b in theirs:
                    score = (
                        score_a[0] or score_b[0],  # accessible seats
                        abs(first - second),  # as even as possible
                        score_a[1] or score_b[1],  # strands
                        min(score_a[2], score_b[2]) + max(score_a[2], score_b[2]),  # rows
                        abs(mid_a - mid_b),  # one above the other
                        score_a[3] + score_b[3],  # aisles
                        score_a[4] + score_b[4],
                        row_index,
                    )
                    candidates.append((score, sorted(pks_a + pks_b)))
    candidates.sort()
    return candidates


def _best_windows(segments: list[_Segment], size: int) -> list[tuple]:
    windows = [w for seg in segments for aisles in (False, True) for w in _windows(seg, size, aisles=aisles)]
    windows.sort(key=lambda w: w[0])
    return windows[:PAIR_WINDOWS]


def best_blocks(rows, quantity: int, *, seat_type: str | None = None, exclude=frozenset()) -> list[list[int]]:
    """Blocks of ``quantity`` free seats that sit together (see the module
    docstring for the order), best first, as lists of pks; none when no
    such block exists."""
    segments = _free_segments(rows, seat_type, exclude)
    together = sorted((score, pks) for seg in segments for score, pks, _ in _windows(seg, quantity, aisles=False))
    result = [pks for _, pks in together]
    if len(result) < ENOUGH_CANDIDATES:
        across = sorted((score, pks) for seg in segments for score, pks, _ in _windows(seg, quantity, aisles=True))
        result += [pks for _, pks in across]
    if len(result) < ENOUGH_CANDIDATES and quantity > 1:
        seen = {tuple(pks) for pks in result}
        for _, pks in _pairs(segments, quantity):
            if tuple(pks) not in seen:
                seen.add(tuple(pks))
                result.append(pks)
    return result


def shortfall_message(rows, quantity: int, *, seat_type: str | None = None) -> str:
    """Why best_blocks found nothing, for the buyer: how many seats are free,
    and the most that sit together in one row."""
    free = sum(1 for row in rows if row.free and (not seat_type or row.seat_type == seat_type))
    if free < quantity:  # a sold-out show's answer: no segments needed
        return too_few_message(free, quantity, seat_type=seat_type)
    kind = f" {SeatType(seat_type).label.lower()}" if seat_type else ""
    most = max((len(seg.seats) for seg in _free_segments(rows, seat_type, frozenset())), default=0)
    return (
        f"Sorry, there are not {quantity}{kind} seats together for this show, in one row or two adjacent rows "
        f"(at most {most} together in one row). Pick seats on the map to sit apart."
    )


def too_few_message(free: int, quantity: int, *, seat_type: str | None = None) -> str:
    """shortfall_message when fewer than ``quantity`` seats are free at all."""
    kind = f" {SeatType(seat_type).label.lower()}" if seat_type else ""
    return f"Sorry, only {free}{kind} seats are free for this show, not {quantity}."


def screen_seat_types(rows) -> set[str]:
    """The seat types a screen has (from the seat rows)."""
    return {row.seat_type for row in rows}


# --- No lone seat (Regal's rule) ------------------------------------------------


class _Grid:
    """The map as the lone-seat rule reads it, built once per map so that each
    choice is checked from its own seats' neighbours (a best-available hold
    checks every candidate block; rebuilding the map per block cost 15 ms on
    an empty 200-seat room)."""

    def __init__(self, rows):
        self.free: dict[tuple[int, int], int] = {}  # (row_index, column) -> pk, free seats only
        self.where: dict[int, tuple[int, int]] = {}
        for row in rows:
            spot = (row.row_index, row.column)
            self.where[row.pk] = spot
            if row.free:
                self.free[spot] = row.pk

    def lone(self, chosen) -> list[int]:
        """lone_seats' answer for ``chosen`` on this map."""
        chosen = set(chosen)
        free, lone = self.free, {}
        for pk in chosen:
            spot = self.where.get(pk)
            if spot is None:
                continue
            row_index, column = spot
            for side in (column - 1, column + 1):
                neighbour = free.get((row_index, side))
                if neighbour is None or neighbour in chosen:
                    continue
                # A missing neighbour is an aisle or the row's end: nobody sits there.
                left, right = free.get((row_index, side - 1)), free.get((row_index, side + 1))
                if (left is None or left in chosen) and (right is None or right in chosen):
                    lone[(row_index, side)] = neighbour
        return [lone[spot] for spot in sorted(lone)]


def lone_seats(rows, chosen) -> list[int]:
    """The free seats that taking ``chosen`` (pks) would leave stranded: a seat
    left alone between taken seats, or between a taken seat and an aisle or the
    end of the row. Only seats next to a chosen one count, so a seat that was
    already alone is not the buyer's doing. Returns pks, front row first.

    ``rows`` as for best_blocks (``pk``, ``free``, ``row_index``, ``column``);
    a chosen seat counts as taken whatever ``free`` says.
    """
    return _Grid(rows).lone(chosen)


def blocks_without_lone(rows, blocks) -> list[list[int]]:
    """``blocks`` (lists of pks, best first) minus those that strand a seat."""
    grid = _Grid(rows)
    return [pks for pks in blocks if not grid.lone(pks)]


def blocks_sparing_lone(rows, blocks) -> list[list[int]]:
    """The rule as it is applied: the blocks that strand no seat, or, when every
    block would strand one (two free seats left in a row, one wanted), all of
    them — the rule spares empty seats, it never turns away the last buyers."""
    blocks = list(blocks)
    return blocks_without_lone(rows, blocks) or blocks


def suggest_seats(rows, quantity: int, *, near=None, seat_type: str | None = None) -> list[int]:
    """A read-only suggestion of ``quantity`` seats (no locks): the best block
    that strands no seat; with ``near`` (pks of a refused choice), the such
    block closest to it. Empty when nothing fits."""
    rows = list(rows)
    blocks = blocks_sparing_lone(rows, best_blocks(rows, quantity, seat_type=seat_type))
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
