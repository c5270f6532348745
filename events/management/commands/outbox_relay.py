from django.conf import settings
from django.core.management.base import BaseCommand

from events.relay import Relay

from ._process import stop_on_signals, yield_cpu


class Command(BaseCommand):
    help = (
        "Publish the event outbox to RabbitMQ (AMQP_URL, exchange EVENTS_EXCHANGE) and run the periodic jobs "
        "(outbox pruning). Runs until SIGTERM; safe to kill and restart at any moment, several may run at once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--exit-when-idle", action="store_true", help="Stop once nothing is left to publish.")

    def handle(self, *args, exit_when_idle=False, **options):
        relay = Relay()
        stop_on_signals(relay)
        nice = yield_cpu(settings.OUTBOX_RELAY_NICE)
        target = f"exchange {relay.exchange!r}" if relay.url else "nowhere (AMQP_URL is not set)"
        self.stdout.write(
            f"outbox_relay: publishing to {target}, polling every {relay.poll_seconds} s, at nice {nice}."
        )
        self.stdout.flush()
        relay.run(exit_when_idle=exit_when_idle)
        self.stdout.write("outbox_relay: stopped.")
