"""The ticket rush, as its own process so its CPU shows apart from the server's.

    python -m bench.rush prep BASE_URL USERS TOKENS_FILE   # register + log in (not timed)
    python -m bench.rush go BASE_URL SHOW_ID TOKENS_FILE [pay]   # the timed rush, JSON on stdout

`go` opens one connection per user, waits until every user is ready, then each
user at once asks for the best 2 seats (POST /shows/{id}/holds {"quantity": 2})
and books what it got (POST /bookings with an Idempotency-Key). With `pay`
(the order+pay variant, PAYMENT_PROVIDER=test) the booking is a
PAYMENT_PENDING order and the user then pays it with the test card
(POST /orders/{id}/confirm-payment); a seat counts as booked once paid. Every
request is bounded by a timeout and every user makes at most three requests,
so the run stops by itself. The timed part speaks HTTP/1.1 over plain asyncio streams
(_Conn), which costs the shared 2 cores far less CPU than aiohttp (about
1.4 ms of client CPU per request, which the server would go without).
"""

import asyncio
import json
import os
import sys
import time
import uuid

import aiohttp

TIMEOUT = aiohttp.ClientTimeout(total=30)
PASSWORD = "Rush-hour-2026!"


async def _json(resp) -> dict | list | None:
    try:
        return await resp.json(content_type=None)
    except (json.JSONDecodeError, aiohttp.ContentTypeError, UnicodeDecodeError):
        return None


def _label(status: int, body) -> str:
    code = body.get("error", {}).get("code") if isinstance(body, dict) and isinstance(body.get("error"), dict) else None
    return f"{status} {code}" if code else str(status)


async def prep(base: str, users: int, tokens_file: str) -> None:
    run = uuid.uuid4().hex[:8]
    sem = asyncio.Semaphore(8)
    problems: dict[str, int] = {}

    async def one(session, i):
        email = f"rush-{run}-{i}@example.com"
        async with sem:
            async with session.post(
                f"{base}/api/v1/register", json={"email": email, "password": PASSWORD, "name": f"Rush {i}"}
            ) as r:
                if r.status != 201:
                    key = "register " + _label(r.status, await _json(r))
                    problems[key] = problems.get(key, 0) + 1
            async with session.post(f"{base}/api/v1/login", json={"email": email, "password": PASSWORD}) as r:
                body = await _json(r)
                if r.status != 200 or not isinstance(body, dict) or "token" not in body:
                    key = "login " + _label(r.status, body)
                    problems[key] = problems.get(key, 0) + 1
                    return None
                return body["token"]

    started = time.monotonic()
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        tokens = await asyncio.gather(*(one(session, i) for i in range(users)))
    tokens = [t for t in tokens if t]
    if os.path.exists(tokens_file):  # users made without the API come after
        with open(tokens_file) as fh:
            tokens += json.load(fh)
    with open(tokens_file, "w") as fh:
        json.dump(tokens, fh)
    json.dump({"users": len(tokens), "problems": problems, "seconds": round(time.monotonic() - started, 2)}, sys.stdout)


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


