"""accounts/sql.py's user read answers what the ORM answers, field by field,
on whichever backend the suite runs (SQLite here, MariaDB in CI's second pass)."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.sql import user_by_pk_orm, user_by_pk_sql
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _fields(user):
    return {f.attname: getattr(user, f.attname) for f in get_user_model()._meta.concrete_fields}


def test_user_by_pk_agrees_with_the_orm():
    plain = UserFactory()
    staff = UserFactory(is_staff=True, is_active=False, last_login=timezone.now(), name="Ünïcode Staff")
    for user in (plain, staff):
        raw, orm = user_by_pk_sql(user.pk), user_by_pk_orm(user.pk)
        assert type(raw) is type(orm) and raw.pk == orm.pk
        assert _fields(raw) == _fields(orm)
        assert raw._state.adding is False and raw._state.db == orm._state.db
    assert user_by_pk_sql(staff.pk).is_active is False and user_by_pk_sql(staff.pk).is_staff is True
    assert user_by_pk_sql(10**9) is None and user_by_pk_orm(10**9) is None
