"""A RabbitMQ node of a test's own: its own node name, AMQP and distribution
ports, Erlang cookie, data and log directories, so stopping it never touches
the shared broker on 5672 that the other tests (and other xdist workers) use.

It runs the installed ``rabbitmq-server`` in the foreground as a child
process (so a finaliser can always kill what it started) and is stopped with
``rabbitmqctl stop``, which shuts the broker down as an operator would: every
connection is closed, the process exits, and durable queues with their
persistent messages come back from disk on the next start."""

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

# Debian's /usr/sbin/rabbitmq-server is a wrapper that su's to the rabbitmq
# user (whose cookie and home it imposes); the real scripts are beside it.
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/lib/rabbitmq/bin"])


class RabbitMissing(RuntimeError):
    pass


def _script(name: str) -> str:
    found = shutil.which(name, path=SEARCH_PATH)
    if found is None:
        raise RabbitMissing(
            f"{name} is not installed: the broker-restart test starts a RabbitMQ node of its own "
            "(.ci/run installs it: apt-get install rabbitmq-server)."
        )
    real = Path(found).resolve()
    if real.name == "rabbitmq-script-wrapper":
        return str(real.parent / name)
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class RabbitNode:
    def __init__(self, base: Path):
        self.server = _script("rabbitmq-server")
        self.ctl = _script("rabbitmqctl")
        self.base = base
        self.name = f"cinema-{uuid.uuid4().hex[:12]}@localhost"
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        home = base / "home"
        home.mkdir(parents=True)
        cookie = home / ".erlang.cookie"
        cookie.write_text(uuid.uuid4().hex.upper())
        cookie.chmod(0o400)
        (base / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.port}\ndisk_free_limit.absolute = 1MB\n"
        )
        (base / "enabled_plugins").write_text("[].\n")  # no management plugin: a faster start
        (base / "rabbitmq-env.conf").write_text("")  # not /etc/rabbitmq's (its NODENAME)
        self.env = {
            **os.environ,
            "HOME": str(home),  # the cookie, for the server and rabbitmqctl alike
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"),
            "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_PID_FILE": str(base / "rabbit.pid"),
            "RABBITMQ_PLUGINS_EXPAND_DIR": str(base / "plugins-expand"),
        }

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"

    def ctl_run(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
        return subprocess.run(
            [self.ctl, "-n", self.name, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self, *, timeout: float = 30) -> float:
        """Start the node and return once it accepts AMQP connections (seconds taken)."""
        started = time.monotonic()
        with open(self.base / "server.out", "a") as out:
            self.process = subprocess.Popen(
                [self.server],
                env=self.env,
                cwd=self.base,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C of the test run is the finaliser's to handle
            )
        deadline = started + timeout
        # `rabbitmqctl wait` waits for the pid file, then for the broker to boot.
        while True:
            left = deadline - time.monotonic()
            if self.process.poll() is not None:
                raise AssertionError(f"rabbitmq-server exited with {self.process.returncode}: {self.output()}")
            if left <= 0:
                raise AssertionError(f"RabbitMQ node {self.name} did not start in {timeout} s: {self.output()}")
            result = self.ctl_run(
                "wait", str(self.base / "rabbit.pid"), "--timeout", str(int(left) + 1), timeout=left + 5
            )
            if result.returncode == 0 and port_open(self.port):
                return time.monotonic() - started
            time.sleep(0.2)

    def stop(self, *, timeout: float = 30) -> float:
        """Stop the broker (``rabbitmqctl stop``) and wait for its process to
        exit; return the seconds taken."""
        started = time.monotonic()
        if self.process is None or self.process.poll() is not None:
            return 0.0
        result = self.ctl_run("stop", timeout=timeout)
        try:
            self.process.wait(timeout=max(1.0, timeout - (time.monotonic() - started)))
        except subprocess.TimeoutExpired:
            raise AssertionError(f"rabbitmqctl stop did not stop {self.name}: {result.stdout}{result.stderr}") from None
        return time.monotonic() - started

    def kill(self) -> None:
        """The finaliser: stop the node, and kill its process group if it will not go."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            self.stop(timeout=15)
        except (AssertionError, subprocess.TimeoutExpired):
            pass
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def output(self) -> str:
        path = self.base / "server.out"
        return path.read_text()[-3000:] if path.exists() else ""
