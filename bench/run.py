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
import os
import platform
import resource
import runpy
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"
LUA = ROOT / "bench" / "lua" / "get.lua"

DB = os.environ.get("BENCH_DB", "cinema_bench")
DB_HOST = os.environ.get("BENCH_DB_HOST", "127.0.0.1")
DB_PORT = int(os.environ.get("BENCH_DB_PORT", "3306"))
APP_PORT = int(os.environ.get("BENCH_APP_PORT", "8100"))
FLOOR_PORT = int(os.environ.get("BENCH_FLOOR_PORT", "8101"))
PROFILE_PORT = int(os.environ.get("BENCH_PROFILE_PORT", "8102"))
DURATION = int(os.environ.get("BENCH_DURATION", "15"))
USERS = int(os.environ.get("BENCH_USERS", "200"))
VIEWERS = int(os.environ.get("BENCH_VIEWERS", "32"))  # tokens polling the seat map, one per connection
# How many of them register and log in through the API (the rest are made in
# the database with one shared password hash and minted tokens, to save time).
API_USERS = min(USERS, int(os.environ.get("BENCH_API_USERS", str(USERS))))
CACHE_URL = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/1")
ALWAYS_PROFILE = os.environ.get("BENCH_PROFILE", "") in {"1", "true", "yes"}

# Budgets, as ratios to the floor measured in the same run, or absolutes.
SEATMAP_RATIO = 0.5  # the anonymous full map (cached: docs/performance.md)
NOT_MODIFIED_RATIO = 0.8
MOVIE_SHOWS_RATIO = 0.5
AUTH_SEATMAP_RATIO = 0.25  # a signed-in viewer: the shared map + their own holds
CROWD_USERS = int(os.environ.get("BENCH_CROWD_USERS", "1000"))
OVERLOAD_USERS = int(os.environ.get("BENCH_OVERLOAD_USERS", "3000"))
CROWD_SECONDS = int(os.environ.get("BENCH_CROWD_SECONDS", "60"))
CROWD_BUYERS = int(os.environ.get("BENCH_CROWD_BUYERS", "100"))  # signed-in users of the crowd
CROWD_P99_MS = 1000
SHED_WAIT_S = float(os.environ.get("OVERLOAD_MAX_WAIT_SECONDS", "3"))  # the app's shedding bound (settings.py)
RUSH_P99_MS = 1000
WORKER_RSS_MB = 100
APP_DB_RSS_MB = 1024


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --------------------------------------------------------------------------
# environment
# --------------------------------------------------------------------------
def _jwt_keys() -> tuple[str, str]:
    from cinema.keys import generate_key_pair

    private, public = generate_key_pair("RS256")
    # One line each, the way a .env file or a container secret carries them.
    return private.replace("\n", "\\n"), public.replace("\n", "\\n")


def _redis_answers(url: str) -> bool:
    if not url.startswith("redis://"):
        return True
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        return True
    except Exception:
        return False


def app_env() -> dict:
    private, public = _jwt_keys()
    cache_url = CACHE_URL
    if not _redis_answers(cache_url):
        cache_url = f"filecache://{tempfile.mkdtemp(prefix='cinema-bench-cache-')}"
        log(f"Redis not answering; using the file cache {cache_url}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="cinema.settings",
        DATABASE_URL=f"mysql://root@{DB_HOST}:{DB_PORT}/{DB}",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        PAYMENT_WEBHOOK_SECRET=secrets.token_urlsafe(32),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        JWT_ALGORITHM="RS256",
        JWT_PRIVATE_KEY=private,
        JWT_PUBLIC_KEY=public,
        # Plain HTTP on loopback: the HTTPS switches the README describes, off.
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_HSTS_SECONDS="0",
        # A load test from one address must not be throttled; the throttles
        # themselves still run (and hit the shared cache) on every request.
        THROTTLE_ANON="10000000/min",
        THROTTLE_USER="10000000/min",
        THROTTLE_LOGIN="10000000/min",
        REGISTER_RATE_PER_IP="10000000/min",
        REGISTER_RATE_GLOBAL="10000000/min",
        # The rush's users are registered a moment before they buy.
        REQUIRE_EMAIL_VERIFICATION="false",
        # The rush is the order+pay flow: order, then the test card (bench/rush.py `pay`).
        PAYMENT_PROVIDER="test",
        # The rush sells every seat to pairs; the 220-seat room's 3-seat
        # recliner blocks cannot take a pair without stranding one, so the
        # no-lone-seat rule is off here (its cost is one map read per hold).
        LONE_SEAT_RULE="false",
        CACHE_URL=cache_url,
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        LOG_LEVEL="WARNING",
    )
    return env


