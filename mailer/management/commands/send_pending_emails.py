from django.core.management.base import BaseCommand

from mailer.services import emails_retry


class Command(BaseCommand):
    help = "Send the emails still pending (a failed send is retried with back-off). Safe to run any time."

    def handle(self, *args, **options):
        self.stdout.write(f"sent {emails_retry()}")
