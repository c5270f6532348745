from django.apps import AppConfig


class TicketsConfig(AppConfig):
    """Tickets at the door and the back office: QR codes, check-in, staff
    scoped to theatres, reports. Uses ``booking`` and ``catalog``; neither
    imports it."""

    name = "tickets"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from cinema.permissions import staff_scope_register
        from tickets import scoping

        staff_scope_register(scoping.TheatreScope())
