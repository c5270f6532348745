from django.core.management.base import BaseCommand

from events.services import outbox_prune


class Command(BaseCommand):
    help = "Delete published outbox rows older than OUTBOX_RETENTION_HOURS (the relay also does this every 10 minutes)."

    def handle(self, *args, **options):
        self.stdout.write(f"Deleted {outbox_prune()} published outbox rows.")
