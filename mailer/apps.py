from django.apps import AppConfig


class MailerConfig(AppConfig):
    """Outgoing email that is never lost silently: every message is a row,
        sent after the caller's commit (or, with EMAIL_SEND_AFTER_COMMIT off, by
    the relay alone), retried by the relay's periodic job (or
        ``manage.py send_pending_emails``) until it goes. Knows no app's models:
        apps register a builder per kind (``mailer.services.email_kind_register``)."""

    name = "mailer"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.conf import settings

        from events.periodic import periodic_register
        from mailer.services import emails_retry

        periodic_register(name="mailer.retry", every_seconds=settings.EMAIL_POLL_SECONDS, func=emails_retry)
