"""The one hand-written query of accounts, beside its ORM twin.

Every API request with a bearer token reads its user by primary key
(accounts/authentication.py). Through the ORM, building that query costs
several times what the database spends answering it, on every signed-in seat
map poll, hold and booking (docs/performance.md). ``user_by_pk_sql`` answers
what ``user_by_pk_orm`` answers — the same model instance, every concrete
field converted as the ORM converts it (a test, accounts/tests/test_sql.py,
checks it on every backend) — from SQL written once per database.
"""

import functools

from django.contrib.auth import get_user_model
from django.db import connections, router


@functools.cache
def _plan(alias: str, model):
    """The SELECT, the attribute names and each column's converters, for ``model`` on ``alias``."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    fields = model._meta.concrete_fields
    sql = "SELECT {} FROM {} WHERE {} = %s".format(
        ", ".join(quote(f.column) for f in fields), quote(model._meta.db_table), quote(model._meta.pk.column)
    )
    converters = []
    for index, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if found:
            converters.append((index, found, column))
    return sql, [f.attname for f in fields], converters


def user_by_pk_sql(pk):
    """The user with this primary key, or None (read where the router sends user reads)."""
    model = get_user_model()
    alias = router.db_for_read(model)
    sql, attnames, converters = _plan(alias, model)
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, found, column in converters:
        for converter in found:
            values[index] = converter(values[index], column, connection)
    return model.from_db(alias, attnames, values)


def user_by_pk_orm(pk):
    return get_user_model().objects.filter(pk=pk).first()
