"""`make bench`: how the app holds up in a ticket rush on this machine.

Builds a fresh MariaDB database, serves the app and the floor (bench/floor/)
under gunicorn.conf.py with production settings on loopback, drives them from
separate processes (wrk for reads, bench/rush.py for the rush), checks the
database afterwards, and prints one table with PASS/FAIL per budget. Results
also go to bench/results/ (git-ignored). See docs/performance.md.

Knobs (environment): BENCH_DB (cinema_bench), BENCH_DB_HOST/PORT
(127.0.0.1:3306, user root, empty password), BENCH_APP_PORT (8100),
BENCH_FLOOR_PORT (8101), BENCH_DURATION (15 s per wrk scenario), BENCH_USERS
(200), BENCH_CACHE_URL (redis://127.0.0.1:6379/1, or the file cache when Redis
is not answering), BENCH_PROFILE=1 (always capture profiles), plus everything
gunicorn.conf.py reads (WEB_CONCURRENCY, GUNICORN_WORKER_CLASS, GUNICORN_THREADS).
Exit status 1 when a budget is missed.
"""

import json
import platform
import runpy
import secrets
import shutil
import subprocess
import sys
import time

import psutil

from bench import report
from bench.harness import (
    ALWAYS_PROFILE,
    API_USERS,
    APP_PORT,
    BIN,
    CACHE_URL,
    CROWD_BUYERS,
    CROWD_SECONDS,
    CROWD_USERS,
    DB,
    DB_HOST,
    DB_PORT,
    DURATION,
    FLOOR_PORT,
    OVERLOAD_USERS,
    RESULTS,
    ROOT,
    USERS,
    VIEWERS,
    Meter,
    Relay,
    RssSampler,
    Server,
    app_env,
    cpu_by_view,
    cpu_ms_per_request,
    find_process,
    http_json,
    log,
    run,
    scenario,
    wrk,
)
from bench.pyspy import profile


def _outbox(py: str, env: dict) -> dict:
    return json.loads(run([py, "-m", "bench.dbtool", "outbox"], env, capture_output=True).stdout)


def _outbox_drained(py: str, env: dict, *, step: float) -> dict:
    """The outbox once nothing waits in it (at most 120 s), with the seconds it took."""
    t0, backlog = time.monotonic(), _outbox(py, env)
    while backlog["unpublished"] and time.monotonic() - t0 < 120:
        time.sleep(step)
        backlog = _outbox(py, env)
    return backlog | {"drain_s": round(time.monotonic() - t0, 1)}


def _rush(py: str, env: dict, app: Server, base: str, show_id: int, tokens_file, relay: Relay | None) -> dict:
    """One timed order+pay rush on a fresh show, checked against the database."""
    relay_cpu = relay.cpu_seconds() if relay else 0.0
    views_before = cpu_by_view(app.port)
    with Meter(app) as meter:
        rush = json.loads(
            run(
                [py, "-m", "bench.rush", "go", base, str(show_id), str(tokens_file), "pay"], env, capture_output=True
            ).stdout
        )
    rush["cpu"] = meter.cpu
    rush["relay"] = relay is not None
    if relay is not None:
        rush["relay_cpu_pct"] = round(100 * (relay.cpu_seconds() - relay_cpu) / meter.wall)
    answered = sum(rush["statuses"].values())
    rush["app_cpu_ms_per_request"] = round(10 * meter.cpu["app"] * meter.wall / max(1, answered), 2)
    rush["cpu_by_view"] = cpu_ms_per_request(views_before, cpu_by_view(app.port))
    check = json.loads(run([py, "-m", "bench.dbtool", "check", str(show_id)], env, capture_output=True).stdout)
    client_seats = rush.pop("booked_seat_ids")
    db_seats = sorted(s for ids in check.pop("booking_seat_ids").values() for s in ids)
    rush["db"] = check
    rush["db_matches_client"] = db_seats == client_seats and check["bookings"] == rush["bookings"]
    expected = {"hold 201", "hold 409 SEAT_UNAVAILABLE", "book 201", "pay 200"}
    rush["errors"] = {k: v for k, v in rush["statuses"].items() if k not in expected}
    log(f"rush (relay {'running' if relay else 'stopped'}): {json.dumps(rush)}")
    return rush


