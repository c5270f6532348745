"""The outbox relay: publishes committed outbox rows to RabbitMQ and marks
them published once the broker has confirmed them (at least once).

One batch is one database transaction: the rows are locked with
``SELECT … FOR UPDATE SKIP LOCKED`` (so several relays share the work),
published in ``seq`` order with publisher confirms, and marked in the same
transaction. A relay killed anywhere before that commit leaves the rows
unpublished, and they are sent again. The locked rows are outbox rows only,
which the app inserts but never locks, so the app's transactions never wait
on a relay (READ COMMITTED takes no gap locks)."""

import logging
import os
import time

from django import db
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from events.broker import BROKER_ERRORS, Backoff, Publisher, Stoppable
from events.models import OutboxEvent
from events.periodic import periodic_tasks

logger = logging.getLogger("events.relay")

# Fault injection for the crash tests: the relay exits at once (like kill -9)
# when it reaches this stage: "before_publish" or "after_publish" (every row of
# the batch confirmed by the broker, none marked yet).
CRASH_ENV = "OUTBOX_RELAY_CRASH_AT"
CRASH_EXIT_CODE = 86


class Relay(Stoppable):
    def __init__(
        self,
        *,
        url: str | None = None,
        exchange: str | None = None,
        batch_size: int | None = None,
        poll_seconds: float | None = None,
    ):
        self.url = settings.AMQP_URL if url is None else url
        self.exchange = exchange or settings.EVENTS_EXCHANGE
        self.batch_size = batch_size or settings.OUTBOX_BATCH_SIZE
        self.poll_seconds = settings.OUTBOX_POLL_SECONDS if poll_seconds is None else poll_seconds
        self.crash_at = os.environ.get(CRASH_ENV, "")
        self.publisher: Publisher | None = None
        self.backoff = Backoff()
        self.next_runs: dict[str, float] = {}

    # --- the loop ---------------------------------------------------------------
    def run(self, *, exit_when_idle: bool = False) -> None:
        """Relay until stopped (SIGTERM), or until nothing is left to send."""
        if not self.url:
            logger.warning("AMQP_URL is not set: events wait in the outbox; only periodic jobs run.")
        while not self.stopping:
            try:
                db.close_old_connections()
                self.run_periodic()
                if not self.url:
                    if exit_when_idle:
                        break
                    self.sleep(self.poll_seconds)
                    continue
                if self.publisher is None:
                    self.publisher = Publisher(url=self.url, exchange=self.exchange)
                    logger.info("Connected to the broker; publishing to exchange %r.", self.exchange)
                sent, full = self.relay_batch()
                self.backoff.reset()
                if not full:
                    if exit_when_idle:
                        break
                    self.sleep(self.poll_seconds, step=self.publisher.idle)
            except BROKER_ERRORS as exc:
                self.close()
                delay = self.backoff.next()
                logger.warning("Broker unavailable (%r); retrying in %.1f s.", exc, delay)
                self.sleep(delay)
            except DatabaseError as exc:
                db.connection.close()
                delay = self.backoff.next()
                logger.warning("Database unavailable (%r); retrying in %.1f s.", exc, delay)
                self.sleep(delay)
        self.close()

    def close(self) -> None:
        if self.publisher is not None:
            self.publisher.close()
            self.publisher = None

    def run_periodic(self) -> None:
        now = time.monotonic()
        for task in periodic_tasks():
            if self.next_runs.get(task.name, 0) > now:
                continue
            self.next_runs[task.name] = now + task.every_seconds
            try:
                task.func()
            except Exception:
                logger.exception("Periodic job %s failed; it runs again in %s s.", task.name, task.every_seconds)

    # --- one batch --------------------------------------------------------------
    def relay_batch(self) -> tuple[int, bool]:
        """Publish up to ``batch_size`` pending rows. Returns (published, the
        batch was full so more may wait). A failed publish ends the batch: the
        rows confirmed before it are marked, the failure is counted on its row,
        and the error is raised so the loop backs off."""
        failure = None
        with transaction.atomic(durable=True):
            rows = list(
                OutboxEvent.objects.select_for_update(skip_locked=True)
                .filter(published_at__isnull=True)
                .order_by("seq")[: self.batch_size]
            )
            if not rows:
                return 0, False
            blocked = self._blocked_aggregates(rows)
            sent = []
            for row in rows:
                if (row.aggregate_type, row.aggregate_id) in blocked:
                    continue
                self._crash_point("before_publish")
                try:
                    self.publisher.publish(
                        envelope=row.envelope(),
                        headers=row.headers(),
                    )
                except Exception as exc:
                    failure = exc
                    OutboxEvent.objects.filter(pk=row.pk).update(
                        attempts=F("attempts") + 1, last_error=repr(exc)[:1000]
                    )
                    break
                sent.append(row.pk)
            self._crash_point("after_publish")
            if sent:
                OutboxEvent.objects.filter(pk__in=sent).update(
                    published_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
                )
        if failure is not None:
            raise failure
        return len(sent), len(rows) == self.batch_size and bool(sent)

    def _blocked_aggregates(self, rows: list[OutboxEvent]) -> set[tuple[str, str]]:
        """Aggregates with an older pending event that is not in this batch
        (another relay holds it, or it committed late): leave theirs for a later
        batch so nothing overtakes it."""
        first = {}
        for row in rows:
            first.setdefault((row.aggregate_type, row.aggregate_id), row.pk)
        older = (
            OutboxEvent.objects.filter(published_at__isnull=True, pk__lt=rows[-1].pk)
            .exclude(pk__in=[row.pk for row in rows])
            .values_list("aggregate_type", "aggregate_id", "pk")
        )
        return {(kind, ident) for kind, ident, pk in older if pk < first.get((kind, ident), 0)}

    def _crash_point(self, stage: str) -> None:
        if self.crash_at == stage:
            os._exit(CRASH_EXIT_CODE)
