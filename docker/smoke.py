"""Smoke flow against a running stack (docker/image-test.sh): health, request ids,
register, log in, hold two seats, book them. Standard library only; exits non-zero
on the first failure. Usage: python3 docker/smoke.py http://127.0.0.1:28080"""

import json
import sys
import time
import urllib.error
import urllib.request
import uuid


def call(base, method, path, body=None, token=None, **headers):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in headers.items():
        request.add_header(name.replace("_", "-"), value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw, status, got = response.read(), response.status, response.headers
    except urllib.error.HTTPError as exc:
        raw, status, got = exc.read(), exc.code, exc.headers
    payload = json.loads(raw) if raw and got.get("Content-Type", "").startswith("application/json") else raw
    return status, payload, got


def check(condition, what, detail=""):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        print(f"     {detail}")
        sys.exit(1)


def main(base):
    status, body, headers = call(base, "GET", "/health")
    check(status == 200 and body.get("database") == "ok", "/health: database ok", body)
    check(body.get("cache") == "ok", "/health: cache (Redis) ok", body)
    check(body.get("broker") == "ok", "/health: broker (RabbitMQ) ok", body)
    status, body, headers = call(base, "GET", "/health/live", X_Request_ID="smoke-request-1")
    check(status == 200 and headers["X-Request-ID"] == "smoke-request-1", "X-Request-ID echoed", dict(headers))
    status, body, headers = call(base, "GET", "/api/v1/nope", X_Request_ID="bad id!")
    generated = headers.get("X-Request-ID", "")
    check(status == 404 and len(generated) == 32, "X-Request-ID generated (on a 404 too)", generated)

    email = f"smoke-{uuid.uuid4().hex[:10]}@example.com"
    password = "smoke-pass-2026-" + uuid.uuid4().hex[:6]
    status, body, _ = call(base, "POST", "/api/v1/register", {"email": email, "password": password, "name": "Smoke"})
    check(status == 201, "register", body)
    status, body, _ = call(base, "POST", "/api/v1/login", {"email": email, "password": password})
    check(status == 200 and body.get("token"), "log in", body)
    token = body["token"]

    status, movies, _ = call(base, "GET", "/api/v1/movies")
    check(status == 200 and movies, "movies listed", movies)
    show = None
    for movie in movies:
        status, shows, _ = call(base, "GET", f"/api/v1/movies/{movie['id']}/shows")
        if status == 200 and shows:
            show = shows[0]
            break
    check(show is not None, "an upcoming show", movies)

    status, hold, _ = call(base, "POST", f"/api/v1/shows/{show['id']}/holds", {"quantity": 2}, token)
    check(status == 201 and len(hold["seats"]) == 2, "hold the best two seats", hold)
    seat_ids = [seat["id"] for seat in hold["seats"]]
    key = uuid.uuid4().hex
    status, booking, _ = call(
        base, "POST", "/api/v1/bookings", {"show_id": show["id"], "seat_ids": seat_ids}, token, Idempotency_Key=key
    )
    check(status == 201, "book them", booking)
    status, again, headers = call(
        base, "POST", "/api/v1/bookings", {"show_id": show["id"], "seat_ids": seat_ids}, token, Idempotency_Key=key
    )
    check(status == 201 and headers.get("Idempotent-Replayed") == "true", "the retry is replayed", again)
    status, seats, _ = call(base, "GET", f"/api/v1/shows/{show['id']}/seats")
    sold = {s["id"] for s in seats if s.get("status") not in ("AVAILABLE",)}
    check(set(seat_ids) <= sold, "the seat map shows them taken", seat_ids)
    print(json.dumps({"show_id": show["id"], "booking": booking.get("id") or booking.get("code")}))


if __name__ == "__main__":
    started = time.monotonic()
    main(sys.argv[1].rstrip("/"))
    print(f"smoke flow passed in {time.monotonic() - started:.1f}s")
