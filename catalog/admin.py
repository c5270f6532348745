"""Staff admin for movies and theatres. Screens and shows are registered in
booking/admin/: saving them creates or changes seats through booking.services,
and ``catalog`` never imports ``booking``."""

from django import forms
from django.contrib import admin
from django.db.models import Count

from catalog.models import Movie, Screen, Seat, Theatre
from cinema.admin_helpers import ReadOnlyAdmin, TheatreScopedAdminMixin


class GenreListField(forms.CharField):
    """Genres typed as a comma-separated list ("Action, Drama"), stored as the
    JSON list the API serves: no raw JSON to get wrong."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "Separate genres with commas, e.g. Action, Drama.")
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(g) for g in value)
        return value

    def to_python(self, value):
        if isinstance(value, list):
            return value
        genres = []
        for part in (value or "").split(","):
            genre = " ".join(part.split())
            if not genre:
                continue
            if len(genre) > 50:
                raise forms.ValidationError("A genre has at most 50 characters.")
            if genre.casefold() not in {g.casefold() for g in genres}:
                genres.append(genre)
        if len(genres) > 20:
            raise forms.ValidationError("At most 20 genres.")
        return genres


class MovieAdminForm(forms.ModelForm):
    genres = GenreListField()
    poster_url = forms.URLField(label="Poster URL", max_length=500, required=False, assume_scheme="https")

    class Meta:
        model = Movie
        fields = [
            "title",
            "description",
            "poster_url",
            "is_active",
            "duration_mins",
            "rating",
            "language",
            "genres",
            "release_date",
        ]


@admin.register(Movie)
class MovieAdmin(admin.ModelAdmin):
    form = MovieAdminForm
    list_display = ["title", "duration_mins", "rating", "language", "release_date", "is_active"]
    list_filter = ["is_active", "language", "rating"]
    list_editable = ["is_active"]
    search_fields = ["title"]
    fieldsets = [
        (None, {"fields": ["title", "description", "poster_url", "is_active"]}),
        ("Details", {"fields": ["duration_mins", "rating", "language", "genres", "release_date"]}),
        ("Cast and crew", {"fields": ["cast", "crew"]}),
    ]


class ScreenInline(admin.TabularInline):
    """The theatre's screens, read-only here: edit a layout on the screen's own page."""

    model = Screen
    fields = ["name"]
    readonly_fields = ["name"]
    show_change_link = True
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Theatre)
class TheatreAdmin(TheatreScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "city", "address", "screen_count"]
    list_filter = ["city"]
    search_fields = ["name", "city"]
    inlines = [ScreenInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(screen_total=Count("screens"))

    @admin.display(description="screens", ordering="screen_total")
    def screen_count(self, obj):
        return obj.screen_total


@admin.register(Seat)
class SeatAdmin(TheatreScopedAdminMixin, ReadOnlyAdmin):
    """Seats follow the screen's layout text; change the layout to change them."""

    list_display = ["name", "screen", "seat_type", "row_index", "column"]
    list_filter = ["seat_type", "screen__theatre", "screen"]
    list_select_related = ["screen__theatre"]
    search_fields = ["screen__name", "screen__theatre__name"]
    fields = ["screen", "row_label", "number", "seat_type", "row_index", "column"]
    readonly_fields = fields
