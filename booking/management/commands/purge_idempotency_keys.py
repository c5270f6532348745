from django.core.management.base import BaseCommand

from booking.services import idempotency_purge


class Command(BaseCommand):
    help = "Delete Idempotency-Key records older than IDEMPOTENCY_TTL_HOURS (default 24). Safe to run from cron."

    def handle(self, *args, **options):
        self.stdout.write(f"Deleted {idempotency_purge()} expired idempotency records.")
