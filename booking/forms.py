"""Forms of the booking pages. They only parse input: the rules live in
booking/services/."""

import uuid

from django import forms

from booking.services import IDEMPOTENCY_KEY_MAX_LENGTH


class SeatIdsField(forms.Field):
    """Any number of show-seat ids from checkboxes named ``seats``."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        try:
            return sorted({int(v) for v in value})
        except (TypeError, ValueError):
            raise forms.ValidationError("Those seats are not valid.", code="invalid") from None


class SeatSelectionForm(forms.Form):
    seats = SeatIdsField(
        required=True, error_messages={"required": "Choose at least one seat, then press “Hold seats”."}
    )


class ConfirmForm(forms.Form):
    seats = SeatIdsField(required=True, error_messages={"required": "You have no seats to book."})
    # One key per rendering of the checkout page: a double click or a resubmit
    # replays the first booking instead of failing.
    idempotency_key = forms.CharField(max_length=IDEMPOTENCY_KEY_MAX_LENGTH, required=False)

    @staticmethod
    def new_key() -> str:
        return f"page-{uuid.uuid4()}"
