"""Pieces the booking API views share: input fields and body lookups."""

from datetime import date, timedelta

from django.utils import timezone
from rest_framework import exceptions, serializers

from cinema.api import UTCDateTimeField
from cinema.permissions import staff_scope_queryset

MAX_IDS = 100
# How far ahead staff may schedule a show, and the dates ?date= accepts: bounds
# keep datetime arithmetic (end time, local day) far from Python's limits.
SCHEDULE_AHEAD = timedelta(days=5 * 366)
FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(9000, 12, 31)


class ShowStartField(UTCDateTimeField):
    """A show's start: in the future and at most SCHEDULE_AHEAD from now."""

    def to_internal_value(self, value):
        start = super().to_internal_value(value)
        now = timezone.now()
        if start <= now:
            raise serializers.ValidationError("A show must start in the future.")
        if start > now + SCHEDULE_AHEAD:
            raise serializers.ValidationError("A show can be scheduled at most 5 years ahead.")
        return start


def viewer(request):
    return request.user if request.user.is_authenticated else None


def lookup(model, pk, field: str, *, user=None):
    """An object named in the body: unknown ids are a 400 on that field. With
    ``user``, another theatre's object is unknown to a scoped staff user."""
    objects = staff_scope_queryset(model.objects.all(), user) if user is not None else model.objects
    obj = objects.filter(pk=pk).first()
    if obj is None:
        raise exceptions.ValidationError({field: [f"No {model._meta.verbose_name} with id {pk}."]})
    return obj
