"""The strict Content-Security-Policy breaks nothing: no violation on the
moviegoer pages or the admin pages with scripts of their own."""

import pytest

from booking.models import Booking
from tests.browser.helpers import PASSWORD, log_in, make_show, make_user
from tests.factories import BookingFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_no_csp_violations_on_pages_and_admin(page):
    violations = []
    page.on("console", lambda msg: "Content Security Policy" in msg.text and violations.append(msg.text))
    show = make_show()
    user = make_user()
    staff = make_user(is_staff=True, is_superuser=True)
    booking = BookingFactory(show=show, user=user)
    log_in(page, user)
    for path in ["/", f"/movies/{show.movie_id}/", f"/shows/{show.pk}/", "/bookings/", "/no/such/page/"]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
    page.context.clear_cookies()
    page.goto("/admin/login/")
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    for path in [
        "/admin/",
        "/admin/catalog/screen/add/",
        "/admin/catalog/show/",
        f"/admin/booking/booking/{booking.pk}/change/",
    ]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
    assert violations == []
    assert Booking.objects.count() == 1
