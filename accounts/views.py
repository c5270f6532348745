"""Register, log in, log out (Django's auth views with our forms)."""

from django.contrib.auth import login
from django.contrib.auth.views import LoginView, RedirectURLMixin
from django.views.generic.edit import FormView

from accounts.forms import LoginForm, RegisterForm


class SiteLoginView(LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class RegisterView(RedirectURLMixin, FormView):
    form_class = RegisterForm
    template_name = "accounts/register.html"
    next_page = "catalog:home"

    def form_valid(self, form):
        user = form.save()
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        return super().form_valid(form)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context[self.redirect_field_name] = self.get_redirect_url()
        return context
