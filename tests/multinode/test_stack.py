"""Two app nodes behind nginx, a MariaDB primary and a real replica (conftest.py).

Every buyer-facing answer is checked against the primary: the replica and the
edge cache may make an anonymous map a little old, never make a buyer act on
a wrong one.
"""

import http.client
import re
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from tests.multinode.conftest import EDGE_PORT, NODE_PORTS, PIN_SECONDS, call

A, B = NODE_PORTS


def _seat(answer, seat_id):
    return next(s for s in answer.json() if s["id"] == seat_id)


def _sold(stack, show_id):
    return stack.primary.query("SELECT COUNT(*) FROM booking_showseat WHERE show_id=%s AND status='SOLD'", [show_id])[
        0
    ][0]


def test_one_seat_two_hundred_buyers_across_both_nodes_one_winner(stack):
    data = stack.seed(200, "S")
    show, seat = data["show_id"], data["seat_ids"][0]
    start = threading.Barrier(len(data["users"]))

    def buy(user):
        start.wait()
        hold = call(EDGE_PORT, "POST", f"/api/v1/shows/{show}/holds", body={"seat_ids": [seat]}, token=user["token"])
        if hold.status != 201:
            return hold.status, None
        booking = call(
            EDGE_PORT, "POST", "/api/v1/bookings", body={"show_id": show, "seat_ids": [seat]}, token=user["token"]
        )
        return hold.status, booking.status

    with ThreadPoolExecutor(len(data["users"])) as pool:
        results = list(pool.map(buy, data["users"]))

    holds = sorted(r[0] for r in results)
    assert holds.count(201) == 1, holds
    assert set(holds) == {201, 409}, holds
    assert [r[1] for r in results if r[0] == 201] == [201]
    assert _sold(stack, show) == 1
    assert (
        stack.primary.query(
            "SELECT COUNT(*) FROM booking_bookingseat bs JOIN booking_showseat ss ON ss.id=bs.show_seat_id WHERE ss.show_id=%s",
            [show],
        )[0][0]
        == 1
    )
    # nginx spread the buyers over both nodes.
    upstreams = set(re.findall(rf"/api/v1/shows/{show}/holds .*? upstream=127\.0\.0\.1:(\d+)", stack.access_log()))
    assert upstreams == {str(A), str(B)}


def test_catalogue_and_anonymous_maps_read_the_replica_writers_read_the_primary(stack):
    data = stack.seed(1, "SS")
    show, user = data["show_id"], data["users"][0]
    stack.replica_caught_up()

    catalogue = call(A, "GET", f"/api/v1/shows/{show}")
    assert catalogue.status == 200 and catalogue.headers.get("x-read-from") == "replica"
    anonymous = call(B, "GET", f"/api/v1/shows/{show}/seats")
    assert anonymous.status == 200 and anonymous.headers.get("x-read-from") == "replica"
    assert anonymous.headers["cache-control"] == "public, max-age=1"
    # A client that has seen a version reads the primary: its ETags never go back.
    polled = call(B, "GET", f"/api/v1/shows/{show}/seats", headers={"If-None-Match": anonymous.headers["etag"]})
    assert polled.status == 304 and "x-read-from" not in polled.headers
    # A signed-in viewer's map (their own holds) always comes from the primary.
    mine = call(A, "GET", f"/api/v1/shows/{show}/seats", token=user["token"])
    assert "x-read-from" not in mine.headers and mine.headers["cache-control"].startswith("private")

    # Whoever just wrote reads the primary on every node: by cookie, and by
    # user id for a bearer client that keeps no cookies.
    hold = call(A, "POST", f"/api/v1/shows/{show}/holds", body={"quantity": 1}, token=user["token"])
    assert hold.status == 201
    cookie = hold.headers["set-cookie"].split(";", 1)[0]
    assert cookie.startswith("replica_pin=")
    assert "x-read-from" not in call(B, "GET", f"/api/v1/shows/{show}", token=user["token"]).headers
    assert "x-read-from" not in call(B, "GET", f"/api/v1/shows/{show}", headers={"Cookie": cookie}).headers
    time.sleep(PIN_SECONDS + 0.5)
    assert call(B, "GET", f"/api/v1/shows/{show}", token=user["token"]).headers.get("x-read-from") == "replica"


