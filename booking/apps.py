from django.apps import AppConfig


class BookingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "booking"

    def ready(self):
        # The customer emails register their builders with the mailer, so the
        # relay's retry job can rebuild them.
        import booking.services.emails  # noqa: F401
        from booking.api.seats import SIGNED_IN_CACHE_CONTROL, seat_map_signed_in
        from booking.services import orders_expire_overdue
        from cinema import readcache
        from events.periodic import periodic_register

        # A signed-in viewer's seat map is the shared one with their holds merged
        # in; cinema.readfront answers it before Django, as the view would.
        readcache.signed_in_register("api-show-seats", seat_map_signed_in, cache_control=SIGNED_IN_CACHE_CONTROL)

        # Records expiry and tells the world (order.expired); correctness never waits for it.
        periodic_register(name="orders_expire_overdue", every_seconds=30, func=orders_expire_overdue)
