"""Django's Redis cache with one client object per connection pool.

Django's RedisCacheClient builds a new ``redis.Redis`` object for every cache
call (about 50 µs of CPU each); DRF's user throttle makes two calls on every
authenticated API request. A ``redis.Redis`` is thread-safe (each command
borrows a connection from the pool), so one per pool does the same work.
settings.py switches to this backend whenever CACHE_URL names Redis.
``incr_versions`` moves the read cache's versions (cinema/readcache.py) in
one round trip; ``get_many_after`` reads them in the Lua script of a
throttle (cinema/token_bucket.py), in one round trip too.
"""

from django.core.cache.backends import redis
from redis.commands.core import Script
from redis.exceptions import NoScriptError

# incr_versions' command: per key, SET NX with the expiry, then INCR.
_INCR_VERSIONS = Script(
    None,  # no client of its own: each call names the cache's
    b"for _, key in ipairs(KEYS) do redis.call('SET', key, ARGV[1], 'NX', 'EX', ARGV[2]);"
    b" redis.call('INCR', key) end return 0",
)


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient

    def incr_versions(self, keys, *, fresh: int, timeout: int) -> None:
        """Add one to each key in one command (Django's ``incr`` costs two round
        trips per key: EXISTS, then INCRBY; a pipeline of SET NX + INCR per key
        cost redis-py ~0.15 ms of CPU for two keys, the script ~0.08 ms). A
        missing key starts from ``fresh`` (kept ``timeout`` s), so it never
        comes back as a value it had before."""
        made = [self.make_and_validate_key(key) for key in keys]
        # EVALSHA; a new or restarted Redis is sent the script first (redis-py's Script).
        _INCR_VERSIONS(keys=made, args=[fresh, timeout], client=self._cache.get_client(write=True))

    def get_many_after(self, keys, script, script_keys, script_args, *, answers: int):
        """A Lua ``script`` (redis-py's ``Script``) that answers ``answers``
        values of its own followed by the values of the keys after its own,
        given ``keys`` as those: its answers and ``get_many(keys)``, in one
        command. The keys are the caller's own, so they are not validated
        (Django's memcached-safety check reads every character in Python)."""
        made = {self.make_key(key): key for key in keys}
        client = self._cache.get_client(write=True)
        try:
            reply = client.evalsha(script.sha, len(script_keys) + len(made), *script_keys, *made, *script_args)
        except NoScriptError:  # a new or restarted Redis: load the script, once
            reply = script(keys=[*script_keys, *made], args=script_args, client=client)
        loads = self._cache._serializer.loads
        return {made[k]: loads(v) for k, v in zip(made, reply[answers:], strict=True) if v is not None}, reply[:answers]
