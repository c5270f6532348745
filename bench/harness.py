"""The machinery of `make bench` (bench/run.py): the knobs, the app's
environment, gunicorn servers started and stopped by the run, CPU and memory
meters, wrk scenarios and small HTTP helpers."""

import json
import os
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
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
# The outbox relay publishes the run's events here (its own exchange), when it answers.
AMQP_URL = os.environ.get("BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
EVENTS_EXCHANGE = "cinema.bench.events"
ALWAYS_PROFILE = os.environ.get("BENCH_PROFILE", "") in {"1", "true", "yes"}
CROWD_USERS = int(os.environ.get("BENCH_CROWD_USERS", "1000"))
OVERLOAD_USERS = int(os.environ.get("BENCH_OVERLOAD_USERS", "3000"))
CROWD_SECONDS = int(os.environ.get("BENCH_CROWD_SECONDS", "60"))
CROWD_BUYERS = int(os.environ.get("BENCH_CROWD_BUYERS", "100"))  # signed-in users of the crowd
SHED_WAIT_S = float(os.environ.get("OVERLOAD_MAX_WAIT_SECONDS", "3"))  # the app's shedding bound (settings.py)


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


def _amqp_answers(url: str) -> bool:
    from urllib.parse import urlparse

    parts = urlparse(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5672), timeout=1):
            return True
    except OSError:
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
        # Production under a rush: requests only queue their emails, the relay sends them.
        EMAIL_SEND_AFTER_COMMIT="false",
        AMQP_URL=AMQP_URL if _amqp_answers(AMQP_URL) else "",
        EVENTS_EXCHANGE=EVENTS_EXCHANGE,
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


class Relay:
    """``manage.py outbox_relay`` (events to RabbitMQ, the queued emails), in its
    own session as a service runs; it lowers its own priority (OUTBOX_RELAY_NICE)
    as it does in production."""

    def __init__(self, env: dict):
        self.log_path = RESULTS / "relay.log"
        self.proc = subprocess.Popen(
            [str(BIN / "python"), "manage.py", "outbox_relay"],
            env=env,
            cwd=ROOT,
            stdout=open(self.log_path, "w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_connected(self, timeout: float = 30.0) -> None:
        """Until the relay has set Django up and reached the broker (its log
        says so): a relay runs all along in production, so its start-up is no
        part of what a rush costs."""
        deadline = time.monotonic() + timeout
        while "Connected to the broker" not in self.log_path.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the outbox relay did not reach the broker; see {self.log_path}")
            time.sleep(0.2)

    def cpu_seconds(self) -> float:
        return cpu_of(psutil.Process(self.proc.pid)) if self.proc.poll() is None else 0.0

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
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


def cpu_by_view(port: int) -> dict[str, tuple[float, float]]:
    """{view: (CPU seconds, requests)} from the app's /metrics
    (cinema.metrics.RequestCpuMiddleware), summed over the workers."""
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        body = r.read().decode()
    seconds: dict[str, float] = {}
    counts: dict[str, float] = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if sample.name == "cinema_request_cpu_seconds_total":
                seconds[sample.labels["view"]] = sample.value
            elif sample.name == "cinema_request_cpu_requests_total":
                counts[sample.labels["view"]] = sample.value
    return {view: (seconds.get(view, 0.0), n) for view, n in counts.items()}


def cpu_ms_per_request(before: dict, after: dict) -> dict[str, dict]:
    """Between two cpu_by_view() readings: {view: {"requests", "cpu_ms"}} (mean
    CPU ms per request), busiest first; views with no request in between left out."""
    out = {}
    for view, (cpu, n) in after.items():
        cpu0, n0 = before.get(view, (0.0, 0.0))
        if n > n0:
            out[view] = {"requests": int(n - n0), "cpu_ms": round(1000 * (cpu - cpu0) / (n - n0), 2)}
    return dict(sorted(out.items(), key=lambda kv: -kv[1]["requests"]))
