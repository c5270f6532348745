"""Best-available seat choice (seats_hold_best and its pure helpers)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from booking.exceptions import HoldLimitExceeded, InvalidRequest, SeatUnavailable, ShowStarted
from booking.models import SeatStatus, ShowSeat
from booking.seating import SeatRow, best_blocks, shortfall_message
from booking.services import holds_best, seats_hold, seats_hold_best, seats_release_all
from booking.tests.helpers import make_show, names_of, seat_ids, snapshot
from cinema.errors import DomainError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SIX_ROWS = "\n".join(["SSSSSSSS"] * 6)


@pytest.fixture
def now():
    return timezone.now()


def best(show, quantity, now, **kwargs):
    hold = seats_hold_best(user=UserFactory(), show=show, quantity=quantity, now=now, **kwargs)
    return names_of([s.pk for s in hold.seats])


def take(show, names, now):
    seats_hold(user=UserFactory(), show=show, seat_ids=seat_ids(show, *names), now=now)


def test_adjacent_seats_in_the_middle_of_the_sweet_spot_row(now):
    show = make_show(SIX_ROWS)
    # Row D is two thirds of the way back; the middle of 8 seats is 4 and 5.
    assert best(show, 2, now) == ["D4", "D5"]
    # Then the two ends of row D: no seat stranded, nearest the sweet spot.
    assert best(show, 3, now) == ["D1", "D2", "D3"]
    held = ShowSeat.objects.filter(show=show, status=SeatStatus.LOCKED).count()
    assert held == 5


def test_rows_nearer_the_sweet_spot_come_first(now):
    show = make_show(SIX_ROWS)
    take(show, [f"D{n}" for n in range(1, 9)], now)
    assert best(show, 4, now) == ["C3", "C4", "C5", "C6"]  # C and E tie; the front one wins
    assert best(show, 4, now) == ["E3", "E4", "E5", "E6"]


def test_small_rooms_prefer_the_back_row(now):
    show = make_show("SSSS\nSSSS")
    # B2+B3 would leave B1 and B4 alone.
    assert best(show, 2, now) == ["B1", "B2"]


def test_never_strands_a_single_seat_when_another_choice_exists(now):
    show = make_show("SSSSSS")
    take(show, ["A1"], now)
    # A3+A4 is the most central pair but would strand A2; A2+A3 leaves A4-A6 together.
    assert best(show, 2, now) == ["A2", "A3"]


def test_prefers_a_worse_row_over_stranding_a_seat(now):
    show = make_show("SSS\nSSS\nSSSS\nSSS")  # sweet spot: row C (index 2)
    assert best(show, 3, now) == ["B1", "B2", "B3"]


def test_aisles_break_adjacency(now):
    show = make_show("SS_SS")
    with pytest.raises(SeatUnavailable):
        seats_hold_best(user=UserFactory(), show=show, quantity=5, now=now)
    assert best(show, 2, now) in (["A1", "A2"], ["A3", "A4"])


def test_splits_over_two_adjacent_rows_when_no_row_has_enough_together(now):
    show = make_show("SS_SSS\nSS_SSS")
    take(show, ["A4", "B4"], now)  # every row now has 3 seats together at most
    assert best(show, 4, now) == ["A1", "A2", "B1", "B2"]  # two above two, not four apart


def row(pk, column, free=True, row_index=0, seat_type="STANDARD"):
    return SeatRow(pk=pk, free=free, row_index=row_index, column=column, seat_type=seat_type)


def test_eight_seats_on_six_seat_blocks_sit_together_across_the_aisle():
    """Issue 12: 8 seats on blocks of 6 gave A4-A10 plus G7 six rows back."""
    # Each row: 6 seats, aisle, 6 seats (columns 0-5 and 7-12); 7 rows.
    rows = []
    pk = 0
    for r in range(7):
        for column in [*range(6), *range(7, 13)]:
            pk += 1
            rows.append(row(pk, column, row_index=r))
    blocks = best_blocks(rows, 8)
    first = blocks[0]
    assert len({(p - 1) // 12 for p in first}) == 1  # one row
    assert all(len({(p - 1) // 12 for p in b}) <= 2 for b in blocks)


def test_across_an_aisle_before_two_rows_and_never_a_scatter():
    rows = [
        row(1, 0),
        row(2, 1),
        row(3, 2),
        row(4, 3, free=False),
        row(5, 4),
        row(7, 7),  # columns 5 and 6 are an aisle
        row(8, 8),
    ]
    # 1-3 together first.
    assert best_blocks(rows, 3)[0] == [1, 2, 3]
    # 5 + aisle + 7, 8: together across the aisle (no taken seat between).
    assert [5, 7, 8] in best_blocks(rows, 3)
    # Four: no block in one row, no second row: nothing rather than 1-3 + 5.
    assert best_blocks(rows, 4) == []
    assert "not 4 seats together" in shortfall_message(rows, 4)
    assert "only 6 seats are free" in shortfall_message(rows, 7)


def test_adjacent_rows_only_and_evenly():
    front = [row(n, n - 1, row_index=0) for n in range(1, 4)]
    gap_row = [row(n, n - 11, row_index=1, free=False) for n in range(11, 14)]
    back = [row(n, n - 21, row_index=2) for n in range(21, 24)]
    # Rows 0 and 2 are not adjacent: no split across a row of taken seats.
    assert best_blocks(front + gap_row + back, 4) == []
    middle = [row(n, n - 11, row_index=1) for n in range(11, 14)]
    blocks = best_blocks(front + middle, 4)
    assert blocks and all(len(set(b) & {1, 2, 3}) == 2 for b in blocks[:1])


def test_expired_holds_are_free_and_live_holds_and_sales_are_not(now):
    show = make_show("SSSS")
    take(show, ["A1", "A2"], now - timedelta(seconds=600))  # expired
    take(show, ["A3"], now)
    assert best(show, 2, now) == ["A1", "A2"]
    assert best(show, 1, now) == ["A4"]
    with pytest.raises(SeatUnavailable):
        best(show, 1, now)


def test_seat_type_filter(now):
    show = make_show("PPPP\nSSSS\nSSSS")
    assert best(show, 2, now, seat_type="PREMIUM") == ["A1", "A2"]
    with pytest.raises(InvalidRequest):
        best(show, 2, now, seat_type="GOLD")
    with pytest.raises(InvalidRequest, match="no recliner seats"):
        best(show, 1, now, seat_type="RECLINER")


def test_accessible_seats_are_kept_for_last(now):
    show = make_show("AASS")
    assert best(show, 2, now) == ["A3", "A4"]
    assert best(show, 2, now) == ["A1", "A2"]


def test_not_enough_free_seats_changes_nothing(now):
    show = make_show("SSS")
    take(show, ["A2"], now)
    before = snapshot(show)
    with pytest.raises(SeatUnavailable) as exc:
        best(show, 3, now)
    assert exc.value.details == {"requested": 3}
    assert snapshot(show) == before


@pytest.mark.parametrize("quantity", [0, -1, "x", None])
def test_quantity_must_be_sensible(now, quantity):
    with pytest.raises(InvalidRequest):
        best(make_show("SS"), quantity, now)


def test_quantity_over_the_limit_is_hold_limit_like_holding_by_id(now):
    with pytest.raises(HoldLimitExceeded):
        best(make_show("SS"), 11, now)


def test_best_available_respects_the_hold_limit_and_the_start_time(now, settings):
    settings.MAX_SEATS_PER_BOOKING = 3
    show = make_show(SIX_ROWS)
    user = UserFactory()
    seats_hold_best(user=user, show=show, quantity=2, now=now)
    with pytest.raises(HoldLimitExceeded):
        seats_hold_best(user=user, show=show, quantity=2, now=now)
    with pytest.raises(ShowStarted):
        seats_hold_best(user=UserFactory(), show=show, quantity=1, now=show.start_time)


def test_a_candidate_taken_since_the_map_was_read_is_passed_over(now, monkeypatch):
    """Simulate a stale read: the map says A2+A3 are free but A2 is sold under the lock."""
    from booking import seating

    show = make_show("SSSS")
    take(show, ["A2"], now)
    a2 = seat_ids(show, "A2")[0]
    real = seating.best_blocks

    def stale(rows, quantity, **kwargs):
        return real([r._replace(free=True) if r.pk == a2 else r for r in rows], quantity, **kwargs)

    monkeypatch.setattr(seating, "best_blocks", stale)
    assert best(show, 2, now) == ["A3", "A4"]


def _reference_windows(segment, size, *, aisles):
    """The windows of booking.seating._windows, computed the plain way (every
    window walked seat by seat): what the running counts must give."""
    seats = segment.seats
    for start in range(len(seats) - size + 1):
        block = seats[start : start + size]
        crossed = sum(1 for a, b in zip(block, block[1:], strict=False) if b[0] != a[0] + 1)
        if bool(crossed) != aisles:
            continue

        def lone(side, edge):
            run, neighbour = [], edge
            for seat in side:
                if abs(seat[0] - neighbour[0]) != 1:
                    break
                run.append(seat)
                neighbour = seat
            return len(run) == 1

        strands = lone(list(reversed(seats[:start])), block[0]) or lone(seats[start + size :], block[-1])
        middle = (block[0][0] + block[-1][0]) / 2
        score = (
            any(a for _, _, a in block),
            strands,
            segment.row_cost,
            crossed,
            abs(middle - segment.centre),
            segment.row_index,
            block[0][0],
        )
        yield score, [pk for _, pk, _ in block], middle


def test_the_window_scores_equal_the_plain_walk():
    import random

    from booking import seating

    rng = random.Random(7)
    for _ in range(2000):
        columns = sorted(rng.sample(range(30), rng.randint(1, 20)))
        segment = seating._Segment(
            row_index=rng.randint(0, 9),
            row_cost=rng.randint(0, 5),
            centre=rng.uniform(0, 30),
            seats=[(c, 100 + c, rng.random() < 0.2) for c in columns],
        )
        size, aisles = rng.randint(1, 6), rng.random() < 0.5
        assert list(seating._windows(segment, size, aisles=aisles)) == list(
            _reference_windows(segment, size, aisles=aisles)
        )


# --- past a sell-out: the refusal asks the database once, without a lock ---------


def _refusal(user, show, quantity, now):
    try:
        seats_hold_best(user=user, show=show, quantity=quantity, now=now)
    except DomainError as exc:
        return type(exc).__name__, str(exc)
    return None


def test_past_a_sell_out_a_refusal_costs_one_round_trip_and_says_the_same(now, django_assert_num_queries):
    show = make_show("SSSS\nSSSS")
    take(show, ["A1", "A2", "A3", "A4", "B1", "B2", "B3"], now)  # one seat left
    locked_way = _refusal(UserFactory(), show, 2, now)  # the locked search, which remembers the show
    assert locked_way == ("SeatUnavailable", "Sorry, only 1 seats are free for this show, not 2.")
    assert holds_best._short_lately(show.pk)
    latecomer = UserFactory()
    with django_assert_num_queries(1 if connection.vendor == "mysql" else 3):  # no transaction, no lock
        assert _refusal(latecomer, show, 2, now) == locked_way
    # One seat is enough: the check finds it and the locked search holds it.
    assert best(show, 1, now) == ["B4"]
    assert not holds_best._short_lately(show.pk)  # forgotten once enough were free


@pytest.mark.parametrize("case", ["sold out", "user at the limit", "not on sale", "freed meanwhile"])
def test_the_quick_refusal_is_the_locked_searchs(case, now, settings):
    """The same request, through the locked search (nothing remembered) and
    through the quick check (the show remembered as short): the same answer."""
    settings.MAX_HELD_SEATS_PER_USER = 4
    show = make_show("SSSS\nSSSS")
    holder = UserFactory()
    seats_hold(user=holder, show=show, seat_ids=seat_ids(show, "A1", "A2", "A3", "A4"), now=now)
    take(show, ["B1", "B2", "B3", "B4"], now)
    user = UserFactory()
    if case == "user at the limit":
        other = make_show("SSSS")
        seats_hold(user=user, show=other, seat_ids=seat_ids(other, "A1", "A2", "A3"), now=now)
    if case == "not on sale":
        show.movie.is_active = False
        show.movie.save()
    if case == "freed meanwhile":
        seats_release_all(user=holder, show=show)
    answers = []
    for remembered in (False, True):
        holds_best._SHORT.clear()
        if remembered:
            holds_best._short_seen(show.pk)
        answers.append(_refusal(user, show, 2, now))
        if answers[-1] is None:  # held: let them go, so both ways start from the same seats
            seats_release_all(user=user, show=show)
    assert answers[0] == answers[1]
    expected = {
        "sold out": "SeatUnavailable",
        "user at the limit": "HoldLimitExceeded",
        "not on sale": "ShowNotOnSale",
        "freed meanwhile": None,
    }[case]
    assert (answers[0] or (None,))[0] == expected
