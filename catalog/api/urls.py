from django.urls import path

from catalog.api import views

urlpatterns = [
    path("movies", views.MovieListApi.as_view(), name="api-movies"),
    path("movies/<id:movie_id>", views.MovieDetailApi.as_view(), name="api-movie"),
    path("movies/<id:movie_id>/availability", views.MovieAvailabilityApi.as_view(), name="api-movie-availability"),
    path("theatres", views.TheatreListApi.as_view(), name="api-theatres"),
    path("cities", views.CityListApi.as_view(), name="api-cities"),
    path("theatres/<id:theatre_id>", views.TheatreDetailApi.as_view(), name="api-theatre"),
]
