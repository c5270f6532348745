import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_home_page_loads_in_chromium(page):
    page.goto("/")
    assert page.get_by_role("heading", level=1).is_visible()
