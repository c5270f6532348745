import uuid

import pytest

from events.models import AuditLogEntry, EventType, OutboxEvent
from events.services import audit_record, event_emit

pytestmark = pytest.mark.django_db


def envelope(**data):
    return {
        "id": str(uuid.uuid4()),
        "type": data.pop("type", "booking.confirmed"),
        "occurred_at": "2026-12-01T18:30:00Z",
        "version": 1,
        "data": data,
    }


@pytest.fixture
def entries():
    audit_record(envelope=envelope(order_id=11, order_code="CODE11", show_id=5, user_id=3))
    audit_record(envelope=envelope(type="checkin.recorded", order_id=12, order_code="CODE12", show_id=6, user_id=4))
    return AuditLogEntry.objects.order_by("pk")


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("11", ["CODE11"]),
        ("5", ["CODE11"]),
        ("4", ["CODE12"]),
        ("code12", ["CODE12"]),
        ("checkin.recorded", ["CODE12"]),
        ("zzz", []),
    ],
)
def test_staff_search_the_audit_log_by_show_order_user_code_and_type(
    admin_client, entries, q, expected, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        page = admin_client.get("/admin/events/auditlogentry/", {"q": q})
    assert page.status_code == 200
    found = sorted(code for code in ("CODE11", "CODE12") if f">{code}<".encode() in page.content)
    assert found == expected


def test_the_audit_log_filters_by_id_columns_and_is_read_only(admin_client, entries):
    page = admin_client.get("/admin/events/auditlogentry/", {"order_id": "12"})
    assert b"CODE12" in page.content and b"CODE11" not in page.content
    entry = entries.first()
    assert admin_client.get("/admin/events/auditlogentry/add/").status_code == 403
    assert admin_client.get(f"/admin/events/auditlogentry/{entry.pk}/delete/").status_code == 403
    detail = admin_client.get(f"/admin/events/auditlogentry/{entry.pk}/change/")
    assert detail.status_code == 200 and b'name="type"' not in detail.content


def test_the_outbox_page_shows_the_backlog(admin_client):
    assert b"Backlog: none" in admin_client.get("/admin/events/outboxevent/").content
    for order in (1, 2):
        event_emit(type=EventType.ORDER_CREATED, data={"order_id": order}, aggregate="order", aggregate_id=order)
    OutboxEvent.objects.filter(aggregate_id="2").update(
        published_at=OutboxEvent.objects.get(aggregate_id="2").occurred_at
    )
    page = admin_client.get("/admin/events/outboxevent/", {"published": "no"})
    assert page.status_code == 200
    assert b"<strong>1</strong> event waiting" in page.content
    assert admin_client.get("/admin/events/outboxevent/add/").status_code == 403


def test_metrics_show_the_real_outbox_backlog(client):
    from django.db import transaction

    from events.models import EventType
    from events.services import event_emit

    with transaction.atomic():
        event_emit(type=EventType.SEAT_HELD, data={"show_id": 1}, aggregate="show", aggregate_id=1)
    body = client.get("/metrics").content.decode()
    line = next(line for line in body.splitlines() if line.startswith("cinema_outbox_pending "))
    assert float(line.split()[1]) >= 1
