from django.urls import path

from accounts.api import views

urlpatterns = [
    path("login", views.LoginApi.as_view(), name="api-login"),
    path("register", views.RegisterApi.as_view(), name="api-register"),
    path("token/refresh", views.TokenRefreshApi.as_view(), name="api-token-refresh"),
    path("logout", views.LogoutApi.as_view(), name="api-logout"),
    path("logout/all", views.LogoutAllApi.as_view(), name="api-logout-all"),
    path("me", views.MeApi.as_view(), name="api-me"),
]
