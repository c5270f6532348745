"""The browse-and-buy crowd, as its own process (its CPU shows apart from the server's).

    python -m bench.crowd BASE_URL USERS SECONDS SETUP_JSON   # JSON on stdout

SETUP_JSON: {"movies": [ids], "shows": [ids], "tokens": [access tokens]}.
Each of USERS moviegoers has one keep-alive connection and loops until
SECONDS are up: the movie list, a movie's shows, a seat map (anonymously),
with 1-4 s of think time after each; the first len(tokens) users are signed
in, and each of them, after a seat map, sometimes (BUY_CHANCE) holds the best
2 seats and books them. Every request is bounded by TIMEOUT (10 s, as the
issue's first measurement); a 503 counts as shed (with its Retry-After), not
as an error, and the user thinks for Retry-After before going on.
"""

import asyncio
import json
import random
import sys
import time
import uuid

from bench.rush import _Conn, _label, _pct

TIMEOUT = 10.0
BUY_CHANCE = 0.3


async def crowd(base: str, users: int, seconds: float, setup: dict) -> dict:
    host, _, port = base.removeprefix("http://").partition(":")
    port = int(port or 80)
    movies, shows, tokens = setup["movies"], setup["shows"], setup["tokens"]
    lat: dict[str, list[float]] = {}
    statuses: dict[str, int] = {}
    booked: list[int] = []
    shed_ms: list[float] = []
    rng = random.Random(13)
    deadline = time.monotonic() + seconds

    def count(kind: str, label: str) -> None:
        statuses[f"{kind} {label}"] = statuses.get(f"{kind} {label}", 0) + 1

    async def call(state, kind, method, path, headers, body=None):
        t0 = time.monotonic()
        try:
            if state["conn"] is None:
                state["conn"] = _Conn(host, port)
                await asyncio.wait_for(state["conn"].open(), TIMEOUT)
            status, data = await asyncio.wait_for(state["conn"].request(method, path, headers, body), TIMEOUT)
        except TimeoutError:
            count(kind, "timeout")
            _drop(state)
            return None, None
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            count(kind, f"transport {type(exc).__name__}")
            _drop(state)
            return None, None
        ms = (time.monotonic() - t0) * 1000
        label = _label(status, data)
        count(kind, label)
        if label == "503 OVERLOADED":
            shed_ms.append(ms)
        else:
            lat.setdefault(kind, []).append(ms)
        return status, data

    def _drop(state):
        if state["conn"] is not None:
            state["conn"].close()
        state["conn"] = None

    async def think(status):
        await asyncio.sleep(2.0 if status == 503 else rng.uniform(1, 4))  # Retry-After: 2

    async def user(i):
        state = {"conn": None}
        token = tokens[i] if i < len(tokens) else None
        auth = {"Authorization": f"Bearer {token}"} if token else {}
        await asyncio.sleep(rng.uniform(0, 4))  # arrivals spread like think time
        while time.monotonic() < deadline:
            status, _ = await call(state, "movies", "GET", "/api/v1/movies", {})
            await think(status)
            status, _ = await call(state, "movie shows", "GET", f"/api/v1/movies/{rng.choice(movies)}/shows", {})
            await think(status)
            show = rng.choice(shows)
            status, _ = await call(state, "seat map", "GET", f"/api/v1/shows/{show}/seats", {})
            if token and status == 200 and rng.random() < BUY_CHANCE and time.monotonic() < deadline:
                status, data = await call(state, "hold", "POST", f"/api/v1/shows/{show}/holds", auth, {"quantity": 2})
                if status == 201:
                    ids = [s["id"] for s in data["seats"]]
                    key = {"Idempotency-Key": uuid.uuid4().hex}
                    body = {"show_id": show, "seat_ids": ids}
                    status, _ = await call(state, "book", "POST", "/api/v1/bookings", {**auth, **key}, body)
                    if status == 201:
                        booked.extend(ids)
            await think(status)
        _drop(state)

    started = time.monotonic()
    await asyncio.gather(*(user(i) for i in range(users)))
    wall = time.monotonic() - started
    everything = [v for values in lat.values() for v in values]
    labels = {
        k: k.split(" ", 1)[1] if not k.startswith(("movie shows", "seat map")) else k.split(" ", 2)[2] for k in statuses
    }
    other_5xx = sum(v for k, v in statuses.items() if labels[k][:1] == "5" and labels[k] != "503 OVERLOADED")
    return {
        "users": users,
        "signed_in": min(users, len(tokens)),
        "seconds": round(wall, 1),
        "requests": sum(statuses.values()),
        "rps": round(sum(statuses.values()) / wall, 1),
        "p50_ms": _pct(everything, 50),
        "p99_ms": _pct(everything, 99),
        "by_endpoint_p99_ms": {k: _pct(v, 99) for k, v in sorted(lat.items())},
        "timeouts": sum(v for k, v in statuses.items() if "timeout" in k),
        "transport_errors": sum(v for k, v in statuses.items() if "transport" in k),
        "http_5xx_not_shed": other_5xx,
        "shed_503": len(shed_ms),
        "shed_p99_ms": _pct(shed_ms, 99),
        "seats_booked": len(booked),
        "seats_in_two_bookings": len(booked) - len(set(booked)),
        "statuses": dict(sorted(statuses.items())),
    }


def main(argv: list[str]) -> None:
    if len(argv) != 4:
        raise SystemExit(__doc__)
    with open(argv[3]) as fh:
        setup = json.load(fh)
    json.dump(asyncio.run(crowd(argv[0], int(argv[1]), float(argv[2]), setup)), sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
