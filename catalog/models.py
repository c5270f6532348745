from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from catalog.layout import LayoutError, normalize_rows, parse_layout
from cinema.validators import validate_single_line


class SeatType(models.TextChoices):
    STANDARD = "STANDARD", "Standard"
    PREMIUM = "PREMIUM", "Premium"
    RECLINER = "RECLINER", "Recliner"
    ACCESSIBLE = "ACCESSIBLE", "Accessible"


class Movie(models.Model):
    title = models.CharField(max_length=200, validators=[validate_single_line])
    description = models.TextField(blank=True)
    duration_mins = models.PositiveSmallIntegerField("duration (minutes)", validators=[MinValueValidator(1)])
    rating = models.CharField("content rating", max_length=10, blank=True, help_text="e.g. U, UA, A, PG-13")
    language = models.CharField(max_length=50, blank=True)
    genres = models.JSONField(default=list, blank=True, help_text='A list, e.g. ["Action", "Drama"]')
    release_date = models.DateField(null=True, blank=True)
    poster_url = models.URLField(max_length=500, blank=True)
    is_active = models.BooleanField("active", default=True, help_text="Shown to moviegoers.")

    class Meta:
        ordering = ["title"]
        indexes = [models.Index(fields=["is_active", "title"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("catalog:movie_detail", args=[self.pk])


class Theatre(models.Model):
    name = models.CharField(max_length=200, validators=[validate_single_line])
    city = models.CharField(max_length=100, db_index=True, validators=[validate_single_line])
    address = models.CharField(max_length=300, blank=True, validators=[validate_single_line])

    class Meta:
        ordering = ["city", "name"]

    def __str__(self):
        return f"{self.name}, {self.city}"


class Screen(models.Model):
    """An auditorium. Its seats come from the layout text (see catalog.layout)."""

    theatre = models.ForeignKey(Theatre, on_delete=models.PROTECT, related_name="screens")
    name = models.CharField(max_length=100, validators=[validate_single_line])
    layout = models.TextField(
        help_text="One line per row, front row first: S standard, P premium, R recliner, A accessible, _ gap."
    )

    class Meta:
        ordering = ["theatre", "name"]
        constraints = [models.UniqueConstraint(fields=["theatre", "name"], name="screen_unique_name_per_theatre")]

    def __str__(self):
        return f"{self.theatre.name} – {self.name}"

    def clean(self):
        try:
            parse_layout(self.layout)
        except LayoutError as exc:
            raise ValidationError({"layout": str(exc)}) from exc
        self.layout = "\n".join(normalize_rows(self.layout))

    @property
    def layout_rows(self) -> list[str]:
        return normalize_rows(self.layout)


class Seat(models.Model):
    """A physical seat of a screen, kept in step with the screen's layout."""

    screen = models.ForeignKey(Screen, on_delete=models.CASCADE, related_name="seats")
    row_label = models.CharField(max_length=3)
    number = models.PositiveSmallIntegerField()
    seat_type = models.CharField(max_length=10, choices=SeatType.choices)
    row_index = models.PositiveSmallIntegerField(help_text="0 is the front row.")
    column = models.PositiveSmallIntegerField(help_text="Position in the row, gaps included.")

    class Meta:
        ordering = ["screen", "row_index", "column"]
        constraints = [
            models.UniqueConstraint(fields=["screen", "row_label", "number"], name="seat_unique_per_screen"),
        ]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return f"{self.row_label}{self.number}"


class Show(models.Model):
    """A movie on a screen at a time. Created through booking.services.show_schedule,
    which also creates its show seats."""

    movie = models.ForeignKey(Movie, on_delete=models.PROTECT, related_name="shows")
    screen = models.ForeignKey(Screen, on_delete=models.PROTECT, related_name="shows")
    start_time = models.DateTimeField()
    end_time = models.DateTimeField(editable=False)
    price_standard = models.DecimalField(
        max_digits=8, decimal_places=2, default=Decimal("200.00"), validators=[MinValueValidator(0)]
    )
    price_premium = models.DecimalField(
        max_digits=8, decimal_places=2, default=Decimal("300.00"), validators=[MinValueValidator(0)]
    )
    price_recliner = models.DecimalField(
        max_digits=8, decimal_places=2, default=Decimal("500.00"), validators=[MinValueValidator(0)]
    )
    price_accessible = models.DecimalField(
        max_digits=8, decimal_places=2, default=Decimal("200.00"), validators=[MinValueValidator(0)]
    )
    # Set once by booking.services.show_cancel (staff): every order cancelled and refunded.
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["start_time"]
        indexes = [
            models.Index(fields=["screen", "start_time"]),
            models.Index(fields=["movie", "start_time"]),
            models.Index(fields=["start_time"]),
        ]

    def __str__(self):
        # In the theatre's local time (TIME_ZONE), as staff and moviegoers read it.
        return f"{self.movie.title} @ {self.screen}, {timezone.localtime(self.start_time):%a %d %b %Y %H:%M}"

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    # Its page (the seat picker) is booking's: see booking/admin/shows.py and
    # the templates' {% url 'booking:seat_picker' %}; catalog never names booking.

    # -- prices ------------------------------------------------------------
    PRICE_FIELDS = {
        SeatType.STANDARD: "price_standard",
        SeatType.PREMIUM: "price_premium",
        SeatType.RECLINER: "price_recliner",
        SeatType.ACCESSIBLE: "price_accessible",
    }

    @property
    def prices(self) -> dict[str, Decimal]:
        return {str(t): getattr(self, f) for t, f in self.PRICE_FIELDS.items()}

    def price_for(self, seat_type: str) -> Decimal:
        return getattr(self, self.PRICE_FIELDS[seat_type])

    def set_prices(self, prices: dict) -> None:
        for seat_type, value in prices.items():
            setattr(self, self.PRICE_FIELDS[SeatType(seat_type)], Decimal(str(value)))

    # -- time --------------------------------------------------------------
    def compute_end_time(self):
        return self.start_time + timedelta(minutes=self.movie.duration_mins)

    def overlapping_shows(self):
        """Other shows on the same screen whose time range meets this one's."""
        end = self.compute_end_time()
        return Show.objects.filter(screen_id=self.screen_id, start_time__lt=end, end_time__gt=self.start_time).exclude(
            pk=self.pk
        )

    def clean(self):
        if self.start_time and self.movie_id and self.screen_id:
            clash = self.overlapping_shows().select_related("movie").first()
            if clash:
                raise ValidationError(overlap_message(clash))


def overlap_message(clash: "Show") -> str:
    from django.utils import timezone

    start = timezone.localtime(clash.start_time)
    end = timezone.localtime(clash.end_time)
    return (
        f"The screen is busy: “{clash.movie.title}” runs there from "
        f"{start:%a %d %b %H:%M} to {end:%H:%M}. Shows on one screen may not overlap."
    )
