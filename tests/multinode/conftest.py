"""The multi-node stack on loopback, started once per test session.

Its own MariaDB primary (13306) and replica (13307, replicating from the
primary), each a private ``mariadbd`` on a temporary datadir — nothing touches
the machine's MariaDB on 3306 — plus two gunicorn nodes (18001, 18002) sharing
Redis db 5 as their cache, and Debian's nginx (18080) running the project's
deploy/nginx.conf. If any of them cannot be started the tests FAIL.

Collected only when MULTINODE_TESTS=1 (``make multinode-test`` sets it), so
``make test`` does not start a second database server twice per CI run.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import MySQLdb
import pytest

ROOT = Path(__file__).resolve().parents[2]
PRIMARY_PORT, REPLICA_PORT = 13306, 13307
NODE_PORTS = (18001, 18002)
EDGE_PORT = 18080
REDIS_URL = "redis://127.0.0.1:6379/5"
MARIADBD = "/usr/sbin/mariadbd"
PIN_SECONDS = 3
MAX_LAG_SECONDS = 2


def pytest_ignore_collect(collection_path, config):
    if os.environ.get("MULTINODE_TESTS") != "1" and collection_path.name.startswith("test_"):
        return True
    return None


# --- HTTP -----------------------------------------------------------------------
@dataclass
class Answer:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


def call(port: int, method: str, path: str, *, body=None, token=None, headers=None, timeout=30) -> Answer:
    """One request on its own connection (like separate browsers)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    sent = {"Host": "127.0.0.1", **(headers or {})}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=data, headers=sent)
        resp = conn.getresponse()
        return Answer(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()


# --- processes ------------------------------------------------------------------
def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _wait(what: str, check, seconds: float, proc=None, log: Path | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            break
        try:
            if check():
                return
        except Exception:  # not up yet
            pass
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    pytest.fail(f"{what} did not start within {seconds:.0f} s.\n{tail}", pytrace=False)


@dataclass
class MariaDB:
    name: str
    port: int
    server_id: int
    base: Path
    proc: subprocess.Popen | None = None

    @property
    def datadir(self) -> Path:
        return self.base / self.name

    @property
    def socket(self) -> str:
        return str(self.base / f"{self.name}.sock")

    @property
    def log(self) -> Path:
        return self.base / f"{self.name}.err"

    def install(self) -> None:
        out = subprocess.run(
            [
                "mariadb-install-db",
                "--no-defaults",
                f"--datadir={self.datadir}",
                "--user=root",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            pytest.fail(f"mariadb-install-db failed for {self.name}:\n{out.stdout}\n{out.stderr}", pytrace=False)

    def start(self) -> None:
        if not _port_free(self.port):
            pytest.fail(f"port {self.port} is taken: a stale stack? ({self.name})", pytrace=False)
        self.proc = subprocess.Popen(
            [
                MARIADBD,
                "--no-defaults",
                f"--datadir={self.datadir}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                f"--socket={self.socket}",
                f"--pid-file={self.base / (self.name + '.pid')}",
                f"--log-error={self.log}",
                f"--server-id={self.server_id}",
                f"--log-bin={self.datadir / 'binlog'}",
                "--binlog-format=ROW",
                "--user=root",
                "--skip-name-resolve",
                "--innodb-buffer-pool-size=64M",
                "--innodb-flush-log-at-trx-commit=2",
                "--sync-binlog=0",
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_unicode_ci",
                "--max-connections=300",
                *(["--read-only"] if self.name == "replica" else []),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait(f"mariadbd {self.name} on {self.port}", lambda: self.query("SELECT 1", db=None), 30, self.proc, self.log)

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def connect(self, *, db: str | None = "cinema", via_socket=False):
        kw = {"unix_socket": self.socket} if via_socket else {"host": "127.0.0.1", "port": self.port}
        return MySQLdb.connect(user="root", passwd="", autocommit=True, **({"db": db} if db else {}), **kw)

    def query(self, sql: str, args=None, *, via_socket=False, db="cinema"):
        conn = self.connect(db=db, via_socket=via_socket)
        try:
            cur = conn.cursor()
            cur.execute(sql, args)
            return cur.fetchall() if cur.description else None
        finally:
            conn.close()

    def script(self, statements: list[str], *, via_socket=False) -> None:
        conn = self.connect(db=None, via_socket=via_socket)
        try:
            cur = conn.cursor()
            for sql in statements:
                cur.execute(sql)
        finally:
            conn.close()


def _users() -> list[str]:
    # Not written to the binlog: each server gets its own users, the replica
    # replicates only the application's database.
    return [
        "SET sql_log_bin=0",
        "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''",
        "GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION",
        "CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'repl'",
        "GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1'",
        "SET sql_log_bin=1",
    ]


@dataclass
class Stack:
    base: Path
    primary: MariaDB
    replica: MariaDB
    env: dict
    procs: dict = field(default_factory=dict)
    edge: int = EDGE_PORT
    nodes: tuple = NODE_PORTS

    def replica_caught_up(self, seconds: float = 15) -> None:
        """Wait until the replica has applied everything the primary wrote."""
        target = self.primary.query("SELECT @@gtid_binlog_pos", db=None)[0][0]
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.replica.query(f"SELECT MASTER_GTID_WAIT('{target}', 0.5)", db=None)[0][0] == 0:
                return
        raise AssertionError("the replica did not catch up")

    def replication(self, *, running: bool) -> None:
        if running:
            self.replica.query("START SLAVE")
        else:
            self.replica.query("STOP SLAVE SQL_THREAD")

    def seed(self, users: int, layout: str) -> dict:
        out = subprocess.run(
            [sys.executable, "-m", "tests.multinode.seed", str(users), layout],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
        )
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout.strip().splitlines()[-1])

    def access_log(self) -> str:
        return (self.base / "nginx" / "access.log").read_text()

    def start_replica(self) -> None:
        self.replica.start()
        self.replica.query("START SLAVE")


def _render_nginx(run_dir: Path) -> Path:
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    values = {
        "CINEMA_LISTEN": f"127.0.0.1:{EDGE_PORT}",
        "CINEMA_RUN_DIR": str(run_dir),
        "CINEMA_STATIC_ROOT": str(ROOT / "staticfiles"),
        "CINEMA_UPSTREAMS": " ".join(f"server 127.0.0.1:{p} max_fails=1 fail_timeout=1s;" for p in NODE_PORTS),
    }
    for key, value in values.items():
        text = text.replace("${" + key + "}", value)
    assert "${CINEMA_" not in text, "deploy/nginx.conf has a placeholder the tests do not fill"
    path = run_dir / "nginx.conf"
    path.write_text(text)
    return path


def _node_env(keys: tuple[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CACHE_", "THROTTLE_", "PYTEST"))}
    env.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": "multinode-test-secret-key-not-for-production-0123456789",
            "PAYMENT_WEBHOOK_SECRET": "multinode-test-webhook-secret",
            "JWT_PRIVATE_KEY": keys[0],
            "JWT_PUBLIC_KEY": keys[1],
            "DATABASE_URL": f"mysql://root@127.0.0.1:{PRIMARY_PORT}/cinema",
            "DATABASE_REPLICA_URLS": f"mysql://root@127.0.0.1:{REPLICA_PORT}/cinema",
            "REPLICA_PIN_SECONDS": str(PIN_SECONDS),
            "REPLICA_MAX_LAG_SECONDS": str(MAX_LAG_SECONDS),
            "CACHE_URL": REDIS_URL,
            "NUM_PROXIES": "1",
            "BEHIND_TLS_PROXY": "true",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "SECURE_HSTS_SECONDS": "0",
            "THROTTLE_ANON": "100000/min",
            "THROTTLE_USER": "100000/min",
            "THROTTLE_LOGIN": "10/min",
            "AXES_FAILURE_LIMIT": "5",
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "WEB_CONCURRENCY": "2",
            "GUNICORN_THREADS": "2",
            "CONN_MAX_AGE": "60",
        }
    )
    return env


def _run(cmd, env, what) -> None:
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        pytest.fail(f"{what} failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}", pytrace=False)


@pytest.fixture(scope="session")
def stack():
    for tool in ("mariadb-install-db", "nginx", "redis-cli"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing (make multinode-test installs it)", pytrace=False)
    if not Path(MARIADBD).exists():
        pytest.fail(f"{MARIADBD} is missing", pytrace=False)
    if subprocess.run(["redis-cli", "-n", "5", "FLUSHDB"], capture_output=True, text=True).stdout.strip() != "OK":
        pytest.fail("Redis at 127.0.0.1:6379 is not answering", pytrace=False)
    from cinema.keys import generate_key_pair

    base = Path(tempfile.mkdtemp(prefix="cinema-mn-"))
    primary = MariaDB("primary", PRIMARY_PORT, 1, base)
    replica = MariaDB("replica", REPLICA_PORT, 2, base)
    s = Stack(base=base, primary=primary, replica=replica, env=_node_env(generate_key_pair("RS256")))
    try:
        for db in (primary, replica):
            db.install()
            db.start()
            db.script(_users(), via_socket=True)
        replica.script(
            [
                f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={PRIMARY_PORT}, MASTER_USER='repl',"
                " MASTER_PASSWORD='repl', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1",
                "START SLAVE",
            ]
        )
        primary.query("CREATE DATABASE cinema CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", db=None)
        migrate_env = {k: v for k, v in s.env.items() if k != "DATABASE_REPLICA_URLS"}
        _run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], migrate_env, "migrate")
        _run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], migrate_env, "collectstatic")
        s.replica_caught_up(60)

        for port in NODE_PORTS:
            if not _port_free(port):
                pytest.fail(f"port {port} is taken", pytrace=False)
            log = base / f"node{port}.log"
            s.procs[port] = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "cinema.wsgi:application"],
                cwd=ROOT,
                env={**s.env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_PROC_NAME": f"cinema-mn-{port}"},
                stdout=log.open("w"),
                stderr=subprocess.STDOUT,
            )
        for port in NODE_PORTS:
            _wait(
                f"gunicorn node {port}",
                lambda p=port: call(p, "GET", "/health", timeout=2).status == 200,
                60,
                s.procs[port],
                base / f"node{port}.log",
            )

        run_dir = base / "nginx"
        run_dir.mkdir()
        if not _port_free(EDGE_PORT):
            pytest.fail(f"port {EDGE_PORT} is taken", pytrace=False)
        conf = _render_nginx(run_dir)
        # Workers as root here only because the temporary directory is root's.
        nginx = ["nginx", "-p", str(run_dir), "-c", str(conf), "-e", str(run_dir / "error.log")]
        test = subprocess.run([*nginx, "-t", "-g", "user root;"], capture_output=True, text=True)
        if test.returncode != 0:
            pytest.fail(f"nginx -t refused deploy/nginx.conf:\n{test.stderr}", pytrace=False)
        s.procs["nginx"] = subprocess.Popen(
            [*nginx, "-g", "daemon off; user root;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait("nginx", lambda: call(EDGE_PORT, "GET", "/health", timeout=2).status == 200, 20, s.procs["nginx"])
        yield s
    finally:
        for proc in s.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in s.procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        replica.stop()
        primary.stop()
        if os.environ.get("MULTINODE_KEEP") != "1":
            shutil.rmtree(base, ignore_errors=True)
