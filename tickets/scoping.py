"""Staff scoped to theatres: which theatres a staff user may see, and the
queryset filter that hides everything else. Registered with
cinema/permissions.py (``staff_scope_register``) so the API's permission
classes, the admin and the door all ask the same question."""

from django.db.models import Model, QuerySet

# How each scoped model reaches its theatre. A model not listed here (movies,
# users) is not scoped.
THEATRE_PATHS = {
    "catalog.theatre": "pk",
    "catalog.screen": "theatre",
    "catalog.seat": "screen__theatre",
    "catalog.show": "screen__theatre",
    "booking.showseat": "show__screen__theatre",
    "booking.booking": "show__screen__theatre",
    "booking.bookingseat": "booking__show__screen__theatre",
    "tickets.checkin": "booking__show__screen__theatre",
}
_CACHE_ATTR = "_staff_theatre_ids"


def theatre_path(model) -> str | None:
    return THEATRE_PATHS.get(model._meta.label_lower)


class TheatreScope:
    def theatre_ids(self, user) -> frozenset[int] | None:
        """The theatres a staff user is assigned to, or None when unscoped
        (superusers, staff without assignments, anyone not staff). Read once
        per user object."""
        if not (user and user.is_authenticated and user.is_staff) or user.is_superuser:
            return None
        if not hasattr(user, _CACHE_ATTR):
            ids = frozenset(user.staff_theatres.values_list("theatre_id", flat=True))
            setattr(user, _CACHE_ATTR, ids or None)
        return getattr(user, _CACHE_ATTR)

    def queryset(self, queryset: QuerySet, user) -> QuerySet:
        ids = self.theatre_ids(user)
        path = theatre_path(queryset.model)
        if ids is None or path is None:
            return queryset
        return queryset.filter(**{f"{path}__in": ids})

    def allows(self, user, obj: Model) -> bool:
        ids = self.theatre_ids(user)
        path = theatre_path(type(obj))
        if ids is None or path is None:
            return True
        return type(obj)._default_manager.filter(pk=obj.pk, **{f"{path}__in": ids}).exists()