def test_a_paused_replica_is_skipped_and_a_buyer_never_sees_their_seat_free(stack):
    data = stack.seed(2, "SSSS")
    show, seats = data["show_id"], data["seat_ids"]
    buyer, rival = data["users"]
    stack.replica_caught_up()
    stack.replication(running=False)
    try:
        hold = call(
            EDGE_PORT, "POST", f"/api/v1/shows/{show}/holds", body={"seat_ids": seats[:1]}, token=buyer["token"]
        )
        assert hold.status == 201
        # The replica has not applied the hold; nobody is shown the seat free.
        for port in NODE_PORTS:
            mine = _seat(call(port, "GET", f"/api/v1/shows/{show}/seats", token=buyer["token"]), seats[0])
            assert mine["status"] == "LOCKED" and mine["mine"] is True
        time.sleep(1.2)  # past the per-process health cache: the stopped SQL thread is seen
        for port in NODE_PORTS:
            anon = call(port, "GET", f"/api/v1/shows/{show}/seats?probe={uuid.uuid4().hex}")
            assert "x-read-from" not in anon.headers
            assert _seat(anon, seats[0])["status"] == "LOCKED"
        # The rival cannot take it whatever they read; the buyer books it on the primary.
        assert (
            call(
                EDGE_PORT, "POST", f"/api/v1/shows/{show}/holds", body={"seat_ids": seats[:1]}, token=rival["token"]
            ).status
            == 409
        )
        booked = call(
            EDGE_PORT, "POST", "/api/v1/bookings", body={"show_id": show, "seat_ids": seats[:1]}, token=buyer["token"]
        )
        assert booked.status == 201
        assert _sold(stack, show) == 1
        assert stack.replica.query("SELECT status FROM booking_showseat WHERE id=%s", [seats[0]])[0][0] == "AVAILABLE"
    finally:
        stack.replication(running=True)
    stack.replica_caught_up()
    time.sleep(1.2)
    again = call(A, "GET", f"/api/v1/shows/{show}/seats?probe={uuid.uuid4().hex}")
    assert again.headers.get("x-read-from") == "replica" and _seat(again, seats[0])["status"] == "SOLD"


def test_replica_stopped_mid_run_changes_nothing_a_buyer_sees(stack):
    data = stack.seed(20, "SSSSSSSSSS/SSSSSSSSSS/SSSSSSSSSS")
    show, seats = data["show_id"], data["seat_ids"]
    stack.replica_caught_up()
    errors, stop = [], threading.Event()

    def browse():
        while not stop.is_set():
            for path in (
                f"/api/v1/shows/{show}",
                f"/api/v1/shows/{show}/seats?probe={uuid.uuid4().hex}",
                "/api/v1/movies",
            ):
                for port in NODE_PORTS:
                    answer = call(port, "GET", path)
                    if answer.status != 200:
                        errors.append((path, answer.status, answer.body[:200]))

    def buy(i, user):
        mine = seats[i]
        hold = call(EDGE_PORT, "POST", f"/api/v1/shows/{show}/holds", body={"seat_ids": [mine]}, token=user["token"])
        seen = _seat(call(EDGE_PORT, "GET", f"/api/v1/shows/{show}/seats", token=user["token"]), mine)
        booked = call(
            EDGE_PORT, "POST", "/api/v1/bookings", body={"show_id": show, "seat_ids": [mine]}, token=user["token"]
        )
        return hold.status, seen["status"], seen["mine"], booked.status

    browsers = [threading.Thread(target=browse) for _ in range(4)]
    for t in browsers:
        t.start()
    try:
        with ThreadPoolExecutor(10) as pool:
            first = list(pool.map(buy, range(10), data["users"][:10]))
            time.sleep(0.5)
            stack.replica.stop()  # SIGTERM: gone in the middle of browsing and buying
            second = list(pool.map(buy, range(10, 20), data["users"][10:]))
            time.sleep(1.5)
    finally:
        stop.set()
        for t in browsers:
            t.join()
        stack.start_replica()
    assert errors == []
    assert first + second == [(201, "LOCKED", True, 201)] * 20
    assert _sold(stack, show) == 20
    stack.replica_caught_up(30)


