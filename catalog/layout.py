"""The compact text form of a seat layout.

One line per row, front row (nearest the screen, row A) first. One character
per position: ``S`` standard, ``P`` premium, ``R`` recliner, ``A`` accessible,
``_`` a gap (aisle or empty floor). Seats are numbered from 1, left to right,
skipping gaps. Rows are labelled A, B, C, ... Z, AA, AB, ...

    SSSS_SSSSSSSS_SSSS      <- row A: A1..A4, aisle, A5..A12, aisle, A13..A16
    PPPP_PPPPPPPP_PPPP
    AA__RRRRRRRR__AA
"""

from dataclasses import dataclass

SEAT_LETTERS = {"S": "STANDARD", "P": "PREMIUM", "R": "RECLINER", "A": "ACCESSIBLE"}
GAP = "_"
MAX_ROWS = 52
MAX_ROW_WIDTH = 80


class LayoutError(ValueError):
    """The layout text is not valid; the message says where and why."""


@dataclass(frozen=True)
class LayoutSeat:
    row_label: str
    number: int
    seat_type: str
    row_index: int  # 0 = front row
    column: int  # position in the row, gaps included, 0-based

    @property
    def name(self) -> str:
        return f"{self.row_label}{self.number}"


def row_label(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


def normalize_rows(text_or_rows) -> list[str]:
    """Accept the text form or a list of row strings; strip blank lines."""
    rows = text_or_rows.splitlines() if isinstance(text_or_rows, str) else list(text_or_rows)
    return [str(row).strip().upper() for row in rows if str(row).strip()]


def parse_layout(text_or_rows) -> list[LayoutSeat]:
    """Parse a layout into seats, or raise LayoutError naming the first problem."""
    rows = normalize_rows(text_or_rows)
    if not rows:
        raise LayoutError("The layout is empty: type at least one row of seats.")
    if len(rows) > MAX_ROWS:
        raise LayoutError(f"A screen can have at most {MAX_ROWS} rows.")
    seats: list[LayoutSeat] = []
    for row_index, row in enumerate(rows):
        label = row_label(row_index)
        if len(row) > MAX_ROW_WIDTH:
            raise LayoutError(f"Row {label} is longer than {MAX_ROW_WIDTH} positions.")
        bad = sorted({ch for ch in row if ch not in SEAT_LETTERS and ch != GAP})
        if bad:
            raise LayoutError(
                f"Row {label} has unknown seat letter(s) {', '.join(repr(c) for c in bad)}: "
                "use S, P, R, A for seats and _ for gaps."
            )
        number = 0
        for column, ch in enumerate(row):
            if ch == GAP:
                continue
            number += 1
            seats.append(LayoutSeat(label, number, SEAT_LETTERS[ch], row_index, column))
        if number == 0:
            raise LayoutError(f"Row {label} has no seats.")
    return seats


def layout_text(rows: list[str]) -> str:
    return "\n".join(normalize_rows(rows))