# --------------------------------------------------------------------------
# processes
# --------------------------------------------------------------------------
def run(cmd: list[str], env: dict, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, text=True, **kw)


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


class Server:
    """A gunicorn master started by this run, and only ever stopped by it."""

    def __init__(self, name: str, app: str, port: int, env: dict, wrap: list[str] | None = None):
        if not port_free(port):
            raise SystemExit(f"port {port} is busy: another bench or server is running there")
        self.name, self.port, self.wrapped = name, port, bool(wrap)
        self.log_path = RESULTS / f"{name}.log"
        cmd = [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), app]
        env = dict(env, GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_PROC_NAME=f"bench-{name}")
        self.proc = subprocess.Popen(
            (wrap or []) + cmd,
            env=env,
            cwd=ROOT,
            stdout=open(self.log_path, "w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, path: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name} server exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=2) as r:
                    if r.status == 200 and len(self.workers()) >= 1:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"{self.name} server did not answer on {path}; see {self.log_path}")

    def master(self) -> psutil.Process | None:
        try:
            proc = psutil.Process(self.proc.pid)
            if self.wrapped:  # under py-spy the master is py-spy's child
                kids = proc.children()
                return kids[0] if kids else None
            return proc
        except psutil.NoSuchProcess:
            return None

    def workers(self) -> list[psutil.Process]:
        master = self.master()
        return master.children() if master else []

    def cpu_seconds(self) -> float:
        total = 0.0
        master = self.master()
        for proc in ([master] if master else []) + self.workers():
            try:
                t = proc.cpu_times()
                total += t.user + t.system
            except psutil.NoSuchProcess:
                pass
        return total

    def stop(self) -> None:
        # SIGTERM to the gunicorn master (under py-spy, py-spy then writes its
        # profile and exits by itself); then whatever is left of the process
        # group this run started.
        master = self.master()
        if self.proc.poll() is None:
            (master.send_signal if master else self.proc.send_signal)(signal.SIGTERM)
            try:
                self.proc.wait(timeout=25)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


def find_process(*names: str) -> psutil.Process | None:
    for proc in psutil.process_iter(["name"]):
        if proc.info["name"] in names:
            return proc
    return None


def cpu_of(proc: psutil.Process | None) -> float:
    if proc is None:
        return 0.0
    try:
        t = proc.cpu_times()
        return t.user + t.system
    except psutil.Error:
        return 0.0


def _busy_cpu_seconds() -> float:
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0) - getattr(t, "guest", 0.0) - getattr(t, "guest_nice", 0.0)


class Meter:
    """CPU seconds of the generator (this run's waited-for children), the app's
    gunicorn, MariaDB and Redis over one scenario, as % of one core."""

    def __init__(self, server: Server):
        self.server = server
        self.db = find_process("mariadbd", "mysqld")
        self.redis = find_process("redis-server")

    def _snap(self) -> tuple:
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (
            time.monotonic(),
            kids.ru_utime + kids.ru_stime,
            self.server.cpu_seconds(),
            cpu_of(self.db),
            cpu_of(self.redis),
            _busy_cpu_seconds(),
        )

    def _per_worker(self) -> dict[int, float]:
        return {p.pid: cpu_of(p) for p in self.server.workers()}

    def __enter__(self):
        self.start = self._snap()
        self.start_workers = self._per_worker()
        return self

    def __exit__(self, *exc):
        end = self._snap()
        wall = self.wall = end[0] - self.start[0]
        pct = [round(100 * (b - a) / wall) for a, b in zip(self.start[1:], end[1:], strict=True)]
        self.cpu = dict(zip(("gen", "app", "db", "redis", "machine"), pct, strict=True))
        # Whatever else ran on the machine meanwhile: a noisy neighbour shows here.
        self.cpu["other"] = max(0, self.cpu.pop("machine") - sum(self.cpu.values()))
        # How evenly the workers shared the load (one busy GIL caps the app).
        self.cpu["workers"] = [
            round(100 * (cpu - self.start_workers.get(pid, 0.0)) / wall) for pid, cpu in self._per_worker().items()
        ]


