"""Admissions at the door and staff assigned to theatres."""

from django.conf import settings
from django.db import models


class CheckIn(models.Model):
    """One admission of one order. The unique booking decides a race: of two
    scanners at two doors, one insert wins and the other reads the winner."""

    booking = models.OneToOneField("booking.Booking", on_delete=models.PROTECT, related_name="checkin")
    admitted_at = models.DateTimeField()
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-admitted_at", "-pk"]
        verbose_name = "check-in"

    def __str__(self):
        return f"{self.booking_id} at {self.admitted_at:%Y-%m-%d %H:%M}"


class StaffTheatre(models.Model):
    """A staff user assigned to a theatre. A staff user with any assignment is
    *scoped*: they see and change only those theatres' screens, shows, orders
    and check-ins. Staff with none, and superusers, see everything."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_theatres")
    theatre = models.ForeignKey("catalog.Theatre", on_delete=models.CASCADE, related_name="staff_assignments")

    class Meta:
        verbose_name = "theatre of a staff user"
        constraints = [models.UniqueConstraint(fields=["user", "theatre"], name="stafftheatre_unique")]

    def __str__(self):
        return f"{self.user_id} → {self.theatre_id}"
