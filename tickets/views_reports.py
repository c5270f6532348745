"""The staff reports page (/admin/reports/) and its streamed CSV export."""

import csv
from datetime import timedelta

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.safestring import mark_safe

from catalog.models import Theatre
from cinema.permissions import staff_scope_queryset
from tickets import reports

REPORT_PERMISSION = "booking.view_booking"
MAX_DAYS = 366 * 3


class ReportForm(forms.Form):
    date_from = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
    group = forms.ChoiceField(label="Per", choices=list(reports.GROUPS.items()), initial="day")
    theatre = forms.ModelChoiceField(label="Theatre", queryset=Theatre.objects.none(), required=False)

    def __init__(self, data, *, user):
        super().__init__(data)
        self.fields["theatre"].queryset = staff_scope_queryset(Theatre.objects.all(), user)

    def clean(self):
        values = super().clean()
        start, end = values.get("date_from"), values.get("date_to")
        if start and end:
            if end < start:
                raise forms.ValidationError("“To” comes before “From”.")
            if (end - start).days > MAX_DAYS:
                raise forms.ValidationError("Pick at most three years.")
        return values


class _Echo:
    def write(self, value):
        return value


def _csv_stream(rows):
    writer = csv.writer(_Echo())
    yield writer.writerow(reports.COLUMNS)
    for row in rows:
        yield writer.writerow(row.as_list())


def report_view(request):
    if not (request.user.is_staff and request.user.has_perm(REPORT_PERMISSION)):
        raise PermissionDenied
    today = timezone.localdate()
    data = request.GET.copy()
    data.setdefault("date_from", (today - timedelta(days=6)).isoformat())
    data.setdefault("date_to", (today + timedelta(days=7)).isoformat())
    data.setdefault("group", "day")
    form = ReportForm(data, user=request.user)
    context = {**admin.site.each_context(request), "title": "Sales reports", "form": form}
    if not form.is_valid():
        return TemplateResponse(request, "admin/tickets/report.html", context, status=400)
    v = form.cleaned_data
    theatre = v["theatre"]
    args = {
        "user": request.user,
        "date_from": v["date_from"],
        "date_to": v["date_to"],
        "group": v["group"],
        "theatre_id": theatre.pk if theatre else None,
    }
    if request.GET.get("format") == "csv":
        response = StreamingHttpResponse(_csv_stream(reports.report_rows(**args)), content_type="text/csv")
        name = f"sales-{v['group']}-{v['date_from']}-{v['date_to']}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    rows = list(reports.report_rows(**args))  # the page shows them all; the CSV streams
    label = {"day": "day", "theatre": "theatre", "movie": "movie", "all": "movie"}[v["group"]]
    chart_rows = rows if v["group"] != "all" else []
    context.update(
        rows=rows,
        totals=reports.report_totals(rows),
        chart=mark_safe(reports.report_chart_svg(chart_rows, label=label, title=f"Gross revenue per {label}"))
        if chart_rows
        else "",
        csv_query=request.GET.urlencode() + ("&" if request.GET else "") + "format=csv",
    )
    return TemplateResponse(request, "admin/tickets/report.html", context)