class RssSampler(threading.Thread):
    """Peak RSS of each worker while the run goes on (sampled twice a second)."""

    def __init__(self, server: Server):
        super().__init__(daemon=True)
        self.server, self.peak, self.stopped = server, {}, threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.5):
            for proc in self.server.workers():
                try:
                    self.peak[proc.pid] = max(self.peak.get(proc.pid, 0), proc.memory_info().rss)
                except psutil.Error:
                    pass


# --------------------------------------------------------------------------
# load
# --------------------------------------------------------------------------
def wrk(port: int, paths: list[str], conns: int, duration: int, auth: str = "", etag: str = "") -> dict:
    env = dict(os.environ, BENCH_PATHS=",".join(paths), BENCH_AUTH=auth, BENCH_ETAG=etag)
    cmd = ["wrk", "-t1", f"-c{conns}", f"-d{duration}s", "--timeout", "10s", "-s", str(LUA), f"http://127.0.0.1:{port}"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCHJSON ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no result:\n{out}")
    data = json.loads(line[len("BENCHJSON ") :])
    seconds = data["duration_us"] / 1e6
    data["rps"] = round(data["requests"] / seconds, 1)
    data["p50_ms"] = round(data["p50_us"] / 1000, 1)
    data["p99_ms"] = round(data["p99_us"] / 1000, 1)
    data["socket_errors"] = sum(v for k, v in data["errors"].items() if k != "status")
    return data


def scenario(name: str, server: Server, conns: int, expect: set[int], **kw) -> dict:
    with Meter(server) as meter:
        data = wrk(server.port, conns=conns, duration=DURATION, **kw)
    data["cpu"] = meter.cpu
    data["conns"] = conns
    # Worker CPU per response: steadier than req/s when neighbours steal CPU.
    data["app_cpu_ms"] = round(10 * meter.cpu["app"] * data["duration_us"] / 1e6 / max(1, data["requests"]), 2)
    data["unexpected"] = sum(n for s, n in data["statuses"].items() if int(s) not in expect) + data["socket_errors"]
    log(
        f"{name}: {data['rps']} req/s, p50 {data['p50_ms']} ms, p99 {data['p99_ms']} ms, "
        f"statuses {data['statuses']}, socket errors {data['socket_errors']}, CPU {meter.cpu}"
    )
    return data


def http_json(url: str, token: str = "", method: str = "GET", body: dict | None = None) -> tuple[int, dict, object]:
    req = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Accept", "application/json")
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), json.loads(r.read() or b"null")
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, dict(exc.headers), json.loads(raw or b"null")
        except json.JSONDecodeError:
            return exc.code, dict(exc.headers), raw[:300].decode(errors="replace")


