from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.home, name="home"),
    path("movies/<int:movie_id>/", views.movie_detail, name="movie_detail"),
]
