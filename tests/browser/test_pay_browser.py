"""Paying with the `test` provider in a real browser: keyboard only, and with
JavaScript off (a decline, then the good card)."""

import re

import pytest
from playwright.sync_api import expect

from booking.models import Booking, BookingStatus, ShowSeat
from booking.services import seats_hold
from tests.browser.helpers import log_in, make_show, make_user, tab_to

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("payments_on")]


def _hold(user, show, *names):
    ids = [ShowSeat.objects.get(show=show, seat__row_label=n[0], seat__number=int(n[1:])).pk for n in names]
    seats_hold(user=user, show=show, seat_ids=ids)


def test_pay_keyboard_only(page):
    show, user = make_show(), make_user()
    log_in(page, user)
    _hold(user, show, "A2")
    page.goto(f"/shows/{show.pk}/checkout/")
    expect(page.get_by_role("table")).to_contain_text("₹235.40")  # 200 + 30 fee + 5.40 tax
    tab_to(page, page.get_by_role("button", name=re.compile("Continue to payment")))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Pay for your order")).to_be_visible()
    tab_to(page, page.get_by_label("Card number"))
    page.keyboard.type("4000 0000 0000 0002")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("declined")
    order = Booking.objects.get(user=user)
    assert order.status == BookingStatus.PAYMENT_PENDING
    tab_to(page, page.get_by_label("Card number"))
    page.keyboard.type("4242 4242 4242 4242")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Booking confirmed")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text(order.code)
    order.refresh_from_db()
    assert order.status == BookingStatus.CONFIRMED


def test_pay_later_from_my_bookings_without_javascript(new_page):
    page = new_page(java_script_enabled=False)
    show, user = make_show(), make_user()
    log_in(page, user)
    _hold(user, show, "B3")
    page.goto(f"/shows/{show.pk}/checkout/")
    page.get_by_role("button", name=re.compile("Continue to payment")).click()
    expect(page.get_by_role("heading", name="Pay for your order")).to_be_visible()
    page.get_by_role("link", name="Back to the order").click()
    expect(page.get_by_text("Not paid yet.")).to_be_visible()
    page.get_by_role("link", name="My bookings", exact=True).click()
    page.get_by_role("link", name=re.compile("Resume payment")).click()
    page.get_by_role("link", name=re.compile("Pay now")).click()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name=re.compile("^Pay ")).click()
    expect(page.get_by_text("Booking confirmed")).to_be_visible()


def test_payment_pages_pass_axe(new_page):
    from tests.browser.test_accessibility import audit

    page = new_page(bypass_csp=True)  # axe is injected inline
    show, user = make_show(), make_user()
    log_in(page, user)
    _hold(user, show, "A3")
    page.goto(f"/shows/{show.pk}/checkout/")
    problems = audit(page)
    page.get_by_role("button", name=re.compile("Continue to payment")).click()
    expect(page.get_by_role("heading", name="Pay for your order")).to_be_visible()
    problems += audit(page)
    page.get_by_label("Card number").fill("4000 0000 0000 0002")
    page.get_by_role("button", name=re.compile("^Pay ")).click()
    expect(page.get_by_role("alert")).to_contain_text("declined")
    problems += audit(page)
    page.get_by_role("link", name="Back to the order").click()
    problems += audit(page)
    page.goto("/bookings/")
    problems += audit(page)
    assert problems == []