# --------------------------------------------------------------------------
# profile
# --------------------------------------------------------------------------
def profile(name: str, env: dict, paths: list[str], auth: str = "", etag: str = "") -> str | None:
    """Serve the app under `py-spy record` on its own port, load it, and keep
    the top of the profile (inclusive share per function)."""
    spy = BIN / "py-spy"
    if not spy.exists():
        log("py-spy is not installed; no profile")
        return None
    raw = RESULTS / f"profile-{name}.txt"
    server = Server(
        f"profile-{name}",
        "cinema.wsgi:application",
        PROFILE_PORT,
        env,
        wrap=[
            str(spy),
            "record",
            "--subprocesses",
            "--nonblocking",
            "--gil",
            "-r",
            "200",
            "-f",
            "raw",
            "-o",
            str(raw),
            "--",
        ],
    )
    try:
        server.wait_ready("/health")
        wrk(PROFILE_PORT, paths, conns=32, duration=2, auth=auth, etag=etag)  # warm up
        wrk(PROFILE_PORT, paths, conns=32, duration=8, auth=auth, etag=etag)
    finally:
        server.stop()
    for _ in range(50):
        if raw.exists():
            break
        time.sleep(0.2)
    if not raw.exists():
        log(f"py-spy wrote no profile; see {server.log_path}")
        return None
    inclusive: Counter = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        # Only request-handling threads: skip the workers' idle poll loops.
        if not any("handle_request" in f or "handle" in f and "gthread" in f for f in frames):
            continue
        total += n
        for func in {
            f.split(" (")[0] + " (" + f.split(" (")[1].split(":")[0] + ")" if " (" in f else f for f in frames
        }:
            inclusive[func] += n
    noise = ("process ", "threading.py", "concurrent/futures", "importlib", "gthread.py")
    top = [(f, n) for f, n in inclusive.most_common(200) if not any(x in f for x in noise)][:60]
    lines = [f"{100 * n / total:5.1f}%  {func}" for func, n in top] if total else []
    summary = RESULTS / f"profile-{name}-top.txt"
    summary.write_text(
        f"{total} samples holding the GIL in request handling (share of them, inclusive)\n" + "\n".join(lines) + "\n"
    )
    log(f"profile of {name}: {summary}")
    return str(summary.relative_to(ROOT))


