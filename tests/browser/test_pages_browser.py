"""The moviegoer flow in a real browser: keyboard only, JavaScript off, live
seat updates and the conflict message."""

import re

import pytest
from playwright.sync_api import expect

from booking.models import Booking, BookingStatus, ShowSeat
from booking.services import seats_hold
from tests.browser.helpers import PASSWORD, log_in, make_show, make_user, seat_label, tab_to

pytestmark = pytest.mark.django_db(transaction=True)


def _seat_id(show, name):
    return ShowSeat.objects.get(show=show, seat__row_label=name[0], seat__number=int(name[1:])).pk


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 800}, {"width": 390, "height": 844}], ids=["desktop", "phone"]
)
def test_whole_flow_keyboard_only(new_page, viewport):
    page = new_page(viewport=viewport)
    show = make_show()
    user = make_user()
    kb = page.keyboard

    page.goto("/")
    tab_to(page, page.get_by_role("link", name="Monsoon Heist"))
    kb.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Monsoon Heist")
    tab_to(page, page.locator(f'a[href="/shows/{show.pk}/"]'))
    kb.press("Enter")
    expect(page.get_by_role("heading", name="Choose your seats")).to_be_visible()

    # The grid is one Tab stop (its first free seat); arrows move inside it.
    tab_to(page, page.get_by_role("checkbox", name=seat_label("A", 1)), limit=40)
    kb.press("ArrowRight")
    seat = page.get_by_role("checkbox", name=seat_label("A", 2))
    expect(seat).to_be_focused()
    kb.press("ArrowDown")
    expect(page.get_by_role("checkbox", name=seat_label("B", 2, "Premium", "₹300"))).to_be_focused()
    kb.press("ArrowUp")
    kb.press("Space")
    expect(seat).to_be_checked()
    expect(page.get_by_text("Total ₹200")).to_be_visible()
    # Tab leaves the grid straight to the summary.
    kb.press("Tab")
    expect(page.get_by_role("button", name="Hold seats")).to_be_focused()
    kb.press("Enter")

    # Not logged in: through the login form, and the hold is placed on the way back.
    expect(page.get_by_label("Email")).to_be_focused()
    kb.type(user.email)
    kb.press("Tab")
    kb.type(PASSWORD)
    kb.press("Enter")

    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    expect(page.get_by_role("timer")).to_have_text(re.compile(r"^(9|10):\d\d$"))
    tab_to(page, page.get_by_role("button", name="Confirm booking"))
    kb.press("Enter")

    expect(page.get_by_text("Booking confirmed")).to_be_visible()
    booking = Booking.objects.get(user=user)
    expect(page.get_by_role("heading", level=1)).to_contain_text(booking.code)
    tab_to(page, page.get_by_role("link", name="My bookings", exact=True))
    kb.press("Enter")
    tab_to(page, page.get_by_role("link", name=f"Cancel booking {booking.code}"))
    kb.press("Enter")
    tab_to(page, page.get_by_role("button", name="Cancel booking"))
    kb.press("Enter")
    expect(page.get_by_role("status").filter(has_text="is cancelled")).to_be_visible()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 800}, {"width": 390, "height": 844}], ids=["desktop", "phone"]
)
def test_whole_flow_without_javascript(new_page, viewport):
    page = new_page(java_script_enabled=False, viewport=viewport)
    show = make_show()
    user = make_user()
    log_in(page, user)

    page.goto(f"/shows/{show.pk}/")
    page.get_by_role("checkbox", name=seat_label("B", 3, "Premium", "₹300")).check()
    page.get_by_role("checkbox", name=seat_label("B", 4, "Premium", "₹300")).check()
    page.get_by_role("button", name="Hold seats").click()
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("₹600")
    page.get_by_role("button", name="Confirm booking").click()

    expect(page.get_by_text("Booking confirmed")).to_be_visible()
    booking = Booking.objects.get(user=user)
    expect(page.get_by_text(booking.code).first).to_be_visible()
    page.get_by_role("link", name="My bookings", exact=True).click()
    page.get_by_role("link", name=f"Cancel booking {booking.code}").click()
    page.get_by_role("button", name="Cancel booking").click()
    expect(page.get_by_text(f"Booking {booking.code} is cancelled")).to_be_visible()

    # The seats are free again on the map.
    page.goto(f"/shows/{show.pk}/")
    expect(page.get_by_role("checkbox", name=seat_label("B", 3, "Premium", "₹300"))).to_be_enabled()


def test_seat_taken_by_someone_else_updates_without_reload(page, settings):
    settings.SEAT_MAP_POLL_MS = 300
    show = make_show()
    page.goto(f"/shows/{show.pk}/")
    mine = page.get_by_role("checkbox", name=seat_label("A", 1))
    mine.check()
    page.evaluate("window.__sameDocument = true")

    seats_hold(user=make_user(), show=show, seat_ids=[_seat_id(show, "A1"), _seat_id(show, "A2")])

    taken = page.get_by_role("checkbox", name=seat_label("A", 1, status="held"))
    expect(taken).to_be_disabled(timeout=5000)
    expect(taken).not_to_be_checked()
    expect(page.get_by_role("checkbox", name=seat_label("A", 2, status="held"))).to_be_disabled()
    expect(page.get_by_role("status").filter(has_text="just taken")).to_contain_text("A1")
    assert page.evaluate("window.__sameDocument") is True  # no reload happened


def test_conflict_message_and_updated_map(page, settings):
    settings.SEAT_MAP_POLL_MS = 600_000  # the page does not learn of it before the click
    show = make_show()
    user = make_user()
    log_in(page, user)
    page.goto(f"/shows/{show.pk}/")
    page.get_by_role("checkbox", name=seat_label("A", 3)).check()

    seats_hold(user=make_user(), show=show, seat_ids=[_seat_id(show, "A3")])

    with page.expect_response(lambda r: r.request.method == "POST") as info:
        page.get_by_role("button", name="Hold seats").click()
    assert info.value.status == 409
    expect(page.get_by_role("alert")).to_contain_text("someone else just took")
    expect(page.get_by_role("checkbox", name=seat_label("A", 3, status="held"))).to_be_disabled()


def test_a_ticked_seat_looks_ticked_under_the_pointer_and_on_a_phone(new_page):
    """Hover must not paint over a ticked seat: after a click (or a tap, which
    leaves :hover stuck) the seat keeps its filled look and its number."""
    show = make_show()
    for options in ({}, {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}):
        page = new_page(**options)
        page.goto(f"/shows/{show.pk}/")
        seat = page.get_by_role("checkbox", name=seat_label("A", 3))
        box = page.locator(f'input[value="{_seat_id(show, "A3")}"] + i')
        ticked = page.locator(".seat-sample.seat--mine").evaluate("el => getComputedStyle(el).backgroundColor")
        bb = box.bounding_box()
        x, y = bb["x"] + bb["width"] / 2, bb["y"] + bb["height"] / 2
        page.touchscreen.tap(x, y) if options else page.mouse.click(x, y)
        expect(seat).to_be_checked()
        assert box.evaluate("el => getComputedStyle(el).backgroundColor") == ticked  # as the legend's "Your choice"
