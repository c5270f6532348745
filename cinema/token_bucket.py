"""A token bucket per key, in the shared cache: ``bucket_take`` spends one token
or says how long until one is back.

With Redis (CACHE_URL) the read-refill-spend is one Lua script, so it is atomic
across every worker and node. Other caches (locmem in tests, the file or
database cache of ``make run``) get the same arithmetic under a process lock:
exact within one process, approximate across processes sharing a file cache.
"""

import math
import threading
import time
from dataclasses import dataclass

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches

# KEYS[1] bucket; ARGV: capacity, refill per second, now (s), ttl (s).
# Stores "tokens timestamp"; answers {allowed, milliseconds until a token},
# followed by the values of any further KEYS (a read in the same round trip).
_LUA = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('GET', KEYS[1])
local tokens, stamp = capacity, now
if state then
  local sep = string.find(state, ' ')
  tokens = tonumber(string.sub(state, 1, sep - 1))
  stamp = tonumber(string.sub(state, sep + 1))
end
tokens = math.min(capacity, tokens + math.max(0, now - stamp) * rate)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) / rate * 1000)
end
redis.call('SET', KEYS[1], string.format('%.6f %.6f', tokens, now), 'EX', tonumber(ARGV[4]))
local out = {allowed, wait}
if #KEYS > 1 then
  local values = redis.call('MGET', unpack(KEYS, 2))
  for i = 1, #KEYS - 1 do out[i + 2] = values[i] end
end
return out
"""

_local_lock = threading.Lock()


@dataclass(frozen=True)
class Rate:
    capacity: int  # the burst
    per_second: float  # refill


def rate_parse(text: str) -> Rate | None:
    """``"20/min"``: a burst of 20 refilled at 20 a minute; ``"20/min,5"``: a
    burst of 5 refilled at 20 a minute. Empty: no limit."""
    text = (text or "").strip()
    if not text:
        return None
    rate_text, _, burst = text.partition(",")
    count, _, period = rate_text.partition("/")
    seconds = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}
    unit = period.strip().lower()
    if unit not in seconds or int(count) < 1:
        raise ValueError(f"Not a rate: {text!r} (e.g. 20/min or 20/min,5)")
    capacity = int(burst) if burst.strip() else int(count)
    if capacity < 1:
        raise ValueError(f"Not a burst: {text!r}")
    return Rate(capacity=capacity, per_second=int(count) / seconds[unit])


def _redis_client():
    client = getattr(cache, "_cache", None)
    if client is not None and hasattr(client, "get_client"):
        return client.get_client(write=True)
    return None


def _script(client):
    script = getattr(client, "_cinema_bucket", None)
    if script is None:
        script = client.register_script(_LUA)
        client._cinema_bucket = script
    return script


def _ttl(rate: Rate) -> int:
    """How long an idle bucket is kept: until it would be full again, and a second."""
    return max(1, math.ceil(rate.capacity / rate.per_second) + 1)


def _script_call(backend, key: str, rate: Rate, now: float) -> tuple[list[str], list]:
    """The Lua script's KEYS and ARGV for ``key``'s bucket in ``backend``."""
    return [backend.make_key(f"bucket:{key}")], [rate.capacity, rate.per_second, f"{now:.6f}", _ttl(rate)]


def _script_wait(result) -> float:
    allowed, wait_ms = result
    return 0.0 if int(allowed) else int(wait_ms) / 1000


def bucket_take(*, key: str, rate: Rate, now: float | None = None) -> float:
    """Spend one token from ``key``'s bucket. Returns 0 when it was there, else
    the seconds until the next token (nothing spent). One Redis round trip."""
    now = time.time() if now is None else now
    client = _redis_client()
    if client is not None:
        keys, args = _script_call(cache, key, rate, now)
        return _script_wait(_script(client)(keys=keys, args=args))
    ttl = _ttl(rate)
    raw_key = f"bucket:{key}"
    with _local_lock:
        tokens, stamp = cache.get(raw_key, (rate.capacity, now))
        tokens = min(rate.capacity, tokens + max(0.0, now - stamp) * rate.per_second)
        if tokens >= 1:
            cache.set(raw_key, (tokens - 1, now), ttl)
            return 0.0
        cache.set(raw_key, (tokens, now), ttl)
        return (1 - tokens) / rate.per_second


def get_many_and_take(keys: list[str], *, key: str, rate: Rate) -> tuple[dict, float]:
    """``cache.get_many(keys)`` and ``bucket_take(key=key, rate=rate)``: one
    Redis command (cinema.cache.RedisCache.get_many_after), two calls elsewhere."""
    backend = caches[DEFAULT_CACHE_ALIAS]  # looked up once: each use of the proxy looks it up again
    get_many_after = getattr(backend, "get_many_after", None)
    if get_many_after is None:
        return backend.get_many(keys), bucket_take(key=key, rate=rate)
    script_keys, args = _script_call(backend, key, rate, time.time())
    script = _script(backend._cache.get_client(write=True))
    values, result = get_many_after(keys, script, script_keys, args, answers=2)
    return values, _script_wait(result)