# --------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------
def fmt(v, unit: str = "") -> str:
    return "–" if v is None else f"{v}{unit}"


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
    sampler = None
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
        with Meter(app) as meter:
            rush = json.loads(
                run(
                    [py, "-m", "bench.rush", "go", base, str(data["rush_show"]), str(tokens_file), "pay"],
                    env,
                    capture_output=True,
                ).stdout
            )
        rush["cpu"] = meter.cpu
        rush["prep"] = prep
        tokens_file.unlink(missing_ok=True)
        check = json.loads(
            run([py, "-m", "bench.dbtool", "check", str(data["rush_show"])], env, capture_output=True).stdout
        )
        client_seats = rush.pop("booked_seat_ids")
        db_seats = sorted(s for ids in check.pop("booking_seat_ids").values() for s in ids)
        rush["db"] = check
        rush["db_matches_client"] = db_seats == client_seats and check["bookings"] == rush["bookings"]
        expected = {"hold 201", "hold 409 SEAT_UNAVAILABLE", "book 201", "pay 200"}
        rush["errors"] = {k: v for k, v in rush["statuses"].items() if k not in expected}
        sc["rush"] = rush
        log(f"rush: {json.dumps({k: v for k, v in rush.items() if k != 'prep'})}")

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
            sc[key] = result
            log(f"{key}: {json.dumps({k: v for k, v in result.items() if k != 'statuses'})}")
            time.sleep(3)
        crowd_file.unlink(missing_ok=True)
        checks = [
            json.loads(run([py, "-m", "bench.dbtool", "check", str(s)], env, capture_output=True).stdout)
            for s in data["browse_shows"]
        ]
        results["crowd_double_sold"] = sum(len(c["double_sold"]) for c in checks)

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

    # ---- budgets -------------------------------------------------------------
    sc, mem = results["scenarios"], results["memory"]
    floor_rps = sc["floor"]["rps"]
    rush = sc["rush"]
    db = rush["db"]
    targets = [
        (
            "seat map >= 0.5 x floor req/s",
            sc["seatmap"]["rps"] / floor_rps >= SEATMAP_RATIO and sc["seatmap"]["unexpected"] == 0,
            f"{sc['seatmap']['rps'] / floor_rps:.2f} x",
        ),
        (
            "304 path >= 0.8 x floor req/s",
            sc["seatmap_304"]["rps"] / floor_rps >= NOT_MODIFIED_RATIO and sc["seatmap_304"]["unexpected"] == 0,
            f"{sc['seatmap_304']['rps'] / floor_rps:.2f} x",
        ),
        ("rush: zero errors", not rush["errors"], json.dumps(rush["errors"]) if rush["errors"] else "0"),
        (
            "rush: zero double sales",
            not db["double_sold"]
            and rush["seats_in_two_bookings"] == 0
            and not db["booked_not_sold"]
            and not db["sold_not_booked"]
            and rush["db_matches_client"],
            f"{len(db['double_sold'])} double, {len(db['booked_not_sold'])} booked-not-SOLD, "
            f"{len(db['sold_not_booked'])} SOLD-not-booked",
        ),
        (
            "rush: zero paid-but-unsold orders",
            not db.get("paid_not_sold"),
            f"{len(db.get('paid_not_sold', []))} paid, not sold, not refunded",
        ),
        (
            "rush: pay p99 < 1 s",
            rush.get("pay_p99_ms") is not None and rush["pay_p99_ms"] < RUSH_P99_MS,
            f"{fmt(rush.get('pay_p99_ms') and round(rush['pay_p99_ms']), ' ms')}",
        ),
        (
            "rush: hold p99 < 1 s",
            rush["hold_p99_ms"] is not None and rush["hold_p99_ms"] < RUSH_P99_MS,
            f"{fmt(rush['hold_p99_ms'] and round(rush['hold_p99_ms']), ' ms')}",
        ),
        (
            "rush: book p99 < 1 s",
            rush["book_p99_ms"] is not None and rush["book_p99_ms"] < RUSH_P99_MS,
            f"{fmt(rush['book_p99_ms'] and round(rush['book_p99_ms']), ' ms')}",
        ),
        (
            "each worker < 100 MB RSS",
            bool(mem["workers_mb"]) and max(mem["workers_mb"]) < WORKER_RSS_MB,
            f"max {max(mem['workers_mb'], default=0)} MB",
        ),
        ("app + MariaDB < 1 GB RSS", mem["app_db_mb"] < APP_DB_RSS_MB, f"{mem['app_db_mb']} MB"),
        (
            "report of 100,000 orders < 2 s, constant memory",
            results["reports"]["under_2s"] and results["reports"]["constant_memory"],
            f"{max(v['seconds'] for v in results['reports']['full'].values())} s, "
            f"peak {max(v['peak_kib'] for v in results['reports']['full'].values())} KiB",
        ),
    ]
    for key, label, ratio in (
        ("seatmap_anon", "anonymous seat map >= 0.5 x floor", SEATMAP_RATIO),
        ("seatmap_anon_304", "anonymous 304 >= 0.8 x floor", NOT_MODIFIED_RATIO),
        ("movie_shows", "movie shows >= 0.5 x floor", MOVIE_SHOWS_RATIO),
        ("seatmap", "signed-in seat map >= 0.25 x floor", AUTH_SEATMAP_RATIO),
    ):
        got = sc[key]["rps"] / floor_rps
        targets.append((label, got >= ratio and sc[key]["unexpected"] == 0, f"{got:.2f} x"))
    if "crowd" in sc:
        crowd = sc["crowd"]
        targets.append(
            (
                f"crowd of {crowd['users']}: p99 < 1 s, no timeouts, no 5xx, no double sales",
                crowd["p99_ms"] is not None
                and crowd["p99_ms"] < CROWD_P99_MS
                and crowd["timeouts"] == 0
                and crowd["http_5xx_not_shed"] == 0
                and crowd["shed_503"] == 0
                and crowd["seats_in_two_bookings"] == 0
                and results["crowd_double_sold"] == 0,
                f"p99 {fmt(crowd['p99_ms'] and round(crowd['p99_ms']), ' ms')}, {crowd['timeouts']} timeouts, "
                f"{crowd['http_5xx_not_shed'] + crowd['shed_503']} 5xx, {crowd['rps']} req/s",
            )
        )
    if "overload" in sc:
        over = sc["overload"]
        targets.append(
            (
                f"overload of {over['users']}: answered (no timeouts), 503s within the wait bound + 1 s",
                over["timeouts"] == 0 and (over["shed_p99_ms"] or 0) < 1000 * (SHED_WAIT_S + 1),
                f"{over['shed_503']} shed, shed p99 {fmt(over['shed_p99_ms'] and round(over['shed_p99_ms']), ' ms')}, "
                f"{over['timeouts']} timeouts, served p99 {fmt(over['p99_ms'] and round(over['p99_ms']), ' ms')}",
            )
        )
    results["targets"] = [{"target": t, "pass": ok, "measured": m} for t, ok, m in targets]

    profiles = {}
    if ALWAYS_PROFILE or not targets[0][1]:
        profiles["seatmap"] = profile("seatmap", env, [seat_path], auth=token)
    if ALWAYS_PROFILE or not targets[1][1]:
        profiles["seatmap_304"] = profile("seatmap_304", env, [seat_path], auth=token, etag=etag)
    results["profiles"] = profiles
    results["wall_s"] = round(time.monotonic() - started)

    table = render(results)
    print("\n" + table)
    (RESULTS / "latest.md").write_text(table)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2, default=str))
    log(f"done in {results['wall_s']} s; results in {RESULTS.relative_to(ROOT)}/latest.md and latest.json")
    return 0 if all(ok for _, ok, _ in targets) else 1


