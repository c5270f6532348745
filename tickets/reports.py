"""Sales reports for staff: per day, theatre or movie (or all three) —
tickets sold, occupancy, gross and net revenue, refunds, fees.

The database does the per-show sums (one row per show, each figure a
correlated subquery so two one-to-many joins never multiply each other);
Python rolls shows up into report rows while streaming them, so memory stays
constant however many orders there are: shows are read in keyset pages, and "per day" rows are emitted as soon as the day is done.

Money, from the order's own fields and payments.Refund: ``gross`` is the
``total`` of every order that was sold (``confirmed_at`` set: still
CONFIRMED, or cancelled after it was confirmed; an order never paid, or paid
too late and refunded, was never sold); ``refunds`` what went back on sold
orders (their payments.Refund rows that did not fail, and the whole total of a
cancelled sold order that has no paid payment, i.e. paid at the cinema and
voided); ``net = gross - refunds``; ``fees`` the booking ``fees`` of the
orders still CONFIRMED. Theatre scoping applies
(cinema.permissions.staff_scope_queryset).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from booking.models import Booking, BookingSeat, BookingStatus, ShowSeat
from catalog.models import Show
from cinema.permissions import staff_scope_queryset
from payments.models import Payment, PaymentStatus, Refund

GROUPS = {"day": "Day", "theatre": "Theatre", "movie": "Movie", "all": "Day, theatre and movie"}
ZERO = Decimal("0.00")
PAID = [PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED]
MONEY = DecimalField(max_digits=14, decimal_places=2)
COLUMNS = [
    "day",
    "theatre",
    "movie",
    "shows",
    "tickets_sold",
    "capacity",
    "occupancy_pct",
    "gross",
    "refunds",
    "fees",
    "net",
]


@dataclass
class ReportRow:
    day: date | None = None
    theatre: str = ""
    movie: str = ""
    shows: int = 0
    tickets_sold: int = 0
    capacity: int = 0
    gross: Decimal = ZERO
    refunds: Decimal = ZERO
    fees: Decimal = ZERO
    extra: dict = field(default_factory=dict)

    @property
    def occupancy_pct(self) -> float:
        return round(100 * self.tickets_sold / self.capacity, 1) if self.capacity else 0.0

    @property
    def net(self) -> Decimal:
        return self.gross - self.refunds

    def add(self, show: dict) -> None:
        self.shows += 1
        self.tickets_sold += show["r_tickets"]
        self.capacity += show["r_capacity"]
        self.gross += show["r_gross"]
        self.refunds += show["r_refunds"] + show["r_voided"]
        self.fees += show["r_fees"]

    def as_list(self) -> list:
        return [getattr(self, c) if c != "day" else (self.day.isoformat() if self.day else "") for c in COLUMNS]


def _sum_orders(expression, *, statuses) -> Subquery:
    return Coalesce(
        Subquery(
            Booking.objects.filter(show=OuterRef("pk"), status__in=statuses, confirmed_at__isnull=False)
            .order_by()
            .values("show")
            .annotate(s=Sum(expression))
            .values("s"),
            output_field=MONEY,
        ),
        Value(ZERO),
        output_field=MONEY,
    )


def _count(queryset) -> Coalesce:
    return Coalesce(Subquery(queryset.order_by().values("n")), 0)


def report_shows(*, user, date_from: date, date_to: date, theatre_id: int | None = None):
    """Shows starting on local dates date_from..date_to (inclusive), each with
    r_tickets, r_capacity, r_gross, r_refunds, r_voided, r_fees; ordered by start."""
    start = timezone.make_aware(datetime.combine(date_from, time.min))
    end = timezone.make_aware(datetime.combine(date_to + timedelta(days=1), time.min))
    sold = [BookingStatus.CONFIRMED, BookingStatus.CANCELLED]
    shows = staff_scope_queryset(Show.objects.all(), user).filter(start_time__gte=start, start_time__lt=end)
    if theatre_id:
        shows = shows.filter(screen__theatre_id=theatre_id)
    tickets = (
        BookingSeat.objects.filter(booking__show=OuterRef("pk"), booking__status=BookingStatus.CONFIRMED, active=True)
        .values("booking__show")
        .annotate(n=Count("pk"))
    )
    capacity = ShowSeat.objects.filter(show=OuterRef("pk")).values("show").annotate(n=Count("pk"))
    refunds = (
        Refund.objects.filter(
            payment__order_id__in=Booking.objects.filter(
                show=OuterRef(OuterRef("pk")), confirmed_at__isnull=False
            ).values("pk")
        )
        .exclude(status="FAILED")
        .order_by()
        .values("currency")
        .annotate(s=Sum("amount"))
        .values("s")[:1]
    )
    has_payment = Exists(Payment.objects.filter(order_id=OuterRef("pk"), status__in=PAID))
    voided = Coalesce(
        Subquery(
            Booking.objects.filter(show=OuterRef("pk"), status=BookingStatus.CANCELLED, confirmed_at__isnull=False)
            .exclude(has_payment)
            .order_by()
            .values("show")
            .annotate(s=Sum("total"))
            .values("s"),
            output_field=MONEY,
        ),
        Value(ZERO),
        output_field=MONEY,
    )
    return (
        shows.annotate(
            r_tickets=_count(tickets),
            r_capacity=_count(capacity),
            r_gross=_sum_orders("total", statuses=sold),
            r_refunds=Coalesce(Subquery(refunds, output_field=MONEY), Value(ZERO), output_field=MONEY),
            r_voided=voided,
            r_fees=_sum_orders("fees", statuses=[BookingStatus.CONFIRMED]),
        )
        .order_by("start_time", "pk")
        .values(
            "pk",
            "start_time",
            "screen__theatre__name",
            "movie__title",
            "r_tickets",
            "r_capacity",
            "r_gross",
            "r_refunds",
            "r_voided",
            "r_fees",
        )
    )


CHUNK = 200


def _shows_in_chunks(shows) -> Iterator[dict]:
    """Keyset pages of CHUNK shows by (start_time, pk): constant memory on
    every backend (mysqlclient would fetch a whole ``.iterator()`` result)."""
    # The page's ids first (the start_time index alone), then the sums for
    # those ids only: a database sorting the annotated rows would otherwise
    # compute every remaining show's subqueries for each page.
    keys = shows.values_list("start_time", "pk")
    last = None
    while True:
        page = keys
        if last is not None:
            page = page.filter(Q(start_time__gt=last[0]) | Q(start_time=last[0], pk__gt=last[1]))
        ids = list(page[:CHUNK])
        if not ids:
            return
        yield from shows.filter(pk__in=[pk for _, pk in ids])
        if len(ids) < CHUNK:
            return
        last = ids[-1]


def _key(show: dict, group: str) -> tuple:
    day = timezone.localdate(show["start_time"])
    theatre, movie = show["screen__theatre__name"], show["movie__title"]
    return {"day": (day,), "theatre": (theatre,), "movie": (movie,), "all": (day, theatre, movie)}[group]


def _row(key: tuple, group: str) -> ReportRow:
    if group == "day":
        return ReportRow(day=key[0])
    if group == "theatre":
        return ReportRow(theatre=key[0])
    if group == "movie":
        return ReportRow(movie=key[0])
    return ReportRow(day=key[0], theatre=key[1], movie=key[2])


def report_rows(
    *, user, date_from: date, date_to: date, group: str = "day", theatre_id: int | None = None
) -> Iterator[ReportRow]:
    """The report's rows, streamed. Per day (and per day × theatre × movie)
    rows come out in date order as each day closes; per theatre or movie rows
    (a handful) come out sorted by name at the end."""
    if group not in GROUPS:
        raise ValueError(f"Unknown grouping {group!r}.")
    shows = report_shows(user=user, date_from=date_from, date_to=date_to, theatre_id=theatre_id)
    open_rows: dict[tuple, ReportRow] = {}
    current_day = None
    for show in _shows_in_chunks(shows):
        if group in ("day", "all"):
            day = timezone.localdate(show["start_time"])
            if current_day is not None and day != current_day:
                yield from (open_rows[k] for k in sorted(open_rows))
                open_rows = {}
            current_day = day
        key = _key(show, group)
        if key not in open_rows:
            open_rows[key] = _row(key, group)
        open_rows[key].add(show)
    yield from (open_rows[k] for k in sorted(open_rows))


def report_totals(rows) -> ReportRow:
    total = ReportRow()
    for row in rows:
        total.shows += row.shows
        total.tickets_sold += row.tickets_sold
        total.capacity += row.capacity
        total.gross += row.gross
        total.refunds += row.refunds
        total.fees += row.fees
    return total


def report_chart_svg(rows: list[ReportRow], *, label: str, value: str = "gross", title: str) -> str:
    """A horizontal bar chart as inline SVG (no script, no CDN): one bar per
    row, labelled with its value. Escaped text only."""
    from django.utils.html import escape

    bar_h, gap, left, width = 22, 6, 170, 420
    values = [float(getattr(r, value)) for r in rows]
    top = max(values, default=0) or 1
    height = len(rows) * (bar_h + gap) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="chart-title" '
        f'viewBox="0 0 {left + width + 110} {height}" class="report-chart">',
        f'<title id="chart-title">{escape(title)}</title>',
    ]
    for i, (row, v) in enumerate(zip(rows, values, strict=True)):
        y = 20 + i * (bar_h + gap)
        w = max(1, round(width * v / top))
        name = escape(str(getattr(row, label) or "")[:28])
        parts.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" font-size="13">{name}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{w}" height="{bar_h}" fill="#1f5fa8"></rect>')
        parts.append(f'<text x="{left + w + 6}" y="{y + 15}" font-size="13">{escape(getattr(row, value))}</text>')
    parts.append("</svg>")
    return "".join(parts)
