"""Fixtures for the events tests: a real RabbitMQ (TEST_AMQP_URL, default the
local guest account) with an exchange and queue of the test's own, so tests
and helpers sharing the broker never see each other's messages. A broker that
does not answer fails the test; nothing here is skipped."""

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pika
import pytest
from django.db import connection

AMQP_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
# Nothing listens here: the broker is "down".
CLOSED_AMQP_URL = "amqp://guest:guest@127.0.0.1:1/%2F"
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Rabbit:
    url: str
    exchange: str
    queue: str

    def channel(self):
        return pika.BlockingConnection(pika.URLParameters(self.url)).channel()

    def message_count(self) -> int:
        channel = self.channel()
        try:
            return channel.queue_declare(queue=self.queue, passive=True).method.message_count
        finally:
            channel.connection.close()

    def bind_queue(self) -> None:
        from events.consumer import audit_queue_declare

        channel = self.channel()
        audit_queue_declare(channel, exchange=self.exchange, queue=self.queue)
        channel.connection.close()

    def drain(self, queue: str | None = None) -> list[tuple[object, object, dict]]:
        """Every message now in the queue (this one's, or ``queue``), as
        (method, properties, envelope), in queue order."""
        import json

        channel = self.channel()
        messages = []
        while True:
            method, properties, body = channel.basic_get(queue or self.queue, auto_ack=True)
            if method is None:
                break
            messages.append((method, properties, json.loads(body)))
        channel.connection.close()
        return messages


def rabbit_on(url: str, settings, *, clean_up: bool = True):
    """The ``rabbit`` fixture's body, on the broker at ``url``: the settings
    point at the test's exchange and queue, removed again at teardown (unless
    the broker is the test's own and goes with it)."""
    tag = uuid.uuid4().hex[:12]
    broker = Rabbit(url=url, exchange=f"test.events.{tag}", queue=f"test.audit.{tag}")
    try:
        broker.channel().connection.close()
    except pika.exceptions.AMQPError as exc:
        pytest.fail(f"RabbitMQ at {url} is not answering ({exc!r}); .ci/run starts it.")
    settings.AMQP_URL = broker.url
    settings.EVENTS_EXCHANGE = broker.exchange
    settings.AUDIT_QUEUE = broker.queue
    broker.bind_queue()
    yield broker
    if not clean_up:
        return
    channel = broker.channel()
    channel.queue_delete(queue=broker.queue)
    channel.exchange_delete(exchange=broker.exchange)
    channel.connection.close()


@pytest.fixture
def rabbit(settings):
    yield from rabbit_on(AMQP_URL, settings)


@pytest.fixture
def rabbit_node(tmp_path):
    """A RabbitMQ node of the test's own (events/tests/rabbitnode.py), started;
    the test may stop and start it. Stopped (or killed) at teardown. Without
    rabbitmq-server installed the test fails: nothing is skipped."""
    from .rabbitnode import RabbitMissing, RabbitNode

    try:
        node = RabbitNode(tmp_path / "rabbit")
    except RabbitMissing as exc:
        pytest.fail(str(exc))
    try:
        node.start(timeout=60)
        yield node
    finally:
        node.kill()


def database_url() -> str:
    """The test database, as a DATABASE_URL a subprocess can use."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"mysql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 3306}/{db['NAME']}"


@pytest.fixture
def manage(rabbit):
    """Start ``python manage.py <command>`` against the test database and
    the test's exchange and queue, and return once it is running (its start
    line printed); every process is killed at teardown. ``new_session``: in
    a session of its own, as a service manager starts it."""
    started = []

    def start(
        command: str, *args: str, amqp_url: str | None = None, new_session: bool = False, **env: str
    ) -> subprocess.Popen:
        environ = {
            **os.environ,
            "DEBUG": "true",
            "DATABASE_URL": database_url(),
            "AMQP_URL": rabbit.url if amqp_url is None else amqp_url,
            "EVENTS_EXCHANGE": rabbit.exchange,
            "AUDIT_QUEUE": rabbit.queue,
            "OUTBOX_POLL_SECONDS": "0.1",
            "LOG_LEVEL": "WARNING",
            **env,
        }
        process = subprocess.Popen(
            [sys.executable, "manage.py", command, *args],
            cwd=ROOT,
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=new_session,
        )
        started.append(process)
        # Wait for the start line: it comes after the SIGTERM handler is installed.
        process.head = ""
        while f"{command}:" not in process.head:
            line = process.stdout.readline()
            if not line:
                break
            process.head += line
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate()


def wait_for(condition, timeout=20.0):
    """Poll ``condition`` until it holds; AssertionError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def pending() -> int:
    """Outbox rows not yet published."""
    from events.models import OutboxEvent

    return OutboxEvent.objects.filter(published_at__isnull=True).count()


def stop(process, timeout=10) -> str:
    """SIGTERM a ``manage`` process; it must exit 0. Returns its whole output."""
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=timeout)
    output = process.head + output
    assert process.returncode == 0, output
    return output
