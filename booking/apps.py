from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "booking"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The customer emails register their builders with the mailer, so the
        # relay's retry job can rebuild them.
        import booking.services.emails  # noqa: F401
