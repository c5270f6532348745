"""The hold token bucket: the arithmetic, and atomicity across processes on a
real Redis (127.0.0.1:6379, db 8; TEST_REDIS_URL overrides it)."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from cinema.token_bucket import Rate, bucket_take, rate_parse

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/8")
ROOT = Path(__file__).resolve().parents[2]


def test_rate_parse():
    assert rate_parse("30/min,20") == Rate(capacity=20, per_second=0.5)
    assert rate_parse("10/s") == Rate(capacity=10, per_second=10)
    assert rate_parse("") is None
    for bad in ("x", "10/fortnight", "0/min", "5/min,0"):
        with pytest.raises(ValueError):
            rate_parse(bad)


def test_the_local_bucket_spends_refills_and_says_how_long():
    rate = Rate(capacity=2, per_second=0.5)
    key = f"t-{uuid.uuid4()}"
    assert bucket_take(key=key, rate=rate, now=100.0) == 0
    assert bucket_take(key=key, rate=rate, now=100.0) == 0
    assert bucket_take(key=key, rate=rate, now=100.0) == pytest.approx(2.0)
    assert bucket_take(key=key, rate=rate, now=101.0) == pytest.approx(1.0)
    assert bucket_take(key=key, rate=rate, now=102.0) == 0  # one token back after 2 s


WORKER = """
import json, sys, django
django.setup()
from cinema.token_bucket import Rate, bucket_take
key, n = sys.argv[1], int(sys.argv[2])
rate = Rate(capacity=10, per_second=1 / 3600)
sys.stdout.write(json.dumps([bucket_take(key=key, rate=rate) for _ in range(n)]))
"""


def test_redis_bucket_is_one_bucket_across_processes():
    import redis

    redis.Redis.from_url(REDIS_URL).ping()  # fails (not skips) without a Redis
    key = f"t-{uuid.uuid4()}"
    env = {**os.environ, "CACHE_URL": REDIS_URL, "DJANGO_SETTINGS_MODULE": "cinema.settings", "DEBUG": "true"}
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, key, "8"], cwd=ROOT, env=env, stdout=subprocess.PIPE)
        for _ in range(4)
    ]
    import json

    results = [json.loads(p.communicate(timeout=60)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    waits = [w for r in results for w in r]
    # 32 tries against a burst of 10 with (almost) no refill: exactly 10 pass.
    assert sum(1 for w in waits if w == 0) == 10
    assert all(w > 0 for w in waits if w != 0)
