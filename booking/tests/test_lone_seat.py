"""No lone seat (Regal's rule): a choice that strands one empty seat in its row
is refused by the hold services, the page and the API alike; best available
never strands one."""

import pytest
from django.utils import timezone

from booking import seating
from booking.exceptions import LoneSeat
from booking.models import ShowSeat
from booking.seating import SeatRow
from booking.services import hold_replace, seats_hold, seats_hold_best
from booking.tests.helpers import make_show, names_of, seat_ids
from tests.api import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_rule_is_on_by_default():
    # conftest switches it off for the other tests; the setting itself defaults to on.
    import cinema.settings as module

    assert module.LONE_SEAT_RULE is True


def rows_of(layout: str, taken: str = ""):
    """SeatRows for a text layout; ``taken`` marks positions with x (same shape)."""
    rows, pk = [], 0
    marks = taken.splitlines() if taken else []
    for r, line in enumerate(layout.splitlines()):
        for c, ch in enumerate(line):
            if ch == "_":
                continue
            pk += 1
            busy = bool(marks) and marks[r][c] == "x"
            rows.append(SeatRow(pk=pk, free=not busy, row_index=r, column=c, seat_type="STANDARD"))
    return rows


def test_pure_a_seat_between_the_choice_and_the_aisle_is_lone():
    rows = rows_of("SSSS_SSSS")  # pks 1-4, aisle, 5-8
    assert seating.lone_seats(rows, {1}) == []  # seat 2 still has seat 3 beside it
    assert seating.lone_seats(rows, {2}) == [1]  # seat 1 left between the wall and the choice
    assert seating.lone_seats(rows, {2, 3}) == [1, 4]
    assert seating.lone_seats(rows, {1, 2}) == []
    assert seating.lone_seats(rows, {3, 4}) == []


def test_pure_a_seat_between_the_choice_and_a_taken_seat_is_lone():
    rows = rows_of("SSSSSS", "xSSSSS")  # pk 1 taken
    assert seating.lone_seats(rows, {3}) == [2]
    assert seating.lone_seats(rows, {2, 3}) == []


def test_pure_an_already_lone_seat_is_not_the_buyers_doing():
    rows = rows_of("SSSSSSS", "xSxSSSS")  # pk 2 already alone
    assert seating.lone_seats(rows, {6, 7}) == []
    assert seating.lone_seats(rows, {5, 6}) == [4, 7]


def test_pure_suggestion_strands_nothing_and_stays_near():
    rows = rows_of("SSSSSSSS\nSSSSSSSS")
    suggestion = seating.suggest_seats(rows, 2, near=[10, 11])
    assert len(suggestion) == 2
    assert seating.lone_seats(rows, suggestion) == []


def test_hold_refused_with_the_seat_named_and_an_alternative(settings):
    settings.LONE_SEAT_RULE = True
    show = make_show("SSSS_SSSS")
    alice = UserFactory()
    with pytest.raises(LoneSeat) as info:
        seats_hold(user=alice, show=show, seat_ids=seat_ids(show, "A2"))
    exc = info.value
    assert exc.status == 409 and exc.code == "LONE_SEAT"
    assert "A1" in exc.message
    assert exc.details["names"] == ["A1"]
    assert exc.details["alternative"]
    assert ShowSeat.objects.held_by(alice, timezone.now()).count() == 0
    # The alternative itself is accepted.
    seats_hold(user=alice, show=show, seat_ids=exc.details["alternative"])


def test_replace_counts_the_users_dropped_seats_as_free(settings):
    settings.LONE_SEAT_RULE = True
    show = make_show("SSSS")
    alice = UserFactory()
    seats_hold(user=alice, show=show, seat_ids=seat_ids(show, "A1", "A2"))
    # Moving to A3+A4 frees A1+A2 together: nothing stranded.
    hold_replace(user=alice, show=show, seat_ids=seat_ids(show, "A3", "A4"))
    with pytest.raises(LoneSeat):
        hold_replace(user=alice, show=show, seat_ids=seat_ids(show, "A2", "A3"))


def test_the_rule_can_be_switched_off(settings):
    settings.LONE_SEAT_RULE = False
    show = make_show("SSSS_SSSS")
    seats_hold(user=UserFactory(), show=show, seat_ids=seat_ids(show, "A2"))


