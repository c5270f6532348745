"""The redesigned seat picker in a real browser: quantity first (with and
without JavaScript), the no-lone-seat rule from the page, the phone layout
(overview of the room, 24 px targets, zoom, the summary bar at the bottom),
the skip link to "Hold seats"."""

import pytest
from playwright.sync_api import expect

from booking.management.commands.seed_demo import IMAX
from booking.models import ShowSeat
from tests.browser.helpers import log_in, make_show, make_user, seat_label
from tests.factories import ScreenFactory, ShowFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_quantity_first_preselects_the_best_seats(new_page, js):
    page = new_page(java_script_enabled=js, viewport=PHONE)
    show = make_show()
    user = make_user()
    log_in(page, user)
    page.goto(f"/shows/{show.pk}/")
    page.get_by_label("How many seats?").select_option("2")
    page.get_by_role("button", name="Find the best seats").click()
    expect(page.get_by_role("status").filter(has_text="Best 2 together")).to_be_visible()
    expect(page.locator("input[name=seats]:checked")).to_have_count(2)
    page.get_by_role("button", name="Hold seats").click()
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    assert ShowSeat.objects.filter(show=show, held_by=user).count() == 2


def test_an_invalid_quantity_is_a_clear_message(page):
    show = make_show()
    page.goto(f"/shows/{show.pk}/?qty=99")
    expect(page.get_by_role("alert")).to_contain_text("not a number of seats")


def test_lone_seat_refused_on_the_page_with_a_one_click_alternative(page, settings):
    settings.LONE_SEAT_RULE = True
    show = make_show()  # rows of 2 + 4 + 2 seats
    user = make_user()
    log_in(page, user)
    page.goto(f"/shows/{show.pk}/")
    page.get_by_role("checkbox", name=seat_label("A", 4)).check()
    page.get_by_role("button", name="Hold seats").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("A3 on its own")
    assert not ShowSeat.objects.filter(show=show, held_by=user).exists()
    alert.get_by_role("button", name="Hold these instead").click()
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    assert ShowSeat.objects.filter(show=show, held_by=user).count() == 1


def test_phone_overview_targets_zoom_and_bottom_bar(new_page):
    page = new_page(viewport=PHONE)
    show = ShowFactory(screen=ScreenFactory(layout="\n".join(IMAX)))
    page.goto(f"/shows/{show.pk}/")
    seat = page.get_by_role("checkbox", name=seat_label("F", 10, price="₹200"))
    box = page.locator(".seat").first.bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24
    # The room is wider than the phone: the overview shows all of it.
    expect(page.locator("canvas.overview")).to_be_visible()
    # The summary bar stays at the bottom of the screen.
    bar = page.locator(".picker__summary").bounding_box()
    assert abs(bar["y"] + bar["height"] - PHONE["height"]) <= 2
    expect(page.get_by_role("button", name="Hold seats")).to_be_in_viewport()
    # Zoom in makes seats larger; "Whole room" fits the width.
    page.get_by_role("button", name="Zoom in").click()
    assert page.locator(".seat").first.bounding_box()["width"] > box["width"]
    page.get_by_role("button", name="Whole room").click()
    scroller = page.locator(".seat-map__scroll")
    assert scroller.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
    seat.check(force=True)
    expect(page.get_by_text("Total ₹200")).to_be_visible()


def test_skip_link_goes_to_hold_seats(page):
    show = make_show()
    page.goto(f"/shows/{show.pk}/")
    page.get_by_label("How many seats?").focus()
    page.keyboard.press("Tab")  # Find the best seats
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to “Hold seats”")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Hold seats")).to_be_focused()