def test_idempotency_key_replays_across_nodes(stack):
    data = stack.seed(1, "SS")
    show, seats, user = data["show_id"], data["seat_ids"], data["users"][0]
    assert call(A, "POST", f"/api/v1/shows/{show}/holds", body={"seat_ids": seats}, token=user["token"]).status == 201
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = {"show_id": show, "seat_ids": seats}
    start = threading.Barrier(2)

    def book(port):
        start.wait()
        return call(port, "POST", "/api/v1/bookings", body=body, token=user["token"], headers=key)

    with ThreadPoolExecutor(2) as pool:
        first = list(pool.map(book, NODE_PORTS))
    assert sorted(a.status for a in first) in ([201, 201], [201, 409])
    replay = call(B, "POST", "/api/v1/bookings", body=body, token=user["token"], headers=key)
    assert replay.status == 201 and replay.headers.get("idempotent-replayed") == "true"
    ids = {a.json()["id"] for a in [*first, replay] if a.status == 201}
    assert len(ids) == 1
    assert stack.primary.query("SELECT COUNT(*) FROM booking_booking WHERE show_id=%s", [show])[0][0] == 1
    other = call(
        A, "POST", "/api/v1/bookings", body={"show_id": show, "seat_ids": seats[:1]}, token=user["token"], headers=key
    )
    assert other.status == 422


def test_throttles_and_login_lockouts_hold_across_nodes(stack):
    data = stack.seed(1, "S")
    victim = data["users"][0]
    # AXES_FAILURE_LIMIT=5: failures on either node, or through nginx whatever
    # X-Forwarded-For the client makes up, add up to one lockout.
    wrong = {"email": victim["email"], "password": "not-the-password"}
    statuses = []
    for i in range(5):
        port = (A, B, EDGE_PORT)[i % 3]
        headers = {"X-Forwarded-For": f"10.0.0.{i}"} if port == EDGE_PORT else {}
        statuses.append(call(port, "POST", "/api/v1/login", body=wrong, headers=headers).status)
    assert statuses == [401] * 4 + [429]  # the fifth failure locks
    right = {"email": victim["email"], "password": "multinode-pass-2026"}
    for port in (A, B):
        locked = call(port, "POST", "/api/v1/login", body=right)
        assert locked.status == 429 and locked.json()["error"]["code"] == "THROTTLED"
    spoofed = call(EDGE_PORT, "POST", "/api/v1/login", body=right, headers={"X-Forwarded-For": "203.0.113.9"})
    assert spoofed.status == 429

    # THROTTLE_LOGIN=10/min per client address, counted in Redis: both nodes
    # share one budget. (Sent to the nodes with the header nginx would add.)
    client = {"X-Forwarded-For": "198.51.100.7"}
    statuses = [
        call(
            NODE_PORTS[i % 2],
            "POST",
            "/api/v1/login",
            body={"email": f"nobody{i}@example.com", "password": "x"},
            headers=client,
        ).status
        for i in range(11)
    ]
    assert statuses == [401] * 10 + [429]


