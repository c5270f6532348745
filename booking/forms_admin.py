"""Forms of the staff admin for screens and shows.

They are adapters, like the API serializers and the page forms: parse the
input, call the service in booking/services/ (or catalog/services.py), and
turn its domain errors into form errors. The service is called from
``_post_clean`` -- after the model's own validation -- so a refusal (a busy
screen, seats in use) is shown on the form like any other validation error
instead of surfacing as a 500 after the form was accepted. The admin views
that use these forms run without Django's outer transaction (see
cinema/admin_helpers.py), so each service owns its transaction.
"""

import re
from datetime import datetime, time, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html

from booking.services import screen_update, show_schedule, show_update
from catalog.layout import SEAT_LETTERS, LayoutError, parse_layout
from catalog.models import Movie, Screen, SeatType, Show
from catalog.services import screen_create
from cinema.errors import DomainError

PRICE_FIELDS = list(Show.PRICE_FIELDS.values())


# --------------------------------------------------------------------------
# screens
# --------------------------------------------------------------------------
def layout_preview_context(text: str) -> dict:
    """What the layout preview draws: rows of cells (None for a gap), counts by
    seat type, or the parser's error message. The JavaScript live preview
    (static/js/admin-layout-preview.js) builds the same markup as you type."""
    try:
        seats = parse_layout(text or "")
    except LayoutError as exc:
        return {"error": str(exc) if (text or "").strip() else "", "rows": [], "counts": [], "total": 0}
    width = max(s.column for s in seats) + 1
    rows: dict[int, dict] = {}
    for seat in seats:
        row = rows.setdefault(seat.row_index, {"label": seat.row_label, "cells": [None] * width})
        row["cells"][seat.column] = {"number": seat.number, "type": seat.seat_type, "name": seat.name}
    counts = [
        {"type": kind, "label": SeatType(kind).label, "count": n}
        for kind in SEAT_LETTERS.values()
        if (n := sum(1 for s in seats if s.seat_type == kind))
    ]
    return {"error": "", "rows": [rows[i] for i in sorted(rows)], "counts": counts, "total": len(seats)}


class LayoutWidget(forms.Textarea):
    """A monospace textarea with the seat grid it describes drawn below it."""

    template_name = "django/forms/widgets/textarea.html"

    class Media:
        css = {"all": ["css/admin.css"]}
        js = ["js/admin-layout-preview.js"]

    def __init__(self, attrs=None):
        defaults = {
            "class": "layout-input",
            "rows": 12,
            "cols": 60,
            "spellcheck": "false",
            "autocomplete": "off",
            "data-layout-preview": "",
        }
        super().__init__({**defaults, **(attrs or {})})

    def render(self, name, value, attrs=None, renderer=None):
        textarea = super().render(name, value, attrs, renderer)
        preview = render_to_string(
            "admin/catalog/screen/_layout_preview.html",
            {**layout_preview_context(value or ""), "for_id": (attrs or {}).get("id", f"id_{name}")},
        )
        return format_html('<div class="layout-editor">{}{}</div>', textarea, preview)


class ScreenAdminForm(forms.ModelForm):
    class Meta:
        model = Screen
        fields = ["theatre", "name", "layout"]
        widgets = {"layout": LayoutWidget}
        error_messages = {"layout": {"required": "The layout is empty: type at least one row of seats."}}
        help_texts = {
            "layout": (
                "One line per row, front row (row A, nearest the screen) first. One character "
                "per position: S standard, P premium, R recliner, A accessible, _ a gap (aisle). "
                "Seats are numbered from 1, left to right, skipping gaps. Blank lines are ignored. "
                "Seats that are sold or held in a show cannot be removed."
            )
        }

    def clean_layout(self):
        text = self.cleaned_data["layout"]
        try:
            parse_layout(text)
        except LayoutError as exc:
            raise ValidationError(str(exc), code="layout") from exc
        return text

    def _post_clean(self):
        super()._post_clean()  # builds the instance and runs the model's validation
        if self.errors:
            return
        screen = self.instance
        try:
            if screen.pk is None:
                self.instance = screen_create(theatre=screen.theatre, name=screen.name, layout=screen.layout)
            elif self.changed_data:
                self.instance = screen_update(
                    screen=screen,
                    name=screen.name,
                    theatre=screen.theatre,
                    layout=screen.layout if "layout" in self.changed_data else None,
                )
        except DomainError as exc:
            fields = exc.details.get("fields") or {"layout": [exc.message]}
            for field, problems in fields.items():
                self.add_error(field if field in self.fields else None, problems)
        except ValidationError as exc:
            self._update_errors(exc)


