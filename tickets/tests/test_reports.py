"""Sales reports: the figures, scoping, the streamed CSV and the SVG chart."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from booking.services import booking_cancel
from tests.factories import PaymentFactory, RefundFactory, ScreenFactory, ShowFactory, StaffFactory, TheatreFactory
from tickets.models import StaffTheatre
from tickets.reports import report_rows


@pytest.fixture
def sales(db, user, order_for):
    show = ShowFactory()  # tomorrow, 20 seats
    kept = order_for(user, show, n=2)  # 2 standard seats at 200
    voided = order_for(user, show, n=1)
    booking_cancel(booking=voided, by=user)
    paid = order_for(user, show, n=1)
    RefundFactory(payment=PaymentFactory(order_id=paid.pk, paid=True), amount=Decimal("50.00"), status="SUCCEEDED")
    other = ShowFactory(screen=ScreenFactory(theatre=TheatreFactory(name="Plaza Theirs")), start_time=show.start_time)
    order_for(user, other, n=3)
    return {"show": show, "other": other, "kept": kept}


def test_figures_per_day_and_per_theatre(sales):
    day = timezone.localdate(sales["show"].start_time)
    boss = StaffFactory(is_superuser=True)
    (row,) = report_rows(user=boss, date_from=day, date_to=day, group="day")
    assert row.shows == 2 and row.tickets_sold == 2 + 1 + 3
    assert row.capacity == 40 and row.occupancy_pct == 15.0  # 6 of 2 × 20 seats
    assert row.gross == Decimal("1400.00")  # 400 + 200 (voided) + 200 + 600
    assert row.refunds == Decimal("250.00")  # the voided 200 + the 50 refunded
    assert row.net == Decimal("1150.00") and row.fees == Decimal("0.00")
    rows = list(report_rows(user=boss, date_from=day, date_to=day, group="theatre"))
    assert [r.theatre for r in rows] == sorted(r.theatre for r in rows) and len(rows) == 2


def test_scoped_staff_see_their_theatres_only(sales):
    day = timezone.localdate(sales["show"].start_time)
    manager = StaffFactory()
    StaffTheatre.objects.create(user=manager, theatre=sales["show"].screen.theatre)
    rows = list(report_rows(user=manager, date_from=day, date_to=day, group="all"))
    assert [r.theatre for r in rows] == [sales["show"].screen.theatre.name]
    assert rows[0].tickets_sold == 3


def test_page_csv_and_chart(client, sales):
    day = timezone.localdate(sales["show"].start_time).isoformat()
    client.force_login(StaffFactory(is_superuser=True))
    page = client.get(reverse("admin-reports"), {"date_from": day, "date_to": day, "group": "theatre"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "<svg" in text and "Plaza Theirs" in text and "<script" not in text.split("<svg", 1)[1].split("</svg>")[0]
    r = client.get(reverse("admin-reports"), {"date_from": day, "date_to": day, "group": "all", "format": "csv"})
    assert r.streaming and r["Content-Type"] == "text/csv"
    table = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode())))
    assert table[0][:3] == ["day", "theatre", "movie"] and len(table) == 3
    bad = client.get(reverse("admin-reports"), {"date_from": "2026-01-02", "date_to": "2026-01-01"})
    assert bad.status_code == 400
    assert client.get(reverse("admin-reports"), {"date_from": "nope"}).status_code == 400


def test_only_staff_with_permission(client, user, sales):
    assert client.get(reverse("admin-reports")).status_code == 302
    client.force_login(StaffFactory(permissions=[]))
    assert client.get(reverse("admin-reports")).status_code == 403
