from django.urls import path

from catalog.api import views

urlpatterns = [
    path("movies", views.MovieListApi.as_view(), name="api-movies"),
    path("movies/<id:movie_id>", views.MovieDetailApi.as_view(), name="api-movie"),
    path("theatres", views.TheatreListApi.as_view(), name="api-theatres"),
    path("theatres/<id:theatre_id>", views.TheatreDetailApi.as_view(), name="api-theatre"),
]
