"""The database router for read replicas (settings: DATABASE_REPLICA_URLS).

Reads go to a replica only inside ``cinema.replicas.use_replica()`` (which the
ReplicaMiddleware opens for catalogue reads and anonymous seat maps), only for
the models in ``REPLICA_MODELS``, and never inside a transaction on the
primary: a service's ``transaction.atomic`` block reads what it locks. Writes
and migrations always go to the primary (``default``); the replicas get their
schema and rows by replication.
"""

from django.db import connections

from cinema import replicas


def _replica_model(model) -> bool:
    meta = model._meta
    return meta.app_label in replicas.REPLICA_MODELS or meta.label_lower in replicas.REPLICA_MODELS


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        alias = replicas.current_replica()
        if alias is None or not _replica_model(model) or connections["default"].in_atomic_block:
            return "default"
        return alias

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # A replica holds the primary's rows, so objects from either may be related.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
