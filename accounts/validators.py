"""Password rules beyond Django's own validators."""

from django.core.exceptions import ValidationError


class NotBlankPasswordValidator:
    """Refuse a password that is only whitespace (eight spaces pass every
    length and similarity check)."""

    def validate(self, password, user=None):
        if not password.strip():
            raise ValidationError("Your password can't be only spaces.", code="password_blank")

    def get_help_text(self):
        return "Your password can't be only spaces."