def render(results: dict) -> str:
    sc, mem, cfg = results["scenarios"], results["memory"], results["config"]
    floor_rps = sc["floor"]["rps"]
    out = [
        f"Machine: {cfg['machine']}. gunicorn: {cfg['workers']} workers, {cfg['worker_class']}, {cfg['threads']} threads, "
        f"reuse_port {cfg['reuse_port']}; "
        f"cache {cfg['cache']}; wrk -t1, {cfg['duration_s']} s per read scenario.",
        "",
        "| scenario | conns | req/s | x floor | p50 ms | p99 ms | responses | gen CPU | app CPU | DB CPU | other CPU "
        "| app CPU ms/req |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    names = {
        "floor": "floor: empty JSON view",
        "seatmap": f"(1) seat map, {sc['seatmap'].get('seats')} seats",
        "seatmap_304": "(2) seat map, If-None-Match -> 304",
        "mixed": "(4) mixed browse (movies, shows, seat maps)",
        "seatmap_anon": "(1a) anonymous seat map (shared cache)",
        "seatmap_anon_304": "(2a) anonymous seat map -> 304",
        "movie_shows": "(4a) a movie's shows (shared cache)",
    }
    for key in ("floor", "seatmap", "seatmap_304", "seatmap_anon", "seatmap_anon_304", "movie_shows", "mixed"):
        s = sc[key]
        resp = ", ".join(f"{n}x{k}" for k, n in sorted(s["statuses"].items()))
        if s["socket_errors"]:
            resp += f", {s['socket_errors']} socket errors"
        out.append(
            f"| {names[key]} | {s['conns']} | {s['rps']:.0f} | {s['rps'] / floor_rps:.2f} | {s['p50_ms']} | {s['p99_ms']} | "
            f"{resp} | {s['cpu']['gen']}% | {s['cpu']['app']}% | {s['cpu']['db']}% | {s['cpu']['other']}% "
            f"| {s['app_cpu_ms']} |"
        )
    r = sc["rush"]
    out += [
        "",
        f"(3) Rush: {r['users']} users at once, best 2 seats each, then book, on a fresh show "
        f"({r['db']['seat_statuses']}).",
        "",
        "| rush | value |",
        "|---|---|",
        f"| bookings completed | {r['bookings']} ({r['seats_booked']} seats) in {r['seconds']} s |",
        f"| completed bookings/s | {r['bookings_per_s']} |",
        f"| hold p50 / p99 | {fmt(r['hold_p50_ms'] and round(r['hold_p50_ms']))} / {fmt(r['hold_p99_ms'] and round(r['hold_p99_ms']))} ms |",
        f"| book p50 / p99 | {fmt(r['book_p50_ms'] and round(r['book_p50_ms']))} / {fmt(r['book_p99_ms'] and round(r['book_p99_ms']))} ms |",
        f"| pay p50 / p99 (confirm-payment, 4242…) | {fmt(r.get('pay_p50_ms') and round(r['pay_p50_ms']))} / {fmt(r.get('pay_p99_ms') and round(r['pay_p99_ms']))} ms |",
        f"| paid but not sold (nor refunded) | {len(r['db'].get('paid_not_sold', []))} |",
        f"| answers | {', '.join(f'{k}: {v}' for k, v in r['statuses'].items())} |",
        f"| errors (anything but 201 or a sold-out 409) | {sum(r['errors'].values()) if r['errors'] else 0} |",
        f"| DB check | {len(r['db']['double_sold'])} seats sold twice, {len(r['db']['booked_not_sold'])} booked seats not SOLD, "
        f"{len(r['db']['sold_not_booked'])} SOLD seats without a booking, DB matches client: {r['db_matches_client']} |",
        f"| CPU during the rush | gen {r['cpu']['gen']}%, app {r['cpu']['app']}% (per worker {r['cpu']['workers']}), "
        f"DB {r['cpu']['db']}%, other {r['cpu']['other']}% |",
        f"| prep (untimed) | {API_USERS} users registered + logged in through the API in {r['prep']['seconds']} s, "
        f"{USERS - API_USERS} made in the DB; {r['prep']['users']} tokens |",
    ]
    for key in ("crowd", "overload"):
        if key not in sc:
            continue
        c = sc[key]
        out += [
            "",
            f"(6) {key}: {c['users']} users ({c['signed_in']} signed in), think 1-4 s, {c['seconds']} s: "
            f"{c['requests']} requests, {c['rps']} req/s, p50 {fmt(c['p50_ms'] and round(c['p50_ms']))} ms, "
            f"p99 {fmt(c['p99_ms'] and round(c['p99_ms']))} ms (p99 by endpoint {c['by_endpoint_p99_ms']}), "
            f"{c['timeouts']} timeouts, {c['transport_errors']} transport errors, {c['http_5xx_not_shed']} 5xx, "
            f"{c['shed_503']} shed 503s (p99 {fmt(c['shed_p99_ms'] and round(c['shed_p99_ms']))} ms), "
            f"{c['seats_booked']} seats booked ({c['seats_in_two_bookings']} twice); "
            f"app CPU {c['app_cpu_ms_per_request']} ms per served request, CPU {c['cpu']}.",
        ]
    out += [
        "",
        f"(5) Memory after the run: workers RSS {mem['workers_mb']} MB (USS {mem['workers_uss_mb']}, peak {mem['workers_peak_mb']}, "
        f"before the register/login burst {mem['workers_before_logins_mb']}), "
        f"master {mem['master_mb']} MB, app total {mem['app_mb']} MB; MariaDB {mem['mariadb_mb']} MB; "
        f"app + MariaDB {mem['app_db_mb']} MB (Redis {mem['redis_mb']} MB, not counted).",
        "",
        "| target | measured | result |",
        "|---|---|---|",
    ]
    out += [f"| {t['target']} | {t['measured']} | {'PASS' if t['pass'] else 'FAIL'} |" for t in results["targets"]]
    out.append("")
    for name, q in results.get("explain", {}).items():
        plan = "; ".join(
            f"{p.get('table')}: type={p.get('type')} key={p.get('key')} rows={p.get('rows')} {p.get('Extra') or ''}".strip()
            for p in q["plan"]
        )
        out.append(f"EXPLAIN {name}: {plan}")
    for name, path in results.get("profiles", {}).items():
        out.append(f"Profile {name}: {path}")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.exit(main())
