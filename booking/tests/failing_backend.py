from django.core.mail.backends.base import BaseEmailBackend


class FailingBackend(BaseEmailBackend):
    """An email backend whose server is down (for the retry tests)."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("SMTP down")
