"""axe-core audit (from npm, see package.json) of every moviegoer page: no
serious or critical violations."""

from pathlib import Path

import pytest

from booking.models import ShowSeat
from booking.services import booking_confirm, seats_hold
from tests.browser.helpers import log_in, make_show, make_user, seat_label

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def audit(page) -> list[str]:
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `npm ci` (make test does it).")
    page.wait_for_load_state()  # a click's navigation has a document to add to
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} -> "
        + "; ".join(
            node["target"][0] if isinstance(node["target"][0], str) else str(node["target"]) for node in v["nodes"][:3]
        )
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}], ids=["desktop", "phone"]
)
def test_every_page_passes_axe(new_page, settings, viewport):
    settings.DEBUG = False  # the friendly 404 page, not the debug one
    # axe is injected as an inline script, which the site's CSP rightly
    # refuses; the other browser tests run with the CSP enforced.
    page = new_page(viewport=viewport, bypass_csp=True)
    show = make_show()
    other = make_user()
    sold = list(ShowSeat.objects.filter(show=show).order_by("pk").values_list("pk", flat=True)[:2])
    seats_hold(user=other, show=show, seat_ids=sold)
    booking_confirm(user=other, show=show, seat_ids=sold)
    seats_hold(user=other, show=show, seat_ids=[sold[-1] + 1])
    problems = []

    for url in (
        "/",
        show.movie.get_absolute_url(),
        f"/shows/{show.pk}/",
        "/accounts/login/",
        "/accounts/register/",
        "/help/",
        "/terms/",
        "/cancellation-policy/",
        "/contact/",
        f"/shows/{show.pk}/?qty=3",
        "/?date=not-a-date",
        "/no-such-page/",
    ):
        page.goto(url)
        problems += audit(page)

    log_in(page, make_user())
    page.goto(f"/shows/{show.pk}/")
    page.get_by_role("checkbox", name=seat_label("B", 5, "Premium", "₹300")).check()
    page.get_by_role("button", name="Hold seats").click()
    page.wait_for_url("**/checkout/")
    problems += audit(page)
    page.get_by_role("button", name="Confirm booking").click()
    page.wait_for_url("**/bookings/*/")
    problems += audit(page)
    page.goto("/bookings/")
    problems += audit(page)
    page.get_by_role("link", name="Cancel booking").first.click()
    page.wait_for_url("**/cancel/")
    problems += audit(page)
    assert problems == []
