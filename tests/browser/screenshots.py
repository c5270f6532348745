"""Capture screenshots of the moviegoer pages into docs/screenshots/.

    .venv/bin/python -m tests.browser.screenshots [--out docs/screenshots]

Seeds a throw-away SQLite database with the demo data (plus a few sold and held
seats so the map looks lived-in), serves it with `manage.py runserver` on a
free local port, and drives Debian's Chromium through Playwright as the demo
user: home, movie, seat picker (1280 and 390 wide), checkout, confirmation,
my bookings.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _seed(env: dict) -> int:
    """Migrate, load the demo data and make the first big show look busy.
    Returns that show's id."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cinema.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from accounts.models import User
    from booking.models import ShowSeat
    from booking.services import booking_confirm, seats_hold
    from catalog.models import Show

    call_command("migrate", verbosity=0)
    call_command("seed_demo", days=3, stdout=open(os.devnull, "w"))
    show = Show.objects.filter(screen__name__contains="IMAX").order_by("start_time").first()
    other = User.objects.create_user(email="other@example.com", password="other-pass-2026", name="Other")
    seats = {s.seat.name: s.pk for s in ShowSeat.objects.filter(show=show).select_related("seat")}
    sold = [seats[n] for n in ("F7", "F8", "F9", "F10", "H5", "H6", "G8", "G9", "J11", "J12", "K3")]
    seats_hold(user=other, show=show, seat_ids=sold[:10])
    booking_confirm(user=other, show=show, seat_ids=sold[:10])
    seats_hold(user=other, show=show, seat_ids=[seats[n] for n in ("E9", "E10", "E11")])
    return show.pk


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    tmp = tempfile.mkdtemp(prefix="cinema-screens-")
    env = {
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp}/screens.sqlite3",
        "CACHE_URL": "locmemcache://",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "AXES_ENABLED": "false",
    }
    show_id = _seed(env)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--nothreading"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        _capture(base, show_id, out)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"Screenshots written to {out}")
    return 0


def _capture(base: str, show_id: int, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for size, viewport in SIZES.items():
            page = browser.new_context(base_url=base, viewport=viewport).new_page()
            page.goto("/")
            page.screenshot(path=out / f"home-{size}.png", full_page=True)
            page.goto(f"/shows/{show_id}/")
            movie_url = (
                page.get_by_role("navigation", name="Breadcrumb").get_by_role("link").nth(1).get_attribute("href")
            )
            page.goto(movie_url)
            page.screenshot(path=out / f"movie-{size}.png", full_page=True)
            # Quantity first: the best two seats come ticked.
            page.goto(f"/shows/{show_id}/?qty=2")
            if size == "phone":
                # What the phone shows at once: the overview strip, the map at
                # tap size, the summary bar at the bottom; then the whole room.
                page.locator(".seat-map").scroll_into_view_if_needed()
                page.screenshot(path=out / "seat-picker-phone.png")
                page.get_by_role("button", name="Whole room").click()
                page.locator(".seat-map").scroll_into_view_if_needed()
                page.screenshot(path=out / "seat-picker-phone-whole-room.png")
            else:
                page.screenshot(path=out / f"seat-picker-{size}.png", full_page=True)
            page.goto("/help/")
            page.screenshot(path=out / f"help-{size}.png", full_page=True)
            page.context.close()

        page = browser.new_context(base_url=base, viewport=SIZES["phone"]).new_page()
        page.goto(f"/shows/{show_id}/?qty=3")
        page.get_by_role("button", name="Hold seats").click()  # logged out: the login keeps the choice
        page.get_by_label("Email").fill("demo@example.com")
        page.get_by_label("Password").fill("demo-pass-2026")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/checkout/")
        page.wait_for_timeout(1200)
        page.screenshot(path=out / "checkout-phone.png", full_page=True)
        page.get_by_role("button", name="Release seats").click()
        page.context.close()

        page = browser.new_context(base_url=base, viewport=SIZES["desktop"]).new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill("demo@example.com")
        page.get_by_label("Password").fill("demo-pass-2026")
        page.get_by_role("button", name="Log in").click()
        page.goto(f"/shows/{show_id}/?qty=2")
        page.get_by_role("button", name="Hold seats").click()
        page.wait_for_url("**/checkout/")
        page.wait_for_timeout(1200)
        page.screenshot(path=out / "checkout-desktop.png", full_page=True)
        page.get_by_role("button", name="Confirm booking").click()
        page.wait_for_url("**/bookings/*/")
        page.screenshot(path=out / "confirmation-desktop.png", full_page=True)
        page.goto("/bookings/")
        page.screenshot(path=out / "my-bookings-desktop.png", full_page=True)
        browser.close()


if __name__ == "__main__":
    sys.exit(main())