class _Conn:
    """One keep-alive HTTP/1.1 connection speaking just enough HTTP for the
    rush (Content-Length or chunked bodies). A fraction of aiohttp's CPU per
    request: on a 2-core machine the client's CPU is taken from the server."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, method: str, path: str, headers: dict, body=None) -> tuple[int, dict | list | None]:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        data = b""
        if body is not None:
            data = json.dumps(body).encode()
            lines += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, chunked = 0, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            payload = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                payload += await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                payload = payload[:-2]
        else:
            payload = await self.reader.readexactly(length)
        try:
            return status, json.loads(payload) if payload else None
        except (ValueError, UnicodeDecodeError):
            return status, None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def go(base: str, show_id: int, tokens_file: str, pay: bool = False) -> None:
    with open(tokens_file) as fh:
        tokens = json.load(fh)
    gate = asyncio.Event()
    ready = 0
    hold_ms: list[float] = []
    hold_ok_ms: list[float] = []  # 201: seats held
    hold_other_ms: list[float] = []  # mostly 409: sold out
    book_ms: list[float] = []
    pay_ms: list[float] = []
    statuses: dict[str, int] = {}
    booked: list[list[int]] = []
    finished: list[float] = []

    def count(kind: str, label: str) -> None:
        statuses[f"{kind} {label}"] = statuses.get(f"{kind} {label}", 0) + 1

    async def user(conn, token):
        nonlocal ready
        headers = {"Authorization": f"Bearer {token}"}
        ready += 1
        await gate.wait()
        t0 = time.monotonic()
        try:
            status, body = await asyncio.wait_for(
                conn.request("POST", f"/api/v1/shows/{show_id}/holds", headers, {"quantity": 2}), TIMEOUT.total
            )
            hold_ms.append((time.monotonic() - t0) * 1000)
            count("hold", _label(status, body))
            (hold_ok_ms if status == 201 else hold_other_ms).append(hold_ms[-1])
            if status != 201:
                return
            seat_ids = [s["id"] for s in body["seats"]]
            t1 = time.monotonic()
            status, body = await asyncio.wait_for(
                conn.request(
                    "POST",
                    "/api/v1/bookings",
                    {**headers, "Idempotency-Key": uuid.uuid4().hex},
                    {"show_id": show_id, "seat_ids": seat_ids},
                ),
                TIMEOUT.total,
            )
            book_ms.append((time.monotonic() - t1) * 1000)
            count("book", _label(status, body))
            if status == 201 and pay:
                t2 = time.monotonic()
                status, body = await asyncio.wait_for(
                    conn.request(
                        "POST",
                        f"/api/v1/orders/{body['id']}/confirm-payment",
                        headers,
                        {"card_number": "4242 4242 4242 4242"},
                    ),
                    TIMEOUT.total,
                )
                pay_ms.append((time.monotonic() - t2) * 1000)
                count("pay", _label(status, body))
                status = 201 if status == 200 and body.get("status") == "CONFIRMED" else status
            if status == 201:
                booked.append(seat_ids)
                finished.append(time.monotonic())
        except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            count("transport", type(exc).__name__)

    host, _, port = base.removeprefix("http://").partition(":")
    conns = [_Conn(host, int(port or 80)) for _ in tokens]
    # Open every user's connection first, so the timed part is only the rush.
    await asyncio.gather(*(c.open() for c in conns))
    await asyncio.gather(*(c.request("GET", "/health", {}) for c in conns))
    tasks = [asyncio.create_task(user(c, t)) for c, t in zip(conns, tokens, strict=True)]
    while ready < len(tokens):
        await asyncio.sleep(0.01)
    start = time.monotonic()
    gate.set()
    await asyncio.gather(*tasks)
    end = time.monotonic()
    for c in conns:
        c.close()

    span = (max(finished) - start) if finished else (end - start)
    all_seats = [s for seats in booked for s in seats]
    json.dump(
        {
            "users": len(tokens),
            "bookings": len(booked),
            "seats_booked": len(all_seats),
            "seats_in_two_bookings": len(all_seats) - len(set(all_seats)),
            "seconds": round(end - start, 3),
            "bookings_per_s": round(len(booked) / span, 1) if span > 0 else None,
            "hold_p50_ms": _pct(hold_ms, 50),
            "hold_p99_ms": _pct(hold_ms, 99),
            "hold_201_p50_p99_ms": [_pct(hold_ok_ms, 50), _pct(hold_ok_ms, 99)],
            "hold_other_p50_p99_ms": [_pct(hold_other_ms, 50), _pct(hold_other_ms, 99)],
            "book_p50_ms": _pct(book_ms, 50),
            "book_p99_ms": _pct(book_ms, 99),
            "pay_p50_ms": _pct(pay_ms, 50) if pay else None,
            "pay_p99_ms": _pct(pay_ms, 99) if pay else None,
            "order_to_paid_p99_ms": _pct([b + p for b, p in zip(book_ms, pay_ms, strict=False)], 99) if pay else None,
            "statuses": dict(sorted(statuses.items())),
            "booked_seat_ids": sorted(all_seats),
        },
        sys.stdout,
    )


def main(argv: list[str]) -> None:
    if argv[:1] == ["prep"]:
        asyncio.run(prep(argv[1], int(argv[2]), argv[3]))
    elif argv[:1] == ["go"]:
        asyncio.run(go(argv[1], int(argv[2]), argv[3], pay=argv[4:5] == ["pay"]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
