"""A py-spy profile of the app under wrk (bench/run.py, when a seat-map budget is missed or BENCH_PROFILE=1)."""

import os
import time
from collections import Counter
from collections.abc import Callable

from bench.harness import BIN, PROFILE_PORT, RESULTS, ROOT, Server, log, wrk


# --------------------------------------------------------------------------
# profile
# --------------------------------------------------------------------------
def profile(name: str, env: dict, paths: list[str], auth: str = "", etag: str = "") -> str | None:
    """Serve the app under `py-spy record` on its own port, load it with wrk,
    and keep the top of the profile (inclusive share per function)."""

    def load() -> None:
        wrk(PROFILE_PORT, paths, conns=32, duration=2, auth=auth, etag=etag)  # warm up
        wrk(PROFILE_PORT, paths, conns=32, duration=8, auth=auth, etag=etag)

    return profile_under(name, env, load)


def profile_under(name: str, env: dict, load: Callable[[], None]) -> str | None:
    """Serve the app under `py-spy record` on PROFILE_PORT while ``load()``
    drives it; write the top of the profile and return its path."""
    spy = BIN / "py-spy"
    if not spy.exists():
        log("py-spy is not installed; no profile")
        return None
    raw = RESULTS / f"profile-{name}.txt"
    raw.unlink(missing_ok=True)
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
            # BENCH_PROFILE_WALL=1: every thread's every sample, waiting or not
            # (where the time goes), instead of the GIL holder's (where the CPU goes).
            "--idle" if os.environ.get("BENCH_PROFILE_WALL") else "--gil",
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
        load()
    finally:
        server.stop()
    for _ in range(50):
        if raw.exists():
            break
        time.sleep(0.2)
    if not raw.exists():
        log(f"py-spy wrote no profile; see {server.log_path}")
        return None
    summary = RESULTS / f"profile-{name}-top.txt"
    summary.write_text(summarize(raw.read_text()))
    log(f"profile of {name}: {summary}")
    return str(summary.relative_to(ROOT))


def summarize(raw: str, lines_kept: int = 60) -> str:
    """py-spy's raw stacks as the inclusive share of each function, over the
    samples of request-handling threads that hold the GIL."""
    inclusive: Counter = Counter()
    total = 0
    for line in raw.splitlines():
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
    top = [(f, n) for f, n in inclusive.most_common(400) if not any(x in f for x in noise)][:lines_kept]
    lines = [f"{100 * n / total:5.1f}%  {func}" for func, n in top] if total else []
    return f"{total} samples holding the GIL in request handling (share of them, inclusive)\n" + "\n".join(lines) + "\n"
