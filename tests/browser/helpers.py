"""Shared bits of the browser tests: demo data and a keyboard helper."""

from tests.factories import DEFAULT_PASSWORD, MovieFactory, ScreenFactory, ShowFactory, TheatreFactory, UserFactory

PASSWORD = DEFAULT_PASSWORD


def make_show():
    """A show tomorrow on a small screen (rows A-C, 20 seats)."""
    theatre = TheatreFactory(name="Galaxy Multiplex", city="Mumbai")
    movie = MovieFactory(title="Monsoon Heist", description="One last robbery.")
    return ShowFactory(movie=movie, screen=ScreenFactory(theatre=theatre, name="Audi 1"))


def make_user(**kwargs):
    return UserFactory(**kwargs)


def seat_label(row, number, kind="Standard", price="₹200", status="available"):
    return f"Row {row}, seat {number}, {kind}, {price}, {status}"


def tab_to(page, locator, *, limit=200):
    """Press Tab until ``locator`` has the focus, as a keyboard user would."""
    handle = locator.element_handle()
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("el => el === document.activeElement", handle):
            return
    raise AssertionError(f"could not reach {locator} with the Tab key")


def log_in(page, user, password=PASSWORD):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
