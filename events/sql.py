"""The outbox INSERT by hand, beside its ORM twin (as booking/sql.py).

Every hold, order and payment writes one or two events; through the ORM
(``OutboxEvent.objects.create``) each INSERT cost ~0.6 ms of CPU to build
and compile, several times the database's work. The values are prepared by
the model's own fields (``get_db_prep_save``, as Django's INSERT does), so
both twins store the same row; events/tests/test_services.py checks it."""

from django.db import connection

from events.models import OutboxEvent

# Every column but the auto-incremented ``seq``, in the INSERT's order.
_COLUMNS = [f for f in OutboxEvent._meta.concrete_fields if not f.primary_key]


def outbox_insert_sql(**values) -> OutboxEvent:
    """Insert one outbox row (``values``: the model's fields; defaults as
    the model's) and return it as saved, ``seq`` included."""
    event = OutboxEvent(**values)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(OutboxEvent._meta.db_table)} ({', '.join(quote(f.column) for f in _COLUMNS)})"
            f" VALUES ({', '.join(['%s'] * len(_COLUMNS))})",
            [f.get_db_prep_save(getattr(event, f.attname), connection) for f in _COLUMNS],
        )
        event.seq = cursor.lastrowid
    event._state.adding = False
    event._state.db = connection.alias
    return event


def outbox_insert_orm(**values) -> OutboxEvent:
    return OutboxEvent.objects.create(**values)
