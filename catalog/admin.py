from django.contrib import admin

from catalog.models import Movie, Theatre


@admin.register(Movie)
class MovieAdmin(admin.ModelAdmin):
    list_display = ["title", "duration_mins", "rating", "language", "release_date", "is_active"]
    list_filter = ["is_active", "language", "rating"]
    search_fields = ["title"]


@admin.register(Theatre)
class TheatreAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "address"]
    list_filter = ["city"]
    search_fields = ["name", "city"]
