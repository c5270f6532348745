from django.apps import AppConfig


class BookingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "booking"

    def ready(self):
        # The customer emails register their builders with the mailer, so the
        # relay's retry job can rebuild them.
        import booking.services.emails  # noqa: F401
        from booking.services import orders_expire_overdue
        from events.periodic import periodic_register

        # Records expiry and tells the world (order.expired); correctness never waits for it.
        periodic_register(name="orders_expire_overdue", every_seconds=30, func=orders_expire_overdue)
