import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fast_hashing_and_clean_cache(settings):
    # Argon2 is deliberately slow; tests that check hashing set it back.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    cache.clear()


def pytest_collection_modifyitems(config, items):
    """Race tests need a server with row locks; on SQLite they are left to the MariaDB pass."""
    from django.db import connection

    if connection.vendor == "mysql":
        return
    skip = pytest.mark.skip(reason="needs MariaDB/MySQL row locks; runs in the MariaDB pass of CI")
    for item in items:
        if "mysql_only" in item.keywords:
            item.add_marker(skip)
