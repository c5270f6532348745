from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from booking.models import IdempotencyRecord
from booking.services import idempotency_purge
from tests.factories import IdempotencyRecordFactory

pytestmark = pytest.mark.django_db


def test_purge_keeps_records_for_the_ttl_and_deletes_older_ones():
    fresh, old = IdempotencyRecordFactory(), IdempotencyRecordFactory()
    IdempotencyRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    assert idempotency_purge(now=timezone.now() + timedelta(hours=23)) == 1
    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [fresh.pk]


def test_purge_command_reports_the_count():
    out = StringIO()
    call_command("purge_idempotency_keys", stdout=out)
    assert "Deleted 0" in out.getvalue()
