import os
import signal


def stop_on_signals(loop) -> None:
    """SIGTERM (and Ctrl-C) ask the loop to finish its current step and exit 0."""
    signal.signal(signal.SIGTERM, loop.stop)
    signal.signal(signal.SIGINT, loop.stop)


def yield_cpu(niceness: int) -> int:
    """Lower this process's CPU priority by ``niceness`` (0: leave it), so
    background work gives way to the web workers when the cores are busy and
    catches up when they are not. Besides ``os.nice``, on Linux the process's
    autogroup is niced too (``/proc/self/autogroup``): with autogroup
    scheduling, which most distributions enable, a process started in its own
    session (a service, a Procfile entry) competes as a group of its own, and
    its plain nice value only ranks it against its own session. The group is
    only niced when this process leads its session, so the group is its own (a
    relay started from a shell leaves the shell alone). Returns the nice value
    now in force."""
    if niceness <= 0:
        return os.nice(0)
    now = os.nice(niceness)
    if os.getsid(0) != os.getpid():
        return now
    try:
        with open("/proc/self/autogroup", "w") as fh:
            fh.write(str(min(now, 19)))
    except OSError:
        pass  # no autogroup scheduling here (not Linux, or not enabled): os.nice is all there is
    return now
