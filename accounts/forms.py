from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, BaseUserCreationForm

from accounts.services import email_normalize


class NormalizedEmailLoginMixin:
    """The login name is an email address, normalised as stored.

    Django's AuthenticationForm sets the field's ``max_length`` after the
    field is built, so no length check runs; a 300-character name went on to
    django-axes, which writes it to a 255-character column (a DataError on
    MySQL). Normalising here refuses it with a form error before anyone
    authenticates or records anything."""

    def clean_username(self):
        try:
            return email_normalize(self.cleaned_data["username"])
        except forms.ValidationError as exc:
            raise forms.ValidationError(
                "Please enter a correct email address and password.", code="invalid_login"
            ) from exc


class AdminLoginForm(NormalizedEmailLoginMixin, AdminAuthenticationForm):
    """The admin's login form (admin.site.login_form)."""


class LoginForm(NormalizedEmailLoginMixin, AuthenticationForm):
    """Django's login form, with the username field shown as "Email".

    The POST field stays ``username`` (django-axes reads it)."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        field = self.fields["username"]
        field.label = "Email"
        field.widget = forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
        self.fields["password"].label = "Password"


class RegisterForm(BaseUserCreationForm):
    class Meta:
        model = get_user_model()
        fields = ("name", "email")
        labels = {"name": "Your name", "email": "Email"}
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password1"].label = "Password"
        self.fields["password2"].label = "Password again"
        self.fields["name"].required = True
        self.fields["email"].widget.attrs.pop("autofocus", None)
        self.fields["name"].widget.attrs["autofocus"] = True

    def full_clean(self):
        super().full_clean()
        # After a failed submit, start the keyboard (and screen reader) at the
        # first field to fix rather than back at the top of the form.
        invalid = [name for name in self.fields if name in self.errors]
        if invalid:
            for field in self.fields.values():
                field.widget.attrs.pop("autofocus", None)
            self.fields[invalid[0]].widget.attrs["autofocus"] = True

    def clean_email(self):
        email = email_normalize(self.cleaned_data["email"])
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email already exists. Log in instead?")
        return email
