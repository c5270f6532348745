from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from accounts.forms import AdminLoginForm
from accounts.models import User
from accounts.throttles import LOGIN_THROTTLES
from cinema.throttling import throttle_wait

admin.site.login_form = AdminLoginForm


def _throttled_admin_login(login):
    """The admin's login shares the login page's per-address limit."""

    def view(request, extra_context=None):
        from accounts.views import rate_limited_page

        if request.method == "POST":
            wait = throttle_wait(request, LOGIN_THROTTLES)
            if wait is not None:
                return rate_limited_page(request, wait=wait, message="Too many login attempts from your network.")
        return login(request, extra_context)

    return view


admin.site.login = _throttled_admin_login(admin.site.login)


class UserAddForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "name"]

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("A user with this email address already exists.")
        return email


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Users log in with their email. Unticking "active" locks a user out of the
    site and the admin and voids their API tokens at once (simplejwt's
    CHECK_USER_IS_ACTIVE); "staff status" opens the admin, where the groups
    (e.g. "Box office") decide what they may do."""

    form = UserEditForm
    add_form = UserAddForm
    ordering = ["email"]
    list_display = ["email", "name", "is_staff", "is_active", "group_names", "date_joined", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "email_verified", "groups"]
    search_fields = ["email", "name"]
    actions = ["deactivate_users", "activate_users"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Personal info", {"fields": ["name", "email_verified"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Important dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "name", "usable_password", "password1", "password2"]})
    ]
    readonly_fields = ["last_login", "date_joined"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="groups")
    def group_names(self, obj):
        return ", ".join(g.name for g in obj.groups.all()) or "–"

    @admin.action(description="Deactivate selected users (log out, void API tokens)", permissions=["change"])
    def deactivate_users(self, request, queryset):
        n = queryset.exclude(pk=request.user.pk).filter(is_active=True).update(is_active=False)
        if queryset.filter(pk=request.user.pk).exists():
            self.message_user(request, "You cannot deactivate yourself.", messages.WARNING)
        self.message_user(request, f"Deactivated {n} user{'s' if n != 1 else ''}.", messages.SUCCESS)

    @admin.action(description="Activate selected users", permissions=["change"])
    def activate_users(self, request, queryset):
        n = queryset.filter(is_active=False).update(is_active=True)
        self.message_user(request, f"Activated {n} user{'s' if n != 1 else ''}.", messages.SUCCESS)