def test_best_available_never_strands_a_seat(settings):
    settings.LONE_SEAT_RULE = True
    show = make_show("SSS_SSSS")  # two seats of the 3-block, or the 4-block's middle, strand one
    now = timezone.now()
    before = [
        SeatRow(s.pk, True, s.seat.row_index, s.seat.column, s.seat.seat_type)
        for s in show.show_seats.select_related("seat")
    ]
    hold = seats_hold_best(user=UserFactory(), show=show, quantity=2, now=now)
    chosen = [s.pk for s in hold.seats]
    assert seating.lone_seats(before, chosen) == []
    assert names_of(chosen) in (["A4", "A5"], ["A6", "A7"])


def test_api_answers_409_lone_seat_with_details(settings):
    settings.LONE_SEAT_RULE = True
    show = make_show("SSSS_SSSS")
    alice = UserFactory()
    response = client_for(alice).post(
        f"/api/v1/shows/{show.pk}/holds", {"seat_ids": seat_ids(show, "A7")}, format="json"
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "LONE_SEAT"
    assert error["names"] == ["A8"]
    assert error["seats"] == seat_ids(show, "A8")
    assert error["alternative"]


def test_page_refuses_and_offers_a_one_click_alternative(client, settings):
    settings.LONE_SEAT_RULE = True
    show = make_show("SSSS_SSSS")
    alice = UserFactory()
    client.force_login(alice)
    response = client.post(f"/shows/{show.pk}/", {"seats": seat_ids(show, "A2")})
    assert response.status_code == 409
    html = response.content.decode()
    assert "A1" in html and "on its own" in html
    assert 'name="seats"' in html and "Hold these instead" in html
    alternative = response.context["alternative"]
    response = client.post(f"/shows/{show.pk}/", {"seats": alternative})
    assert response.status_code == 302
    assert names_of(ShowSeat.objects.held_by(alice, timezone.now()).values_list("pk", flat=True))


def test_the_rule_yields_when_every_choice_strands_a_seat(settings):
    """Two seats left in a row, one wanted: any seat strands the other, so the
    last buyers are not turned away (by hand or by best available)."""
    settings.LONE_SEAT_RULE = True
    show = make_show("SS")
    alice, bob = UserFactory(), UserFactory()
    seats_hold(user=alice, show=show, seat_ids=seat_ids(show, "A2"))
    assert seats_hold_best(user=bob, show=make_show("SS"), quantity=1).seats
    other = make_show("SSSS")
    seats_hold(user=bob, show=other, seat_ids=seat_ids(other, "A1"))
    # A3 would strand A2 while A2 strands nothing: there the rule holds.
    with pytest.raises(LoneSeat):
        seats_hold(user=alice, show=other, seat_ids=seat_ids(other, "A3"))


def test_pure_sparing_falls_back_only_when_no_block_spares_a_seat():
    rows = rows_of("SS")
    assert seating.blocks_without_lone(rows, [[1], [2]]) == []
    assert seating.blocks_sparing_lone(rows, [[1], [2]]) == [[1], [2]]
    rows = rows_of("SSS")
    assert seating.blocks_sparing_lone(rows, [[2], [1]]) == [[1]]


def _lone_seats_plain(rows, chosen):
    """The rule as first written: the whole map walked for every choice."""
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
            if (left and left[1]) or (right and right[1]):
                continue
            if (left and left[0] in chosen) or (right and right[0] in chosen):
                lone.append(pk)
    return lone


def test_the_map_read_once_answers_as_the_plain_walk():
    """lone_seats (and so blocks_without_lone) reads the map once and checks a
    choice from its own neighbours: the same answer as walking the whole map,
    on random rooms with aisles, taken seats and choices of free or taken seats."""
    import random

    rnd = random.Random(7)
    for _ in range(400):
        rows, pk = [], 0
        for row_index in range(rnd.randint(1, 5)):
            for column in range(rnd.randint(1, 14)):
                if rnd.random() < 0.15:
                    continue  # an aisle gap
                pk += 1
                rows.append(SeatRow(pk, rnd.random() < 0.6, row_index, column, "STANDARD"))
        if not rows:
            continue
        chosen = set(rnd.sample([r.pk for r in rows], rnd.randint(1, min(4, len(rows)))))
        assert seating.lone_seats(rows, chosen) == _lone_seats_plain(rows, chosen)
        blocks = [rnd.sample([r.pk for r in rows], 1) for _ in range(5)]
        assert seating.blocks_without_lone(rows, blocks) == [b for b in blocks if not _lone_seats_plain(rows, b)]
