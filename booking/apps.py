from django.apps import AppConfig


class BookingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "booking"

    def ready(self):
        from booking.services import orders_expire_overdue
        from events.periodic import periodic_register

        # Records expiry and tells the world (order.expired); correctness never waits for it.
        periodic_register(name="orders_expire_overdue", every_seconds=30, func=orders_expire_overdue)
