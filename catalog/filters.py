"""Parsing the catalogue's query-string filters, once, for the API and the pages.

A value that cannot be parsed is refused, naming the parameter (the API
answers 400, the pages say so); a valid value that matches nothing is simply
an empty result. Unknown parameters are ignored (``limit`` and ``cursor``
belong to pagination).
"""

from datetime import date, timedelta

from django import forms

from cinema.errors import DomainError

FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(9000, 12, 31)
MAX_RANGE_DAYS = 366


class FilterInvalid(DomainError):
    status = 400
    code = "INVALID"


class _DateField(forms.DateField):
    def __init__(self, **kwargs):
        super().__init__(required=False, input_formats=["%Y-%m-%d"], **kwargs)
        self.error_messages["invalid"] = "A date as YYYY-MM-DD."

    def clean(self, value):
        day = super().clean(value)
        if day is not None and not FIRST_DATE <= day <= LAST_DATE:
            raise forms.ValidationError(f"A date between {FIRST_DATE} and {LAST_DATE}.")
        return day


class CatalogueFilterForm(forms.Form):
    city = forms.CharField(required=False, max_length=100)
    date = _DateField()
    q = forms.CharField(required=False, max_length=100)
    theatre_id = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    group = forms.ChoiceField(required=False, choices=[("theatre", "theatre")])
    from_ = _DateField()
    to = _DateField()

    def __init__(self, data, **kwargs):
        data = data.copy()
        if "from" in data:
            data["from_"] = data.get("from")
        super().__init__(data, **kwargs)

    def clean(self):
        values = super().clean()
        start, end = values.get("from_"), values.get("to")
        if start and end:
            if end < start:
                self.add_error("to", "On or after from.")
            elif (end - start).days > MAX_RANGE_DAYS:
                self.add_error("to", f"At most {MAX_RANGE_DAYS} days after from.")
        return values


def catalogue_filters_parse(params, *, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
    """The ``allowed`` filters of ``params`` (a QueryDict), parsed: {name: value
    or None}. Raises FilterInvalid naming each bad parameter (``fields``)."""
    form = CatalogueFilterForm(params)
    form.is_valid()
    errors = {}
    for name in allowed:
        key = "from_" if name == "from" else name
        if key in form.errors:
            errors[name] = list(form.errors[key])
        elif name in required and not (params.get(name) or "").strip():
            errors[name] = ["This parameter is required."]
    if errors:
        names = ", ".join(f"`{n}`" for n in errors)
        raise FilterInvalid(
            f"Bad value for {names}: {'; '.join(m for ms in errors.values() for m in ms)}", fields=errors
        )
    values = {}
    for name in allowed:
        value = form.cleaned_data.get("from_" if name == "from" else name)
        values[name] = value.strip() if isinstance(value, str) else value
        if values[name] == "":
            values[name] = None
    return values


def default_range(start: date | None, end: date | None, *, today: date) -> tuple[date, date]:
    """The availability range: from today, up to 30 days, unless given."""
    start = start or today
    return start, end or start + timedelta(days=30)
