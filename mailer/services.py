"""Queue, send and retry emails. ``email_queue`` writes the row (in the
caller's transaction when there is one). With ``EMAIL_SEND_AFTER_COMMIT`` on
(the default) the request sends it once that commits; off, the request only
writes the row and the relay's periodic job (``emails_retry``, every
``EMAIL_POLL_SECONDS``) builds and sends it, so a ticket rush spends no request
time rendering mail. A failure is logged and left PENDING with a back-off;
``emails_retry`` sends what is due. Sending happens outside any transaction."""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from cinema.prepared import insert_rows
from mailer.models import EmailStatus, OutgoingEmail

log = logging.getLogger("mailer")

MAX_ATTEMPTS = 8
RETRY_BATCH = 50
_builders: dict[str, Callable[[dict], EmailMessage | None]] = {}


def email_kind_register(*, kind: str, build: Callable[[dict], EmailMessage | None]) -> None:
    """``build(params)`` returns the message to send, or None when there is
    nothing to send any more (e.g. the order is gone)."""
    _builders[kind] = build


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(60 * 2 ** (attempts - 1), 6 * 3600))


# A row the request itself sends is not due for the relay until then, so the
# two never send it both; if the request dies before sending, the relay does.
SEND_AFTER_COMMIT_GRACE = timedelta(minutes=1)


def email_queue(*, kind: str, params: dict) -> OutgoingEmail:
    """Record an email; send it after the current transaction commits (at once
    outside one), or leave it to the relay when ``EMAIL_SEND_AFTER_COMMIT`` is
    off (then, inside a service's transaction, the row has no pk yet: its
    INSERT goes with the transaction's next round trip). Takes no locks.
    Raises KeyError for an unknown kind."""
    if kind not in _builders:
        raise KeyError(f"No email builder for {kind!r}.")
    now = timezone.now()
    in_request = settings.EMAIL_SEND_AFTER_COMMIT
    email = OutgoingEmail(
        kind=kind, params=params, next_attempt_at=now + SEND_AFTER_COMMIT_GRACE if in_request else now
    )
    if in_request:
        email.save(force_insert=True)
        transaction.on_commit(lambda: email_send(email=email))
    else:
        # Left to the relay: nothing here needs the row's pk, so in a service's
        # transaction the INSERT goes with its next round trip (writes_batched).
        insert_rows([email], later=True)
    return email


def email_send(*, email: OutgoingEmail, now: datetime | None = None) -> bool:
    """Build and send one email; True when it went. A failure is logged with
    the row id, counted, and retried later (FAILED after MAX_ATTEMPTS)."""
    now = now or timezone.now()
    try:
        message = _builders[email.kind](email.params)
        if message is not None:
            message.send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - any failure of a backend must be retried, not lost
        attempts = email.attempts + 1
        status = EmailStatus.FAILED if attempts >= MAX_ATTEMPTS else EmailStatus.PENDING
        log.warning(
            "email %s (%s) not sent, attempt %s: %s: %s", email.pk, email.kind, attempts, type(exc).__name__, exc
        )
        OutgoingEmail.objects.filter(pk=email.pk).update(
            attempts=attempts,
            status=status,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=now + _backoff(attempts),
        )
        return False
    OutgoingEmail.objects.filter(pk=email.pk).update(
        status=EmailStatus.SENT, sent_at=now, attempts=email.attempts + 1, last_error=""
    )
    return True


def emails_retry(*, now: datetime | None = None, limit: int = RETRY_BATCH) -> int:
    """Send the pending emails that are due; returns how many went. Safe on
    several relays at once: each row is claimed by moving its next attempt
    forward with a conditional UPDATE, so only one process sends it."""
    now = now or timezone.now()
    sent = 0
    due = OutgoingEmail.objects.filter(status=EmailStatus.PENDING, next_attempt_at__lte=now).order_by("pk")
    for email in list(due[:limit]):
        claimed = OutgoingEmail.objects.filter(pk=email.pk, next_attempt_at=email.next_attempt_at).update(
            next_attempt_at=now + timedelta(minutes=5)
        )
        if claimed:
            sent += email_send(email=email, now=now)
    return sent