# --------------------------------------------------------------------------
# shows
# --------------------------------------------------------------------------
class ShowAdminForm(forms.ModelForm):
    """Schedules (add) or updates (change) a show through booking.services."""

    class Meta:
        model = Show
        fields = ["movie", "screen", "start_time", "format", "language", "subtitles", *PRICE_FIELDS]
        help_texts = {"start_time": "In the theatre's local time. The end time follows from the movie's duration."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "screen" in self.fields:
            self.fields["screen"].queryset = Screen.objects.select_related("theatre")
        if "format" in self.fields:
            self.fields["format"].required = False  # 2D unless chosen

    def _details(self) -> dict:
        details = {name: self.cleaned_data.get(name) for name in ("format", "language", "subtitles")}
        # No format chosen: the show keeps its own (2D for a new one).
        return {name: value for name, value in details.items() if value is not None and (value or name != "format")}

    def _prices(self) -> dict:
        return {kind: self.cleaned_data[field] for kind, field in Show.PRICE_FIELDS.items()}

    def _post_clean(self):
        super()._post_clean()  # builds the instance; Show.clean refuses an overlap
        if self.errors:
            return
        try:
            if self.instance.pk is None:
                self.instance = show_schedule(
                    movie=self.cleaned_data["movie"],
                    screen=self.cleaned_data["screen"],
                    start_time=self.cleaned_data["start_time"],
                    prices=self._prices(),
                    details=self._details(),
                )
            else:
                self.instance = show_update(
                    show=self.instance,
                    movie=self.cleaned_data["movie"],
                    start_time=self.cleaned_data["start_time"],
                    prices=self._prices(),
                    details=self._details(),
                )
        except DomainError as exc:
            self.add_error(None, exc.message)


_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")


class ShowBulkScheduleForm(forms.Form):
    """'Repeat daily for N days at these times' for one movie on one screen."""

    movie = forms.ModelChoiceField(queryset=Movie.objects.filter(is_active=True))
    screen = forms.ModelChoiceField(queryset=Screen.objects.select_related("theatre"))
    first_day = forms.DateField(initial=lambda: timezone.localdate(), widget=forms.DateInput(attrs={"type": "date"}))
    days = forms.IntegerField(min_value=1, max_value=31, initial=7, help_text="Repeat daily for this many days (1–31).")
    times = forms.CharField(
        help_text="Start times in the theatre's local time, separated by commas, e.g. 10:00, 13:30, 18:45.",
        widget=forms.TextInput(attrs={"size": 40, "placeholder": "10:00, 13:30, 18:45"}),
    )
    price_standard = forms.DecimalField(max_digits=8, decimal_places=2, min_value=0)
    price_premium = forms.DecimalField(max_digits=8, decimal_places=2, min_value=0)
    price_recliner = forms.DecimalField(max_digits=8, decimal_places=2, min_value=0)
    price_accessible = forms.DecimalField(max_digits=8, decimal_places=2, min_value=0)

    def clean_times(self) -> list[time]:
        result = []
        for part in filter(None, (p.strip() for p in self.cleaned_data["times"].split(","))):
            match = _TIME.match(part)
            hour, minute = (int(match[1]), int(match[2])) if match else (99, 99)
            if hour > 23 or minute > 59:
                raise ValidationError(f"“{part}” is not a time: write it as HH:MM, e.g. 18:30.")
            result.append(time(hour, minute))
        if not result:
            raise ValidationError("Give at least one start time.")
        if len(set(result)) != len(result):
            raise ValidationError("A time is listed twice.")
        return sorted(result)

    def slots(self) -> list[datetime]:
        """Every start time asked for, aware, in the current (theatre) time zone."""
        first = self.cleaned_data["first_day"]
        tz = timezone.get_current_timezone()
        return [
            timezone.make_aware(datetime.combine(first + timedelta(days=d), t), tz)
            for d in range(self.cleaned_data["days"])
            for t in self.cleaned_data["times"]
        ]

    def prices(self) -> dict:
        return {kind: self.cleaned_data[field] for kind, field in Show.PRICE_FIELDS.items()}
