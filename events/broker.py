"""RabbitMQ plumbing shared by the relay and the audit consumer (pika's
blocking client: one connection, one channel, synchronous confirms)."""

import json
import logging
import random
import time
from collections.abc import Callable

import pika

logger = logging.getLogger("events")

# What a lost or refused broker raises: pika's errors and plain socket errors.
BROKER_ERRORS = (pika.exceptions.AMQPError, OSError)


def connect(url: str) -> pika.BlockingConnection:
    params = pika.URLParameters(url)
    params.connection_attempts = 1
    params.socket_timeout = 5
    params.blocked_connection_timeout = 30
    params.client_properties = {"connection_name": "cinema"}
    return pika.BlockingConnection(params)


def exchange_declare(channel, exchange: str) -> None:
    channel.exchange_declare(exchange=exchange, exchange_type="topic", durable=True)


class Publisher:
    """A channel in confirm mode: ``publish`` returns once the broker has
    taken the message (persisted it, for a durable queue), and raises if it
    refuses it or the connection drops."""

    def __init__(self, *, url: str, exchange: str):
        self.exchange = exchange
        self.connection = connect(url)
        self.channel = self.connection.channel()
        exchange_declare(self.channel, exchange)
        self.channel.confirm_delivery()

    def publish(self, *, envelope: dict, headers: dict) -> None:
        self.channel.basic_publish(
            exchange=self.exchange,
            routing_key=envelope["type"],
            body=json.dumps(envelope, separators=(",", ":")).encode(),
            properties=pika.BasicProperties(
                content_type="application/json",
                delivery_mode=pika.DeliveryMode.Persistent,
                message_id=envelope["id"],
                type=envelope["type"],
                app_id="cinema",
                headers=headers,
            ),
        )

    def idle(self, seconds: float) -> None:
        """Wait while keeping the connection alive (heartbeats)."""
        self.connection.process_data_events(time_limit=seconds)

    def close(self) -> None:
        close_quietly(self.connection)


def close_quietly(connection) -> None:
    if connection is None:
        return
    try:
        if connection.is_open:
            connection.close()
    except BROKER_ERRORS:
        pass


class Backoff:
    """Exponential back-off with jitter: 0.5 s, 1 s, 2 s … up to 30 s."""

    def __init__(self, *, first: float = 0.5, cap: float = 30.0):
        self.first, self.cap, self.failures = first, cap, 0

    def next(self) -> float:
        delay = min(self.cap, self.first * 2**self.failures)
        self.failures += 1
        return delay * random.uniform(0.8, 1.2)

    def reset(self) -> None:
        self.failures = 0


class Stoppable:
    """A loop that stops between steps when asked (by the SIGTERM handler)."""

    stopping = False

    def stop(self, *args) -> None:
        self.stopping = True

    def sleep(self, seconds: float, *, step: Callable[[float], None] = time.sleep) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            step(min(left, 0.2))
