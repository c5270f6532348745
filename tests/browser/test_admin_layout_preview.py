"""The screen layout editor in the admin redraws its seat preview as staff type."""

import pytest
from playwright.sync_api import expect

from tests.factories import DEFAULT_PASSWORD, TheatreFactory, UserFactory


@pytest.mark.django_db(transaction=True)
def test_layout_preview_follows_the_text_as_it_is_typed(page):
    TheatreFactory()
    staff = UserFactory(is_staff=True, is_superuser=True)

    page.goto("/admin/login/")
    page.get_by_label("Email address").fill(staff.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/admin/catalog/screen/add/")

    layout = page.locator("#id_layout")
    preview = page.locator(".layout-preview")
    expect(preview.locator(".layout-preview__summary")).to_have_text("No seats yet.")

    layout.press_sequentially("SS_PP")
    layout.press("Enter")
    layout.press_sequentially("RR__A")
    expect(preview.locator(".layout-preview__summary")).to_have_text(
        "7 seats · 2 standard · 2 premium · 2 recliner · 1 accessible"
    )
    expect(preview.locator(".layout-preview__grid .lp-seat")).to_have_count(7)
    expect(preview.locator(".layout-preview__row")).to_have_count(2)

    layout.press_sequentially("X")
    expect(preview.locator(".layout-preview__error")).to_contain_text("Row B has unknown seat letter(s) 'X'")
