from django.http import JsonResponse
from django.urls import path


def empty(request):
    return JsonResponse({})


urlpatterns = [path("", empty), path("api/v1/empty", empty)]
