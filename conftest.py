"""Fixtures shared by every app's tests. Factories are in tests/factories.py,
API helpers (client_for, seat_ids, seat_map) in tests/api.py."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fast_hashing_and_clean_cache(settings):
    # Argon2 is deliberately slow; tests that check hashing set it back.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The no-lone-seat rule (on by default) is tested where it is the subject
    # (booking/tests/test_lone_seat.py, the browser tests); elsewhere tests pick
    # seats freely, as they did before the rule.
    settings.LONE_SEAT_RULE = False
    cache.clear()
    # Shows lately found short of seats, per process: a test's show pk may be
    # an earlier test's (SQLite reuses them after a rollback).
    from booking.services import holds_best

    holds_best._SHORT.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def payments_off(settings):
    """Seed 000's one-step booking for the suites written before orders:
    PAYMENT_PROVIDER=none, no booking fee. payments/ turns this off (its
    conftest.py), and order tests ask for ``payments_on``."""
    settings.PAYMENT_PROVIDER = "none"
    settings.BOOKING_FEE_PER_SEAT = "0.00"


@pytest.fixture
def payments_on(settings):
    """The product's defaults: the `test` provider, a 30.00 fee per seat, 18 % tax on it."""
    settings.PAYMENT_PROVIDER = "test"
    settings.BOOKING_FEE_PER_SEAT = "30.00"
    settings.TAX_RATE = "0.18"
    settings.CANCELLATION_POLICY = "24h:100,2h:50"
    settings.PAYMENT_WINDOW_SECONDS = 600


def pytest_collection_modifyitems(config, items):
    """Race tests need a server with row locks; on SQLite they are left to the MariaDB pass."""
    from django.db import connection

    if connection.vendor == "mysql":
        return
    skip = pytest.mark.skip(reason="needs MariaDB/MySQL row locks; runs in the MariaDB pass of CI")
    for item in items:
        if "mysql_only" in item.keywords:
            item.add_marker(skip)


# --------------------------------------------------------------------------
# people and a show (the API tests of every app use them)
# --------------------------------------------------------------------------
@pytest.fixture
def api():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def user(db):
    from tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def other(db):
    from tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def staff(db):
    from tests.factories import StaffFactory

    return StaffFactory()


@pytest.fixture
def show(db):
    from tests.factories import ShowFactory

    return ShowFactory()


@pytest.fixture
def box_office():
    """The group made by the data migrations (booking's, then tickets' check-in
    grant). Transactional tests flush every table, data-migration rows
    included, so recreate it, with every migration's share, if one ran before."""
    import importlib

    from django.contrib.auth.models import Group, Permission

    migration = importlib.import_module("booking.migrations.0002_box_office_group")
    if not Group.objects.filter(name=migration.GROUP).exists():
        from django.apps import apps

        migration.create_group(apps, None)
        checkin = importlib.import_module("tickets.migrations.0002_box_office_checkin")
        Group.objects.get(name=migration.GROUP).permissions.add(
            *Permission.objects.filter(content_type__app_label="tickets", codename__in=checkin.PERMISSIONS)
        )
    return Group.objects.get(name=migration.GROUP)
