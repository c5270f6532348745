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
