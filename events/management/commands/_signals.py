import signal


def stop_on_signals(loop) -> None:
    """SIGTERM (and Ctrl-C) ask the loop to finish its current step and exit 0."""
    signal.signal(signal.SIGTERM, loop.stop)
    signal.signal(signal.SIGINT, loop.stop)