def test_at_expiry_checkout_changes_in_place(page, settings):
    from datetime import timedelta

    from django.utils import timezone

    from booking.services import seats_hold

    show = make_show()
    user = make_user()
    log_in(page, user)
    seat = ShowSeat.objects.filter(show=show).order_by("pk").first()
    seats_hold(
        user=user, show=show, seat_ids=[seat.pk], now=timezone.now() - timedelta(seconds=settings.SEAT_HOLD_SECONDS - 2)
    )
    page.goto(f"/shows/{show.pk}/checkout/")
    alert = page.get_by_role("alert").filter(has_text="Your seats were released")
    expect(alert).to_be_visible(timeout=6000)
    expect(page.get_by_role("button", name="Confirm booking")).to_have_count(0)
    page.get_by_role("link", name="Choose seats for this show again").click()
    expect(page.get_by_role("heading", name="Choose your seats")).to_be_visible()
    assert page.url.endswith(f"/shows/{show.pk}/")


def test_a_poster_that_fails_to_load_shows_its_fallback(page, live_server):
    show = make_show()
    movie = show.movie
    movie.poster_url = f"{live_server.url}/static/no-such-poster.jpg"
    movie.save()
    page.goto("/")
    expect(page.locator("img[data-poster]")).to_be_hidden()
    expect(page.locator(".poster--placeholder").first).to_be_visible()


def test_a_seat_lost_at_checkout_is_announced_and_the_order_updates(page):
    from booking.services import seats_hold, seats_release

    show = make_show()
    user = make_user()
    log_in(page, user)
    a1, a2 = ShowSeat.objects.filter(show=show).order_by("pk")[:2]
    seats_hold(user=user, show=show, seat_ids=[a1.pk, a2.pk])
    page.goto(f"/shows/{show.pk}/checkout/")
    expect(page.locator("main")).to_contain_text("A2")
    seats_release(user=user, show=show, seat_ids=[a2.pk])  # e.g. in another tab
    alert = page.get_by_role("alert").filter(has_text="A2 is no longer held for you")
    expect(alert).to_be_visible(timeout=9000)
    expect(page.locator("table")).not_to_contain_text("A2")


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, PHONE], ids=["desktop", "phone"])
def test_no_console_errors_on_any_moviegoer_page(new_page, viewport):
    page = new_page(viewport=viewport)
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(f"{page.url}: {msg.text}"))
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    show = make_show()
    user = make_user()
    pages = ["/", f"/movies/{show.movie_id}/", "/help/", "/terms/", "/cancellation-policy/", "/contact/"]
    for path in pages + [f"/shows/{show.pk}/", f"/shows/{show.pk}/?qty=2"]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
    # Exercise the picker's script: zoom, arrows, a tick.
    page.get_by_role("button", name="Zoom in").click()
    page.get_by_role("button", name="Whole room").click()
    page.get_by_role("button", name="Zoom out").click()
    page.get_by_role("checkbox", name=seat_label("A", 1)).focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    log_in(page, user)
    page.goto(f"/shows/{show.pk}/?qty=2")
    page.get_by_role("button", name="Hold seats").click()
    page.wait_for_url("**/checkout/")
    page.wait_for_load_state("networkidle")
    page.goto("/bookings/")
    page.wait_for_load_state("networkidle")
    assert errors == []


def test_sold_and_held_seats_look_so_not_only_by_their_label(page):
    from booking.services import booking_confirm, seats_hold

    show = make_show()
    other = make_user()
    a1, a2, b1 = (ShowSeat.objects.get(show=show, seat__row_label=r, seat__number=n) for r, n in ("A1", "A2", "B1"))
    seats_hold(user=other, show=show, seat_ids=[a1.pk, a2.pk])
    booking_confirm(user=other, show=show, seat_ids=[a1.pk, a2.pk])
    seats_hold(user=other, show=show, seat_ids=[b1.pk])
    page.goto(f"/shows/{show.pk}/")
    sold = page.locator(f'input[value="{a1.pk}"] + i').evaluate("el => getComputedStyle(el).backgroundColor")
    held = page.locator(f'input[value="{b1.pk}"] + i').evaluate("el => getComputedStyle(el).borderStyle")
    free = page.locator(f'input[value="{a1.pk + 2}"] + i').evaluate("el => getComputedStyle(el).backgroundColor")
    assert sold == "rgb(87, 83, 78)" and sold != free
    assert held == "dashed"
