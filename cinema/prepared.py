"""Querysets compiled once per process: the ORM's own SQL, reused.

Django builds and compiles a queryset's SQL on every evaluation: for the hot
writes' reads (an order with its show, movie, screen and theatre; a locked
row with its user) that is 0.3–0.8 ms of CPU each, several times what MariaDB
takes to answer. ``Prepared(model, build)`` calls ``build(*markers)`` once
per database, with a distinct marker value for each argument, and keeps the
SQL Django made for it with its row converters; each call then runs that SQL with
the markers replaced by the call's arguments, and turns the rows into model
instances (``select_related`` ones too) the way Django's ``ModelIterable``
does, through Django's own row converters and related populators.

The query stays written in the ORM (it *is* the SQL used: nothing to keep in
step by hand); cinema/tests/test_prepared.py checks the results equal the
plain queryset's. What it does not do: ``prefetch_related``, annotations,
arguments other than integers and strings compared as they are (pass
anything else as a constant inside ``build``), querysets whose SQL shape
depends on the values (a list argument: one query per length).

``statements_run`` sends several statements (``Prepared.statement``, or the
hand-written ones of booking/sql.py) to MariaDB as one query, so a write's
leading locks and reads cost one round trip instead of one each. Inside
``writes_batched`` (booking.services.locking.locked's transactions), INSERTs
whose rows nothing reads back in the transaction (``insert_rows(...,
later=True)``: outbox events, queued emails) wait and go with the next
statements_run, or all together when the block ends.
"""

import contextlib
from collections.abc import Callable
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models.query import get_related_populators

# Distinct values no real argument is: ids here are far below.
_MARKER_BASE = 7_340_031_000_000_000_000


def _marker(kind, i: int):
    return _MARKER_BASE + i if kind is int else f"\x00cinema.prepared marker {i}\x00"


class _Compiled:
    """One query's SQL on one database, and what turns its rows into objects."""

    def __init__(self, queryset, alias: str, markers: list, suffix: str = ""):
        compiler = queryset.query.get_compiler(using=alias)
        self.sql, params = compiler.as_sql()
        self.sql += suffix
        if compiler.annotation_col_map or compiler.has_extra_select or queryset._prefetch_related_lookups:
            raise ValueError("a prepared query takes no annotations, extra columns or prefetch_related")
        self.slots = [(markers.index(p) if p in markers else None, p) for p in params]
        if sorted(i for i, _ in self.slots if i is not None) != list(range(len(markers))):
            raise ValueError("each argument must be one parameter of the query")
        klass_info, select = compiler.klass_info, compiler.select
        self.model = klass_info["model"]
        self.start, self.end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        self.init_list = [f[0].target.attname for f in select[self.start : self.end]]
        converters = compiler.get_converters([s[0] for s in select[: compiler.col_count]])
        self.converters = [(pos, convs, expression) for pos, (convs, expression) in converters.items()]
        self.populators = get_related_populators(klass_info, select, alias)


# --------------------------------------------------------------------------
# several statements in one round trip
# --------------------------------------------------------------------------
class Statement(NamedTuple):
    sql: str
    params: list
    answer: Callable[[list[tuple]], Any]  # its rows -> what the caller gets


def no_answer(rows) -> None:
    """The answer of a statement whose rows nobody reads (a lock, a write)."""
    return None


def _several_at_once(connection) -> bool:
    """The connection sends several statements in one query: MariaDB with
    CLIENT.MULTI_STATEMENTS (settings.py turns it on)."""
    if connection.vendor != "mysql":
        return False
    from MySQLdb.constants import CLIENT

    return bool(connection.settings_dict["OPTIONS"].get("client_flag", 0) & CLIENT.MULTI_STATEMENTS)


def _pending(connection) -> list[Statement] | None:
    return getattr(connection, "_cinema_writes_later", None)


