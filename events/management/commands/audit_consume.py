from django.core.management.base import BaseCommand

from events.consumer import AuditConsumer

from ._process import stop_on_signals


class Command(BaseCommand):
    help = (
        "Write every event from RabbitMQ (queue AUDIT_QUEUE bound to EVENTS_EXCHANGE with '#') into the audit log, "
        "acknowledging each after its commit. Runs until SIGTERM; safe to kill and restart at any moment."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--exit-when-idle", type=float, metavar="SECONDS", help="Stop once the queue has been quiet this long."
        )

    def handle(self, *args, exit_when_idle=None, **options):
        consumer = AuditConsumer()
        stop_on_signals(consumer)
        self.stdout.write(f"audit_consume: queue {consumer.queue!r} on exchange {consumer.exchange!r}.")
        self.stdout.flush()
        consumer.run(exit_when_idle=exit_when_idle)
        self.stdout.write("audit_consume: stopped.")
