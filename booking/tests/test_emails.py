"""Customer emails: HTML + plain text, the QR inline, the .ics, one-line
subjects, and a failed send that is logged and retried, never lost."""

import email
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from booking.services import booking_cancel, booking_confirm, seats_hold
from booking.services.emails import email_show_cancelled, one_line
from mailer.models import EmailStatus, OutgoingEmail
from mailer.services import emails_retry
from tests.factories import MovieFactory, ScreenFactory, ShowFactory, TheatreFactory

pytestmark = pytest.mark.django_db


def _book(user, show, n=2):
    ids = list(show.show_seats.order_by("pk").values_list("pk", flat=True)[:n])
    seats_hold(user=user, show=show, seat_ids=ids)
    return booking_confirm(user=user, show=show, seat_ids=ids).booking


@pytest.fixture
def fancy_show():
    theatre = TheatreFactory(name="Regal & Sons", address="12 MG Road", city="Mumbai")
    return ShowFactory(movie=MovieFactory(title="Chai & Chaos"), screen=ScreenFactory(theatre=theatre))


def test_ticket_email_has_html_text_qr_and_ics(user, fancy_show, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking = _book(user, fancy_show)
    (message,) = mail.outbox
    assert message.subject == f"Your tickets: Chai & Chaos – booking {booking.code}"
    assert "Chai & Chaos" in message.body and "&amp;" not in message.body  # plain text, unescaped
    assert "12 MG Road" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "cid:ticket-qr" in html and "Chai &amp; Chaos" in html
    for line in booking.lines.all():
        assert line.seat_name in message.body and line.seat_name in html

    parsed = email.message_from_bytes(message.message().as_bytes())
    parts = {part.get_content_type(): part for part in parsed.walk()}
    assert {"text/plain", "text/html", "image/png", "text/calendar"} <= set(parts)
    png = parts["image/png"]
    assert png["Content-ID"] == "<ticket-qr>" and png.get_payload(decode=True).startswith(b"\x89PNG")
    cal = Calendar.from_ical(parts["text/calendar"].get_payload(decode=True))
    (event,) = cal.walk("VEVENT")
    assert event["dtstart"].dt == fancy_show.start_time.replace(microsecond=0)
    assert "12 MG Road" in str(event["location"]) and booking.code in str(event["description"])
    assert OutgoingEmail.objects.get().status == EmailStatus.SENT


def test_the_request_id_follows_the_email(client, user, show):
    client.force_login(user)
    ids = list(show.show_seats.order_by("pk").values_list("pk", flat=True)[:1])
    seats_hold(user=user, show=show, seat_ids=ids)
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        booking_confirm(user=user, show=show, seat_ids=ids)
    assert OutgoingEmail.objects.get().params["request_id"] is None  # no request here
    assert "X-Request-ID" not in mail.outbox[-1].extra_headers


def test_qr_png_decodes_to_the_code(user, show, django_capture_on_commit_callbacks):
    from booking.qr import ticket_qr_svg

    with django_capture_on_commit_callbacks(execute=True):
        booking = _book(user, show)
    svg = ticket_qr_svg(code=booking.code).decode()
    assert svg.startswith("<svg") and "<path" in svg


def test_a_title_with_cr_lf_cannot_break_the_subject(user, django_capture_on_commit_callbacks):
    show = ShowFactory()
    type(show.movie).objects.filter(pk=show.movie.pk).update(title="Evil\r\nBcc: victim@example.com")
    show.movie.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        _book(user, show)
    (message,) = mail.outbox
    assert "\n" not in message.subject and "\r" not in message.subject
    assert "victim@example.com" not in message.recipients()
    assert one_line(" a \r\n b\t c ") == "a b c"


def test_cancellation_and_show_cancelled_emails(user, show, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking = _book(user, show)
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, by=user)
    cancelled = mail.outbox[-1]
    assert cancelled.subject.startswith("Booking cancelled") and booking.code in cancelled.body
    assert any(a[0] == f"{booking.code}.ics" and "METHOD:CANCEL" in str(a[1]) for a in cancelled.attachments)
    with django_capture_on_commit_callbacks(execute=True):
        email_show_cancelled(booking_id=booking.pk, refund_amount="400.00", refund_status="SUCCEEDED")
    show_mail = mail.outbox[-1]
    assert show_mail.subject.startswith("Show cancelled") and "Refund:       400.00" in show_mail.body


def test_a_failed_send_is_logged_and_retried(user, show, settings, caplog, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "booking.tests.failing_backend.FailingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        booking = _book(user, show)
    row = OutgoingEmail.objects.get()
    assert row.status == EmailStatus.PENDING and row.attempts == 1 and "SMTP down" in row.last_error
    assert any("not sent" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)
    assert emails_retry() == 0  # not due yet (back-off)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert emails_retry(now=timezone.now() + timedelta(minutes=2)) == 1
    row.refresh_from_db()
    assert row.status == EmailStatus.SENT and row.attempts == 2
    assert mail.outbox[-1].subject.endswith(booking.code)
    assert emails_retry(now=timezone.now() + timedelta(hours=1)) == 0  # sent once


def test_with_send_after_commit_off_the_request_only_queues_and_the_relay_sends(
    user, show, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_SEND_AFTER_COMMIT = False
    with django_capture_on_commit_callbacks(execute=True):
        booking = _book(user, show)
    row = OutgoingEmail.objects.get()
    assert row.status == EmailStatus.PENDING and row.attempts == 0 and mail.outbox == []
    assert emails_retry() == 1  # the relay's periodic job
    row.refresh_from_db()
    assert row.status == EmailStatus.SENT and mail.outbox[-1].subject.endswith(booking.code)
    assert emails_retry(now=timezone.now() + timedelta(hours=1)) == 0  # sent once


def test_a_row_the_request_sends_is_not_due_for_the_relay_meanwhile(user, show, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as sends:
        _book(user, show)  # the order's email is queued with the sale...
    assert OutgoingEmail.objects.get().status == EmailStatus.PENDING
    assert emails_retry() == 0  # ...and sent after that commits: meanwhile the relay leaves it
    for send in sends:
        send()
    assert OutgoingEmail.objects.get().status == EmailStatus.SENT and len(mail.outbox) == 1
    assert emails_retry(now=timezone.now() + timedelta(hours=1)) == 0
