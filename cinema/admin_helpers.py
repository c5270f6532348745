"""Generic admin helpers shared by every app's admin (they know no model of ours).

- ReadOnlyAdmin: rows only services write; staff look, never edit.
- ServicesOwnTheTransactionMixin: admin views without Django's outer
  transaction, so durable service transactions can run.
- LocalDateHierarchyChangeList: a date hierarchy that works without the
  database's time-zone tables.
- local_text: a datetime in the theatre's local time, as the admin shows it.

They lean on Django admin internals (``_changeform_view``, ``_delete_view``,
``ChangeList.get_query_string``, the ``date_hierarchy`` template tag);
cinema/tests/test_admin_helpers.py pins those hooks.
"""

from datetime import datetime, timedelta

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters, csrf_protect_m
from django.contrib.admin.views.main import ChangeList
from django.db.models import Max, Min
from django.utils import formats, timezone


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that only services write (seats, show seats, idempotency records):
    staff may look, never edit here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def local_text(dt) -> str:
    return f"{timezone.localtime(dt):%a %d %b %Y, %H:%M}" if dt else "–"


class ServicesOwnTheTransactionMixin:
    """Run the add/change and delete views without Django admin's outer
    ``transaction.atomic()``.

    Our services are ``transaction.atomic(durable=True)``: they refuse to run
    inside another transaction, because an outer one would keep their row locks
    past the service and could still roll back a change the service reported
    as done. Every write these views make goes through a service (called from
    the form's validation, see booking/forms_admin.py, or from delete_model),
    so each write is atomic on its own; the admin's LogEntry is written after.
    """

    @csrf_protect_m
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._changeform_view(request, object_id, form_url, extra_context)

    @csrf_protect_m
    def delete_view(self, request, object_id, extra_context=None):
        return self._delete_view(request, object_id, extra_context)


class LocalDateHierarchyChangeList(ChangeList):
    """Django's date hierarchy lists its years, months and days with the
    database's time-zone conversion (CONVERT_TZ on MySQL/MariaDB), which
    fails unless the server's time-zone tables are loaded. This one finds the
    first and last start in one aggregate query and does the local-time
    arithmetic in Python, so the drill-down works on every backend. Filtering
    by the chosen year/month/day is still Django's own (a UTC range)."""

    def get_filters(self, request):
        # Django checks that ?start_time__year=… makes a date, but not that the
        # range after it does (year 9999 has no next year): bad input, not a 500.
        try:
            return super().get_filters(request)
        except (ValueError, OverflowError) as exc:
            raise IncorrectLookupParameters(exc) from exc

    def local_date_hierarchy(self) -> dict:
        field = self.date_hierarchy
        keys = [f"{field}__year", f"{field}__month", f"{field}__day"]
        year, month, day = (self.params.get(k) for k in keys)

        def link(filters):
            return self.get_query_string(filters, [f"{field}__"])

        span = self.queryset.order_by().aggregate(first=Min(field), last=Max(field))
        if not span["first"]:
            return {"show": bool(year), "back": {"link": link({}), "title": "All dates"}, "choices": []}
        first, last = timezone.localtime(span["first"]).date(), timezone.localtime(span["last"]).date()
        if not year and first.year == last.year:
            year = first.year
            month = first.month if first.month == last.month else None
        if year and month and day:
            chosen = datetime(int(year), int(month), int(day)).date()
            return {
                "show": True,
                "back": {"link": link({keys[0]: year, keys[1]: month}), "title": f"{chosen:%B %Y}"},
                "choices": [{"title": formats.date_format(chosen, "MONTH_DAY_FORMAT")}],
            }
        if year and month:
            days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
            return {
                "show": True,
                "back": {"link": link({keys[0]: year}), "title": str(year)},
                "choices": [
                    {
                        "link": link({keys[0]: year, keys[1]: month, keys[2]: d.day}),
                        "title": formats.date_format(d, "MONTH_DAY_FORMAT"),
                    }
                    for d in days
                ],
            }
        if year:
            return {
                "show": True,
                "back": {"link": link({}), "title": "All dates"},
                "choices": [
                    {
                        "link": link({keys[0]: year, keys[1]: m}),
                        "title": formats.date_format(datetime(int(year), m, 1).date(), "YEAR_MONTH_FORMAT"),
                    }
                    for m in range(first.month, last.month + 1)
                ],
            }
        return {
            "show": True,
            "back": None,
            "choices": [{"link": link({keys[0]: str(y)}), "title": str(y)} for y in range(first.year, last.year + 1)],
        }


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A related-object filter whose choices a scoped staff user may see only
    (another theatre's name never shows in a sidebar)."""

    def field_choices(self, field, request, model_admin):
        from cinema.permissions import staff_scope_queryset

        ordering = self.field_admin_ordering(field, request, model_admin) or ()
        objects = staff_scope_queryset(field.related_model._default_manager.order_by(*ordering), request.user)
        return [(obj.pk, str(obj)) for obj in objects]


class TheatreScopedAdminMixin:
    """Staff scoped to theatres (cinema.permissions.staff_scope_queryset) see
    and change only their theatres' rows: the list, its counts, search, the
    date drill-down and autocomplete all start from ``get_queryset``; another
    theatre's object is "not found"; foreign-key choices and the sidebar's
    related filters offer their theatres' objects only. Superusers and
    unscoped staff see everything."""

    def get_queryset(self, request):
        from cinema.permissions import staff_scope_queryset

        return staff_scope_queryset(super().get_queryset(request), request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        from cinema.permissions import staff_scope_queryset

        if "queryset" not in kwargs:
            kwargs["queryset"] = staff_scope_queryset(db_field.remote_field.model._default_manager.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_list_filter(self, request):
        from django.contrib.admin.utils import get_fields_from_path

        scoped = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and get_fields_from_path(self.model, entry)[-1].is_relation:
                entry = (entry, ScopedRelatedFieldListFilter)
            scoped.append(entry)
        return scoped
