from django import forms

from payments.exceptions import InvalidCard
from payments.providers import normalize_card_number


class CardForm(forms.Form):
    """The hosted payment page's one field. Cleans to digits only."""

    card_number = forms.CharField(
        label="Card number",
        max_length=32,
        help_text="Test cards: 4242 4242 4242 4242 is paid, 4000 0000 0000 0002 is declined.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "cc-number",
                "inputmode": "numeric",
                "spellcheck": "false",
                "aria-describedby": "id_card_number_help",
            }
        ),
    )

    def clean_card_number(self):
        try:
            return normalize_card_number(self.cleaned_data["card_number"])
        except InvalidCard as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None