def _raw(port: int, data: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(data)
    return sock


def _read_response(sock) -> tuple[int, dict, bytes]:
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            break
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", 0))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return int(lines[0].split()[1]), headers, rest


def test_oversized_body_is_refused_at_the_edge_and_the_next_request_works(stack):
    data = stack.seed(1, "S")
    token = data["users"][0]["token"]
    big = b'{"show_id": 1, "seat_ids": [' + b"1," * (600 * 1024) + b"1]}"
    request = (
        f"POST /api/v1/bookings HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(big)}\r\nConnection: keep-alive\r\n\r\n"
    ).encode()
    sock = _raw(EDGE_PORT, request + big)
    status, headers, body = _read_response(sock)
    assert status == 413 and headers.get("connection") == "close"
    assert b"PAYLOAD_TOO_LARGE" in body
    # The edge closed the connection cleanly (no reset, no answer to a half body).
    sock.settimeout(5)
    assert sock.recv(65536) == b""
    sock.close()
    # The client's next request, on a new connection, is answered.
    assert call(EDGE_PORT, "GET", "/api/v1/movies").status == 200
    # And a keep-alive connection that carries a small request after a normal one still works.
    sock = _raw(
        EDGE_PORT, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    )
    assert _read_response(sock)[0] == 200
    assert _read_response(sock)[0] == 200
    sock.close()


def test_edge_caches_anonymous_maps_only_and_serves_static_files(stack):
    data = stack.seed(1, "SS")
    show, user = data["show_id"], data["users"][0]
    path = f"/api/v1/shows/{show}/seats"
    first = call(EDGE_PORT, "GET", path)
    second = call(EDGE_PORT, "GET", path)
    assert first.status == second.status == 200
    assert second.headers["x-cache-status"] == "HIT" and second.headers["etag"] == first.headers["etag"]
    for headers in ({"Authorization": f"Bearer {user['token']}"}, {"Cookie": "sessionid=x"}):
        answer = call(EDGE_PORT, "GET", path, headers=headers)
        assert answer.headers["x-cache-status"] == "BYPASS"
    # The cached copy moves forward within about a second of a change.
    assert (
        call(EDGE_PORT, "POST", f"/api/v1/shows/{show}/holds", body={"quantity": 1}, token=user["token"]).status == 201
    )
    time.sleep(2.2)
    fresh = call(EDGE_PORT, "GET", path)
    assert fresh.headers["etag"] != first.headers["etag"]
    assert sorted(s["status"] for s in fresh.json()) == ["AVAILABLE", "LOCKED"]

    # nginx serves collectstatic's output itself (whitenoise would say max-age=60).
    css = call(EDGE_PORT, "GET", "/static/css/site.css")
    assert css.status == 200 and css.headers["cache-control"] == "max-age=604800"


def test_nginx_sets_x_forwarded_proto_and_the_nodes_trust_it(stack):
    """BEHIND_TLS_PROXY=true on the nodes: X-Forwarded-Proto decides
    request.is_secure(), which Django's CSRF origin check shows from outside.
    nginx replaces whatever the client sent with the scheme it was reached by."""
    secret = "a" * 32
    body = f"csrfmiddlewaretoken={secret}&username=nobody%40example.com&password=x".encode()

    def post(port, proto):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request(
            "POST",
            "/accounts/login/",
            body=body,
            headers={
                "Host": f"127.0.0.1:{port}",
                "Origin": f"http://127.0.0.1:{port}",
                "Cookie": f"csrftoken={secret}",
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Forwarded-Proto": proto,
            },
        )
        status = conn.getresponse().status
        conn.close()
        return status

    assert post(A, "https") == 403  # the node believes the header: https, so an http Origin is refused
    assert post(A, "http") == 200
    assert post(EDGE_PORT, "https") == 200  # nginx says http: the client's claim is dropped


def test_a_lagging_replica_may_show_an_older_map_but_never_after_a_newer_one(stack):
    """Replication delayed by 1 s (within REPLICA_MAX_LAG_SECONDS=2): a fresh
    anonymous read may be a second old; a poller that has seen a version is
    answered by the primary, so its versions never go back; nobody books from
    the stale read."""
    data = stack.seed(2, "SS")
    show, seats = data["show_id"], data["seat_ids"]
    buyer, rival = data["users"]
    path = f"/api/v1/shows/{show}/seats"
    stack.replica_caught_up()
    stack.replica.query("STOP SLAVE")
    stack.replica.query("CHANGE MASTER TO MASTER_DELAY=1")
    stack.replica.query("START SLAVE")
    try:
        time.sleep(1.2)
        before = call(A, "GET", f"{path}?probe={uuid.uuid4().hex}")
        assert before.headers.get("x-read-from") == "replica"
        assert (
            call(A, "POST", f"/api/v1/shows/{show}/holds", body={"seat_ids": seats[:1]}, token=buyer["token"]).status
            == 201
        )
        stale = call(B, "GET", f"{path}?probe={uuid.uuid4().hex}")
        assert stale.headers.get("x-read-from") == "replica" and _seat(stale, seats[0])["status"] == "AVAILABLE"
        # The poller sends what it saw; the primary answers, newer, and then 304s.
        polled = call(B, "GET", path, headers={"If-None-Match": before.headers["etag"]})
        assert polled.status == 200 and "x-read-from" not in polled.headers
        assert _seat(polled, seats[0])["status"] == "LOCKED"
        for port in NODE_PORTS:
            again = call(port, "GET", path, headers={"If-None-Match": polled.headers["etag"]})
            assert again.status == 304 and again.headers["etag"] == polled.headers["etag"]
        # The buyer sees their own hold; the rival who read the stale map cannot take it.
        assert _seat(call(B, "GET", path, token=buyer["token"]), seats[0])["mine"] is True
        assert (
            call(B, "POST", f"/api/v1/shows/{show}/holds", body={"seat_ids": seats[:1]}, token=rival["token"]).status
            == 409
        )
    finally:
        stack.replica.query("STOP SLAVE")
        stack.replica.query("CHANGE MASTER TO MASTER_DELAY=0")
        stack.replica.query("START SLAVE")
    stack.replica_caught_up()
