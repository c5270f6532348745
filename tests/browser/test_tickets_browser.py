"""The door and the back office in Chromium: the check-in page by keyboard
(JavaScript answers through the API, a live region announces them; axe clean),
the reports page with its SVG chart, and the ticket email rendered as HTML
with its QR image showing and its .ics attached."""

import base64
import email

import pytest
from django.core import mail
from django.utils import timezone

from booking.services import booking_confirm, seats_hold
from tests.browser.helpers import log_in, make_show, make_user
from tests.browser.test_accessibility import audit
from tests.factories import ShowFactory, StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _order(user, show, n=2):
    ids = list(show.show_seats.filter(status="AVAILABLE").order_by("pk").values_list("pk", flat=True)[:n])
    seats_hold(user=user, show=show, seat_ids=ids)
    return booking_confirm(user=user, show=show, seat_ids=ids).booking


def _tonight():
    now = timezone.localtime()
    start = now + timezone.timedelta(minutes=30)
    if start.date() != now.date():
        start = now + timezone.timedelta(minutes=2)
    return ShowFactory(start_time=start)


def test_checkin_page_by_keyboard_announces_each_answer(new_page):
    show = _tonight()
    order = _order(make_user(), show)
    staff = StaffFactory()
    page = new_page()  # the site's CSP enforced: checkin.js is our own file
    log_in(page, staff)
    page.goto("/staff/checkin/")
    code = page.get_by_label("Ticket code")
    assert page.evaluate("() => document.activeElement.id") == "checkin-code"  # autofocus: type at once
    page.keyboard.type(order.code.lower())
    page.keyboard.press("Enter")
    result = page.get_by_role("status")
    result.get_by_text("Admitted").wait_for()
    assert "Seats:" in result.inner_text() and result.get_attribute("aria-live") == "assertive"
    assert code.input_value() == ""  # ready for the next ticket, focus kept
    assert page.evaluate("() => document.activeElement.id") == "checkin-code"
    page.keyboard.type(order.code)
    page.keyboard.press("Enter")
    result.get_by_text("Already admitted").wait_for()
    assert "First admitted at" in result.inner_text()
    page.keyboard.type("NOPE-0000")
    page.keyboard.press("Enter")
    result.get_by_text("Unknown code").wait_for()

    axe_page = new_page(bypass_csp=True)  # axe is injected inline
    log_in(axe_page, staff)
    axe_page.goto("/staff/checkin/")
    assert audit(axe_page) == []
    phone = new_page(bypass_csp=True, viewport={"width": 390, "height": 844})
    log_in(phone, staff)
    phone.goto("/staff/checkin/")
    assert audit(phone) == []


def test_checkin_page_without_javascript(new_page):
    order = _order(make_user(), _tonight())
    staff = StaffFactory()
    page = new_page(java_script_enabled=False)
    log_in(page, staff)
    page.goto("/staff/checkin/")
    page.get_by_label("Ticket code").fill(order.code)
    page.get_by_role("button", name="Check in").click()
    page.get_by_role("status").get_by_text("Admitted").wait_for()


def test_reports_page_shows_a_chart_and_a_csv_link(new_page):
    show = make_show()
    _order(make_user(), show)
    page = new_page()
    log_in(page, StaffFactory(is_superuser=True))
    page.goto("/admin/reports/?group=theatre")
    chart = page.get_by_role("img", name="Gross revenue per theatre")
    chart.wait_for()
    assert "Galaxy Multiplex" in chart.inner_html()
    assert page.get_by_role("table").get_by_text("Galaxy Multiplex").count() >= 1
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename.endswith(".csv")


def test_ticket_email_renders_with_its_qr_and_ics(page, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    order = _order(make_user(), make_show())  # transaction=True: on_commit runs
    (message,) = [m for m in mail.outbox if order.code in m.subject]
    parsed = email.message_from_bytes(message.message().as_bytes())
    parts = {p.get_content_type(): p for p in parsed.walk()}
    html = parts["text/html"].get_payload(decode=True).decode()
    png = base64.b64encode(parts["image/png"].get_payload(decode=True)).decode()
    # What a mail client does with cid: references to the inline part.
    page.set_content(html.replace("cid:ticket-qr", f"data:image/png;base64,{png}"))
    qr = page.get_by_role("img", name=f"QR code of ticket {order.code}")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    assert page.get_by_text(order.code).count() >= 1
    ics = parts["text/calendar"].get_payload(decode=True).decode()
    assert "BEGIN:VEVENT" in ics and order.code in ics
