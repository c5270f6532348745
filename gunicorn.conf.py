"""Gunicorn settings for production, `make bench` and the Docker image.

Use it with `gunicorn -c gunicorn.conf.py cinema.wsgi:application`. Every value
comes from the environment so one file serves every place; command-line flags
still win over it. The defaults were chosen by measuring on a 2-core machine
(see docs/performance.md): threaded workers, because a request in a ticket rush
spends much of its time waiting on MariaDB row locks and a sync worker would
sit idle through that wait while other clients queue.
"""

import ctypes
import ctypes.util
import os
import shutil
import tempfile


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


bind = os.environ.get("GUNICORN_BIND") or f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"

# Worker processes: about one per core (gunicorn's own WEB_CONCURRENCY name).
workers = _int("WEB_CONCURRENCY", 2)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
# Threads per worker; each holds at most one persistent DB connection
# (CONN_MAX_AGE), so workers x threads is the app's MariaDB connection budget.
# 2: the work is CPU-bound, so more threads only fight over the GIL (the rush
# took 1.3-1.7 s with 2 against 1.7-1.9 s with 3 or 4, and 8 or 16 were worse
# still), and each thread adds its own malloc arena to the worker's RSS (about
# 88 MB per worker with 2 threads, 95-98 MB with 4). 1 thread left the CPU idle
# while requests waited on MariaDB.
threads = _int("GUNICORN_THREADS", 2)
backlog = _int("GUNICORN_BACKLOG", 2048)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Open connections per worker (keep-alive ones included). Past it a worker stops
# accepting and clients wait in the kernel's backlog in silence, so it is sized
# for a crowd; overload is answered by cinema/overload.py's fast 503 instead.
worker_connections = _int("GUNICORN_WORKER_CONNECTIONS", 4000)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)

# Recycle a worker after this many requests (0 = never); a guard against slow
# leaks, with jitter so workers do not restart together.
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 50)

# One listening socket per worker (SO_REUSEPORT), so the kernel spreads new
# connections over the workers. With one shared socket, whichever worker is
# awake first accepts a burst of keep-alive connections and keeps them: the
# bench saw one worker serve all 100 browse connections while the other idled.
reuse_port = os.environ.get("GUNICORN_REUSE_PORT", "true").lower() in {"1", "true", "yes"}

preload_app = os.environ.get("GUNICORN_PRELOAD", "false").lower() in {"1", "true", "yes"}

# Gunicorn's control socket lives at one fixed path by default, so a second
# gunicorn on the same machine (a bench next to `make run`) would fight over
# it. Off unless a path is given.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True

accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None  # "-" for stdout
# Gunicorn's combined format plus the duration and the response's X-Request-ID.
# (LOG_LEVEL=INFO gives the same per request from Django, in LOG_FORMAT's format.)
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms request_id=%({x-request-id}o)s'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "warning")
proc_name = os.environ.get("GUNICORN_PROC_NAME", "cinema")


def _malloc_tuning() -> None:
    """Give big freed blocks back to the OS (glibc only; a no-op elsewhere).

    glibc raises its mmap threshold each time a large mmap'd block is freed
    (up to 32 MB), after which such blocks come from the heap and stay in the
    worker's RSS when freed. An Argon2 hash allocates 19 MiB: after a login
    burst each worker kept ~30-40 MB it no longer used (docs/performance.md).
    Setting the threshold explicitly turns that adjustment off, so blocks over
    128 KiB are mmap'd and returned on free. Runs in the master before it
    forks, so the workers inherit it. GUNICORN_MALLOC_TUNING=false skips it.
    """
    if os.environ.get("GUNICORN_MALLOC_TUNING", "true").lower() not in {"1", "true", "yes"}:
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    m_mmap_threshold = -3
    mallopt(m_mmap_threshold, _int("GUNICORN_MMAP_THRESHOLD", 128 * 1024))


_malloc_tuning()


# Prometheus multiprocess mode: each worker writes its figures to files in this
# folder and /metrics sums them, so a scrape answered by any worker sees them all.
# It must be in the environment before a worker imports prometheus_client, which
# is why it is set here, in the master, before the fork. Without one given, each
# gunicorn gets a private folder (two on one machine must not share one).
_metrics_dir_given = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
if not _metrics_dir_given:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="cinema-metrics-")


def on_starting(server):
    """Start from zero: files left by an earlier master would be summed in."""
    path = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        if name.endswith(".db"):
            os.remove(os.path.join(path, name))


def post_worker_init(worker):
    """Let the load shedder see this worker's queue (cinema/overload.py)."""
    from cinema import overload

    overload.watch_gunicorn_worker(worker)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if not _metrics_dir_given:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
