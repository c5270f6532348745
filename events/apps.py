from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Events and audit log"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from events.periodic import periodic_register
        from events.services import outbox_prune

        # Every relay prunes; deleting already-deleted rows is harmless.
        periodic_register(name="outbox_prune", every_seconds=600, func=outbox_prune)

        from cinema.metrics import register_outbox_lag
        from events.selectors import outbox_backlog

        def lag() -> float:
            age = outbox_backlog()["oldest_age"]
            return age.total_seconds() if age else 0.0

        # Read at scrape time: /metrics shows how far the relay is behind.
        register_outbox_lag(lag, pending=lambda: outbox_backlog()["unpublished"])