@contextlib.contextmanager
def writes_batched():
    """Inside one transaction: ``insert_rows(objs, later=True)`` keeps its
    INSERT here, and it is sent ahead of the next ``statements_run`` (in the
    same round trip) or, at the latest, when the block ends without an error
    (one round trip for all of them). An error drops them: the transaction
    rolls back anyway. Nested blocks leave the sending to the outermost."""
    connection = connections[DEFAULT_DB_ALIAS]
    if _pending(connection) is not None:
        yield
        return
    connection._cinema_writes_later = []
    try:
        yield
        later = connection._cinema_writes_later
        connection._cinema_writes_later = None
        if later:
            statements_run(later)
    finally:
        connection._cinema_writes_later = None


def statement_later(statement: Statement) -> None:
    """Run a write whose rows nothing reads back in the transaction (it
    answers nothing): inside writes_batched, with the transaction's next
    round trip (or at the block's end); elsewhere at once."""
    connection = connections[DEFAULT_DB_ALIAS]
    pending = _pending(connection)
    if pending is not None:
        pending.append(statement)
    else:
        statements_run([statement])


def writes_send() -> None:
    """Send the writes waiting in writes_batched now, in one round trip (a
    caller that catches their IntegrityError: the block's end would raise it
    past the caller)."""
    statements_run([])


def statements_run(statements: list[Statement]) -> list:
    """Run ``statements`` in order on the default database (in its current
    transaction, if any) and return each one's answer: in one round trip
    where the connection allows it (a round trip costs the app ~0.15 ms of CPU
    on the bench machine, whatever the statement), else one by one. As one by
    one: a statement that fails raises its own error (a lock wait, a
    deadlock) and those after it do not run."""
    connection = connections[DEFAULT_DB_ALIAS]
    later = _pending(connection)
    if later:  # the writes waiting in writes_batched go first, in the same round trip
        connection._cinema_writes_later = []
        return statements_run(later + statements)[len(later) :]
    if not statements:
        return []
    with connection.cursor() as cursor:
        if not _several_at_once(connection) or len(statements) < 2:
            answers = []
            for statement in statements:
                cursor.execute(statement.sql, statement.params)
                answers.append(statement.answer(cursor.fetchall()))
            return answers
        cursor.execute(";\n".join(st.sql for st in statements), [p for st in statements for p in st.params])
        answers = [statements[0].answer(cursor.fetchall())]
        for statement in statements[1:]:
            cursor.nextset()
            answers.append(statement.answer(cursor.fetchall()))
        return answers


class Prepared:
    def __init__(self, model, build, *, for_update: bool = False, kinds: tuple = (), suffix=None):
        """``build(*args) -> QuerySet`` of ``model`` instances; ``for_update``:
        it locks (select_for_update), so it runs on the write database.
        ``kinds``: the type of each argument, int (the default) or str; past
        them (``build(a, *ids)``), more int arguments. ``suffix(connection)``:
        SQL the ORM cannot say, added to the end (a shared lock's clause)."""
        self.model = model
        self.build = build
        self.for_update = for_update
        self.kinds = kinds
        self.suffix = suffix
        self._compiled: dict[tuple[str, int], _Compiled] = {}

    def _plan(self, args) -> tuple[str, _Compiled, list]:
        alias = router.db_for_write(self.model) if self.for_update else router.db_for_read(self.model)
        compiled = self._compiled.get((alias, len(args)))
        if compiled is None:
            markers = [_marker(self.kinds[i] if i < len(self.kinds) else int, i) for i in range(len(args))]
            suffix = self.suffix(connections[alias]) if self.suffix else ""
            compiled = self._compiled[(alias, len(args))] = _Compiled(self.build(*markers), alias, markers, suffix)
        return alias, compiled, [args[i] if i is not None else constant for i, constant in compiled.slots]

    def all(self, *args) -> list:
        """The instances the queryset ``build(*args)`` would give, in its order."""
        alias, compiled, params = self._plan(args)
        with connections[alias].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            return _objects(compiled, alias, cursor.fetchall())

    def first(self, *args):
        """The first instance, or None."""
        found = self.all(*args)
        return found[0] if found else None

    def statement(self, *args, first: bool = False):
        """``all(*args)`` (``first``: ``first(*args)``) as a statement of
        statements_run, which runs on the default database: for a query that
        runs there (it locks, or it reads inside a transaction)."""
        alias, compiled, params = self._plan(args)
        if alias != DEFAULT_DB_ALIAS:
            raise ValueError(f"statements run on {DEFAULT_DB_ALIAS!r}, this query on {alias!r}")

        def answer(rows):
            objects = _objects(compiled, alias, rows)
            return (objects[0] if objects else None) if first else objects

        return Statement(compiled.sql, params, answer)


