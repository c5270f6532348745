from django.shortcuts import get_object_or_404, render

from catalog.models import Movie


def home(request):
    movies = Movie.objects.filter(is_active=True)
    return render(request, "catalog/home.html", {"movies": movies})


def movie_detail(request, movie_id):
    movie = get_object_or_404(Movie, pk=movie_id, is_active=True)
    return render(request, "catalog/movie_detail.html", {"movie": movie})
