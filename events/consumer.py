"""The audit consumer: a durable queue bound to every event type, each
message stored in the audit log and acknowledged only after that commit. A
consumer killed in between leaves the message unacknowledged, RabbitMQ
delivers it again, and ``audit_record`` stores it once."""

import json
import logging

from django import db
from django.conf import settings
from django.db import DatabaseError

from events.broker import BROKER_ERRORS, Backoff, Stoppable, close_quietly, connect, exchange_declare
from events.exceptions import InvalidEvent
from events.services import audit_record

logger = logging.getLogger("events.audit")


def audit_queue_declare(channel, *, exchange: str, queue: str) -> None:
    exchange_declare(channel, exchange)
    channel.queue_declare(queue=queue, durable=True)
    channel.queue_bind(queue=queue, exchange=exchange, routing_key="#")


class AuditConsumer(Stoppable):
    def __init__(self, *, url: str | None = None, exchange: str | None = None, queue: str | None = None):
        self.url = settings.AMQP_URL if url is None else url
        self.exchange = exchange or settings.EVENTS_EXCHANGE
        self.queue = queue or settings.AUDIT_QUEUE
        self.backoff = Backoff()
        self.connection = None

    def run(self, *, exit_when_idle: float | None = None) -> None:
        """Consume until stopped (SIGTERM), or until the queue has been quiet
        for ``exit_when_idle`` seconds."""
        if not self.url:
            logger.warning("AMQP_URL is not set: nothing to consume; waiting to be stopped.")
            if exit_when_idle is None:
                self.sleep(float("inf"))
            return
        while not self.stopping:
            try:
                if self._consume(exit_when_idle):
                    break
            except BROKER_ERRORS as exc:
                delay = self.backoff.next()
                logger.warning("Broker unavailable (%r); retrying in %.1f s.", exc, delay)
                self.sleep(delay)
            except DatabaseError as exc:
                # Unacknowledged messages go back to the queue with the connection.
                delay = self.backoff.next()
                logger.warning("Database unavailable (%r); retrying in %.1f s.", exc, delay)
                db.connection.close()
                self.sleep(delay)
            finally:
                close_quietly(self.connection)
                self.connection = None

    def _consume(self, exit_when_idle: float | None) -> bool:
        """One connection's worth of consuming; True when done for good."""
        self.connection = connect(self.url)
        channel = self.connection.channel()
        audit_queue_declare(channel, exchange=self.exchange, queue=self.queue)
        channel.basic_qos(prefetch_count=50)
        logger.info("Consuming %r (bound to %r).", self.queue, self.exchange)
        idle = 0.0
        tick = 0.5 if exit_when_idle is None else min(0.5, exit_when_idle)
        for method, properties, body in channel.consume(self.queue, inactivity_timeout=tick):
            if method is None:
                idle += tick
                if self.stopping or (exit_when_idle is not None and idle >= exit_when_idle):
                    break
                continue
            idle = 0.0
            db.close_old_connections()
            self.handle(channel, method, properties, body)
            self.backoff.reset()
            if self.stopping:
                break
        channel.cancel()
        return True

    def handle(self, channel, method, properties, body: bytes) -> None:
        headers = (properties.headers or {}) if properties else {}
        try:
            envelope = json.loads(body)
            audit_record(
                envelope=envelope,
                aggregate=str(headers.get("aggregate") or ""),
                aggregate_id=str(headers.get("aggregate_id") or ""),
            )
        except (InvalidEvent, ValueError) as exc:
            # Not an event at all: drop it rather than redeliver it forever.
            logger.error("Dropping a message that is not an event (%r): %r", exc, body[:200])
            channel.basic_reject(delivery_tag=method.delivery_tag, requeue=False)
            return
        channel.basic_ack(delivery_tag=method.delivery_tag)
