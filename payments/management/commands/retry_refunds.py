"""Pay back every refund the provider has not confirmed (recorded, then the
process died or the provider was down). Safe to run at any time, repeatedly:
each refund reaches the provider with its own key as the idempotency key."""

from django.core.management.base import BaseCommand, CommandError

from payments.models import RefundStatus
from payments.selectors import refunds_to_retry
from payments.services import refund_perform


class Command(BaseCommand):
    help = "Retry refunds that are still pending or failed."

    def handle(self, *args, **options):
        done = failed = 0
        for refund in refunds_to_retry():
            result = refund_perform(refund_id=refund.pk)
            if result.status == RefundStatus.SUCCEEDED:
                done += 1
            else:
                failed += 1
                self.stderr.write(f"refund {refund.pk}: {result.failure_message}")
        self.stdout.write(f"{done} refunded, {failed} still owed")
        if failed:
            raise CommandError(f"{failed} refunds are still owed; run again later.")
