"""Admin for the door and the back office: admissions (read-only, scoped),
staff theatre assignments on the user page (superusers only), and the
reports page."""

from django.contrib import admin
from django.contrib.auth import get_user_model

from cinema.admin_helpers import ReadOnlyAdmin, TheatreScopedAdminMixin
from cinema.admin_helpers import local_text as _local
from tickets.models import CheckIn, StaffTheatre


@admin.register(CheckIn)
class CheckInAdmin(TheatreScopedAdminMixin, ReadOnlyAdmin):
    list_display = ["code", "show", "admitted", "staff"]
    list_filter = ["booking__show__screen__theatre"]
    list_select_related = ["booking__show__movie", "booking__show__screen__theatre", "staff"]
    search_fields = ["booking__code", "booking__user__email"]
    search_help_text = "Order code or the customer's email."
    fields = ["booking", "admitted_at", "staff"]
    readonly_fields = fields

    @admin.display(description="order", ordering="booking__code")
    def code(self, obj):
        return obj.booking.code

    @admin.display(description="show", ordering="booking__show__start_time")
    def show(self, obj):
        return obj.booking.show

    @admin.display(description="admitted (local time)", ordering="admitted_at")
    def admitted(self, obj):
        return _local(obj.admitted_at)


class StaffTheatreInline(admin.TabularInline):
    """The theatres a staff user is limited to; none means every theatre.
    Only superusers see or change it."""

    model = StaffTheatre
    extra = 1
    autocomplete_fields = ["theatre"]
    verbose_name = "theatre this user manages"
    verbose_name_plural = "theatres this user manages (none: all theatres)"

    def _superuser(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self._superuser(request)

    def has_add_permission(self, request, obj=None):
        return self._superuser(request)

    def has_change_permission(self, request, obj=None):
        return self._superuser(request)

    def has_delete_permission(self, request, obj=None):
        return self._superuser(request)


# The user admin is accounts'; the theatre assignment is ours (accounts
# imports neither catalog nor tickets), so extend the registered admin here.
User = get_user_model()
_BaseUserAdmin = type(admin.site._registry[User])
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(_BaseUserAdmin):
    inlines = [*_BaseUserAdmin.inlines, StaffTheatreInline]

    def get_inline_instances(self, request, obj=None):
        # Theatres are assigned to existing staff users (tick "staff status" first).
        inlines = super().get_inline_instances(request, obj)
        if obj is None or not obj.is_staff:
            inlines = [i for i in inlines if not isinstance(i, StaffTheatreInline)]
        return inlines
