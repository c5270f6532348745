"""cinema.cache.RedisCache on a real Redis (127.0.0.1:6379, db 8; TEST_REDIS_URL overrides it)."""

import os
import uuid

from cinema.cache import RedisCache

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/8")


def test_incr_versions_moves_every_key_once_in_one_command_even_on_a_fresh_redis():
    cache = RedisCache(REDIS_URL, {"KEY_PREFIX": f"t-{uuid.uuid4().hex}"})
    client = cache._cache.get_client(write=True)
    client.script_flush()  # as a new or restarted Redis: the script is sent again
    cache.set("seen", 7, timeout=None)
    cache.incr_versions(["seen", "new"], fresh=100, timeout=30)
    assert (cache.get("seen"), cache.get("new")) == (8, 101)  # a missing key starts from fresh
    assert client.ttl(cache.make_key("seen")) == -1  # an existing key keeps its own expiry
    assert 0 < client.ttl(cache.make_key("new")) <= 30
    cache.incr_versions(["new"], fresh=100, timeout=30)
    assert cache.get("new") == 102
    cache.delete_many(["seen", "new"])
