from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, BaseUserCreationForm


class LoginForm(AuthenticationForm):
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
        email = get_user_model().objects.normalize_email(self.cleaned_data["email"]).lower()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email already exists. Log in instead?")
        return email