def _objects(compiled: _Compiled, alias: str, rows) -> list:
    """The rows as model instances, as Django's ModelIterable builds them."""
    connection = connections[alias]
    objects = []
    for row in rows:
        if compiled.converters:  # as SQLCompiler.apply_converters, with this thread's connection
            row = list(row)
            for pos, convs, expression in compiled.converters:
                for converter in convs:
                    row[pos] = converter(row[pos], expression, connection)
        obj = compiled.model.from_db(alias, compiled.init_list, row[compiled.start : compiled.end])
        for populator in compiled.populators:
            populator.populate(row, obj)
        objects.append(obj)
    return objects


# --------------------------------------------------------------------------
# INSERTs
# --------------------------------------------------------------------------
def _insert_columns(model) -> list:
    return [f for f in model._meta.concrete_fields if not (f.primary_key and getattr(f, "db_returning", False))]


def _insert_statement(model, objs: list, connection) -> Statement:
    fields = _insert_columns(model)
    quote = connection.ops.quote_name
    row = f"({', '.join(['%s'] * len(fields))})"
    params = []
    for obj in objs:
        params += [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
        f" VALUES {', '.join([row] * len(objs))}"
    )
    return Statement(sql, params, no_answer)


def insert_rows(objs: list, *, later: bool = False) -> None:
    """INSERT these unsaved instances of one model in one statement, as
    ``save(force_insert=True)`` / ``bulk_create`` store them: each field's
    ``pre_save`` (``auto_now`` stamps) and ``get_db_prep_save``, as Django's
    INSERT compiler does, without building that compiler. One row gets its
    auto-increment pk (``lastrowid``); several rows do not (as bulk_create on a
    backend without RETURNING). No signals are sent: for models nothing
    listens to (the hot writes' bookings, lines, payments, outbox rows).
    IntegrityError as the ORM raises it. ``later``: inside writes_batched,
    the INSERT waits to go with the transaction's next round trip (the rows
    get no pk; nothing in the transaction may read them back)."""
    if not objs:
        return
    model = type(objs[0])
    alias = router.db_for_write(model)
    connection = connections[alias]
    statement = _insert_statement(model, objs, connection)
    pending = _pending(connection) if later and alias == DEFAULT_DB_ALIAS else None
    if pending is not None:
        pending.append(statement)
    else:
        with connection.cursor() as cursor:
            cursor.execute(statement.sql, statement.params)
            if len(objs) == 1 and objs[0].pk is None:
                objs[0].pk = cursor.lastrowid
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias


# --------------------------------------------------------------------------
# UPDATEs
# --------------------------------------------------------------------------
def _update_statement(obj, names, connection) -> Statement:
    meta = obj._meta
    fields = [meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    params = [f.get_db_prep_save(f.pre_save(obj, False), connection) for f in fields]
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in fields)}"
        f" WHERE {quote(meta.pk.column)} = %s"
    )
    return Statement(sql, [*params, meta.pk.get_db_prep_value(obj.pk, connection)], no_answer)


def update_row(obj, update_fields: list[str]) -> None:
    """UPDATE these fields of a saved instance, as ``save(update_fields=...)``
    stores them: each field's ``pre_save`` (an ``auto_now`` stamp among them
    is set, on the instance too) and ``get_db_prep_save``, without building
    Django's UPDATE compiler. No signals are sent. For a row the caller holds
    locked, so it exists (``save`` would raise when no row matched; this
    does not look)."""
    connection = connections[router.db_for_write(type(obj))]
    statement = _update_statement(obj, update_fields, connection)
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params)