def main() -> int:
    started = time.monotonic()
    RESULTS.mkdir(parents=True, exist_ok=True)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (make bench does it)")
    env = app_env()
    py = str(BIN / "python")

    log(f"fresh database {DB} on {DB_HOST}:{DB_PORT}")
    import MySQLdb

    conn = MySQLdb.connect(host=DB_HOST, port=DB_PORT, user="root", passwd="")
    conn.cursor().execute(f"DROP DATABASE IF EXISTS `{DB}`")
    conn.cursor().execute(f"CREATE DATABASE `{DB}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    conn.close()
    if CACHE_URL.startswith("redis://") and env["CACHE_URL"] == CACHE_URL:
        import redis

        redis.Redis.from_url(CACHE_URL).flushdb()  # the bench's own Redis database
    run([py, "manage.py", "migrate", "--noinput", "-v0"], env)
    run([py, "manage.py", "seed_demo", "--force"], env, stdout=subprocess.DEVNULL)
    data = json.loads(run([py, "-m", "bench.dbtool", "prepare"], env, capture_output=True).stdout)
    log(
        f"seat map show {data['seatmap_show']} and rush show {data['rush_show']} on {data['screen']} ({data['seats']} seats)"
    )

    app = Server("app", "cinema.wsgi:application", APP_PORT, env)
    floor = Server("floor", "bench.floor.wsgi:application", FLOOR_PORT, env)
    results: dict = {"config": {}, "scenarios": {}}
    sampler = relay = None
    try:
        app.wait_ready("/health")
        floor.wait_ready("/")
        workers = app.workers()
        gconf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
        results["config"] = {
            "machine": f"{psutil.cpu_count()} cores, {round(psutil.virtual_memory().total / 2**30)} GiB, {platform.platform()}",
            "workers": len(workers),
            "worker_class": gconf.get("worker_class"),
            "threads": gconf.get("threads"),
            "reuse_port": gconf.get("reuse_port"),
            "cache": env["CACHE_URL"].split("?")[0],
            "duration_s": DURATION,
        }
        log(f"servers up: app on {APP_PORT} ({len(workers)} workers), floor on {FLOOR_PORT}")
        sampler = RssSampler(app)
        sampler.start()

        # Viewers with tokens, as seat pickers refreshing or API clients: one
        # per connection, so no single user's throttle history grows to tens of
        # thousands of entries (which a lone token polled 500 times a second
        # would do, and no real client can: THROTTLE_USER is 600/min).
        seat_path = f"/api/v1/shows/{data['seatmap_show']}/seats"
        tokens, etags, seats = [], [], None
        for _ in range(VIEWERS):
            viewer = f"viewer-{secrets.token_hex(4)}@example.com"
            http_json(
                f"http://127.0.0.1:{APP_PORT}/api/v1/register",
                method="POST",
                body={"email": viewer, "password": "Viewer-pass-2026!", "name": "Bench Viewer"},
            )
            status, _, body = http_json(
                f"http://127.0.0.1:{APP_PORT}/api/v1/login",
                method="POST",
                body={"email": viewer, "password": "Viewer-pass-2026!"},
            )
            if status != 200 or not isinstance(body, dict):
                log(f"login answered {status}: {body}")
                continue
            token = body["token"]
            status, headers, body = http_json(f"http://127.0.0.1:{APP_PORT}{seat_path}", token=token)
            tokens.append(token)
            etags.append(headers.get("ETag", ""))
            seats = len(body) if isinstance(body, list) else seats
        token, etag = ",".join(tokens), ",".join(etags)
        if not tokens:
            log("no viewer could log in; seat-map scenarios run anonymously")
        log(f"seat map: {seats} seats, {len(tokens)} viewers with their own ETags")

        wrk(FLOOR_PORT, ["/"], conns=32, duration=2)  # warm-ups
        wrk(APP_PORT, [seat_path], conns=32, duration=2, auth=token)

        sc = results["scenarios"]
        sc["floor"] = scenario("floor", floor, 32, {200}, paths=["/"])
        sc["seatmap"] = scenario("seat map", app, 32, {200}, paths=[seat_path], auth=token)
        sc["seatmap_304"] = scenario("seat map 304", app, 32, {304}, paths=[seat_path], auth=token, etag=etag)
        sc["seatmap"]["seats"] = seats
        # Anonymous viewers share one cached answer (cinema/readcache.py).
        anon_etag = http_json(f"http://127.0.0.1:{APP_PORT}{seat_path}")[1].get("ETag", "")
        sc["seatmap_anon"] = scenario("anonymous seat map", app, 32, {200}, paths=[seat_path])
        sc["seatmap_anon_304"] = scenario("anonymous 304", app, 32, {304}, paths=[seat_path], etag=anon_etag)
        shows_path = f"/api/v1/movies/{data['movies'][0]}/shows"
        sc["movie_shows"] = scenario("movie shows", app, 32, {200}, paths=[shows_path])

        log(f"rush: registering and logging in {API_USERS} of {USERS} users through the API (not timed)")
        # What the workers hold before the login burst (Argon2) for comparison.
        before_logins = [round(p.memory_info().rss / 2**20, 1) for p in app.workers()]
        tokens_file = RESULTS / "rush-tokens.json"
        tokens_file.unlink(missing_ok=True)
        base = f"http://127.0.0.1:{APP_PORT}"
        if API_USERS < USERS:
            run([py, "-m", "bench.dbtool", "users", str(USERS - API_USERS), str(tokens_file)], env, capture_output=True)
        with Meter(app) as meter:
            prep = json.loads(
                run(
                    [py, "-m", "bench.rush", "prep", base, str(API_USERS), str(tokens_file)], env, capture_output=True
                ).stdout
            )
        prep["cpu"] = meter.cpu
        log(f"rush prep: {prep}")
        relay = Relay(env) if env["AMQP_URL"] else None
        if relay is not None:
            # Up and caught up before the rush: the prep's events (registrations,
            # logins) are not the rush's; the rush's own are published during it.
            relay.wait_connected()
            backlog = _outbox_drained(py, env, step=0.5)
            log(f"relay up; the prep's outbox drained in {backlog['drain_s']} s ({backlog['unpublished']} left)")
        rush = _rush(py, env, app, base, data["rush_show"], tokens_file, relay)
        rush["prep"] = prep
        sc["rush"] = rush
        # The same rush with the relay stopped (events wait in the outbox, as
        # with the broker down): the seat transactions must not notice.
        if relay is not None:
            relay.stop()
            sc["rush_relay_stopped"] = _rush(py, env, app, base, data["rush_show_relay_stopped"], tokens_file, None)
            relay = Relay(env)
            sc["rush"]["outbox_after_both"] = _outbox(py, env)
        tokens_file.unlink(missing_ok=True)

        browse = ["/api/v1/movies"] * 2
        browse += [f"/api/v1/movies/{m}/shows" for m in data["movies"]]
        browse += [f"/api/v1/shows/{s}/seats" for s in data["browse_shows"]]
        sc["mixed"] = scenario("mixed browse", app, 100, {200}, paths=browse)

        # The crowd: 1000 moviegoers browsing with think time, some buying;
        # then 3000, past capacity, to show overload answered by fast 503s.
        crowd_file = RESULTS / "crowd-setup.json"
        run([py, "-m", "bench.dbtool", "users", str(CROWD_BUYERS), str(tokens_file)], env, capture_output=True)
        crowd_setup = {"movies": data["movies"], "shows": data["browse_shows"]}
        crowd_setup["tokens"] = json.loads(tokens_file.read_text())
        crowd_file.write_text(json.dumps(crowd_setup))
        tokens_file.unlink(missing_ok=True)
        for key, users in (("crowd", CROWD_USERS), ("overload", OVERLOAD_USERS)):
            if not users:
                continue
            log(f"{key}: {users} users for {CROWD_SECONDS} s")
            views_before = cpu_by_view(APP_PORT)
            with Meter(app) as meter:
                out = run(
                    [py, "-m", "bench.crowd", base, str(users), str(CROWD_SECONDS), str(crowd_file)],
                    env,
                    capture_output=True,
                ).stdout
            result = json.loads(out)
            result["cpu"] = meter.cpu
            served = max(1, result["requests"] - result["shed_503"])
            result["app_cpu_ms_per_request"] = round(10 * meter.cpu["app"] * meter.wall / served, 2)
            result["cpu_by_view"] = cpu_ms_per_request(views_before, cpu_by_view(APP_PORT))
            sc[key] = result
            log(f"{key}: {json.dumps({k: v for k, v in result.items() if k != 'statuses'})}")
            time.sleep(3)
        crowd_file.unlink(missing_ok=True)
        checks = [
            json.loads(run([py, "-m", "bench.dbtool", "check", str(s)], env, capture_output=True).stdout)
            for s in data["browse_shows"]
        ]
        results["crowd_double_sold"] = sum(len(c["double_sold"]) for c in checks)

        if relay is not None:  # everything the run wrote reaches the broker
            results["outbox"] = _outbox_drained(py, env, step=1)
            log(f"outbox: {results['outbox']}")
        time.sleep(1)
        sampler.stopped.set()
        db_proc = find_process("mariadbd", "mysqld")
        redis_proc = find_process("redis-server")
        master = app.master()
        mem = {
            "workers_mb": [round(p.memory_info().rss / 2**20, 1) for p in app.workers()],
            "workers_uss_mb": [round(p.memory_full_info().uss / 2**20, 1) for p in app.workers()],
            "workers_peak_mb": [round(v / 2**20, 1) for v in sampler.peak.values()],
            "workers_before_logins_mb": before_logins,
            "master_mb": round(master.memory_info().rss / 2**20, 1),
            "mariadb_mb": round(db_proc.memory_info().rss / 2**20, 1) if db_proc else None,
            "redis_mb": round(redis_proc.memory_info().rss / 2**20, 1) if redis_proc else None,
        }
        mem["app_mb"] = round(mem["master_mb"] + sum(mem["workers_mb"]), 1)
        mem["app_db_mb"] = round(mem["app_mb"] + (mem["mariadb_mb"] or 0), 1)
        results["memory"] = mem
        log(f"memory: {mem}")
    finally:
        if relay is not None:
            relay.stop()
        if sampler:
            sampler.stopped.set()
        app.stop()
        floor.stop()

    results["explain"] = json.loads(
        run([py, "-m", "bench.dbtool", "explain", str(data["seatmap_show"])], env, capture_output=True).stdout
    )

    # The sales report over 100,000 orders (bench/reports.py), in-process on
    # the same fresh database once the HTTP scenarios are done.
    log("sales report over 100,000 orders")
    results["reports"] = json.loads(run([py, "-m", "bench.reports"], env, capture_output=True).stdout)

    results["targets"] = report.targets(results)
    missed = {t["target"] for t in results["targets"] if not t["pass"]}

    profiles = {}
    if ALWAYS_PROFILE or "signed-in seat map >= 0.25 x floor" in missed:
        profiles["seatmap"] = profile("seatmap", env, [seat_path], auth=token)
    if ALWAYS_PROFILE or "anonymous 304 >= 0.8 x floor" in missed:
        profiles["seatmap_anon_304"] = profile("seatmap_anon_304", env, [seat_path], etag=anon_etag)
    results["profiles"] = profiles
    results["wall_s"] = round(time.monotonic() - started)

    table = report.render(results)
    print("\n" + table)
    (RESULTS / "latest.md").write_text(table)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2, default=str))
    log(f"done in {results['wall_s']} s; results in {RESULTS.relative_to(ROOT)}/latest.md and latest.json")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
