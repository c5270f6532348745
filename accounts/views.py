"""Register, log in, log out (Django's auth views with our forms)."""

import math

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import LoginView, RedirectURLMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.generic.edit import FormView

from accounts.forms import LoginForm, RegisterForm
from accounts.services import email_verify, user_register
from accounts.throttles import LOGIN_THROTTLES, REGISTER_THROTTLES
from cinema.throttling import throttle_wait


def rate_limited_page(request, *, wait: float, message: str):
    """The 429 page, with Retry-After."""
    minutes = max(1, math.ceil(wait / 60))
    response = render(request, "accounts/rate_limited.html", {"message": message, "minutes": minutes}, status=429)
    response["Retry-After"] = str(math.ceil(wait))
    return response


class ThrottledPostMixin:
    """Count every POST against ``post_throttles``; over the limit, a 429 page."""

    post_throttles: list = []
    throttled_message = "Too many attempts from your network."

    def post(self, request, *args, **kwargs):
        wait = throttle_wait(request, self.post_throttles)
        if wait is not None:
            return rate_limited_page(request, wait=wait, message=self.throttled_message)
        return super().post(request, *args, **kwargs)


class SiteLoginView(ThrottledPostMixin, LoginView):
    post_throttles = LOGIN_THROTTLES
    throttled_message = "Too many login attempts from your network."
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class RegisterView(ThrottledPostMixin, RedirectURLMixin, FormView):
    post_throttles = REGISTER_THROTTLES
    throttled_message = "Too many new accounts from your network just now."
    form_class = RegisterForm
    template_name = "accounts/register.html"
    next_page = "catalog:home"

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            user = user_register(
                email=data["email"],
                password=data["password1"],
                name=data["name"],
                verify_url=self.request.build_absolute_uri("/"),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return self.form_invalid(form)
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        return super().form_valid(form)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context[self.redirect_field_name] = self.get_redirect_url()
        return context


def verify_email(request, token):
    """The link from the verification email."""
    try:
        email_verify(token=token)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, "Thank you: your email address is confirmed.")
    return redirect("catalog:home")
