"""SIGINT and SIGTERM during a deploy: stop starting writes, let the running ones finish.

Killing a deploy mid-write would leave no record of what it had done (a CI log showed
only "Aborted!"). While :func:`stopping` is active the first signal only sets the event
the apply checks before each write; requests in flight finish (the client timeout bounds
them), and the caller reports what was done. A second signal interrupts at once.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: The exit code of a deploy stopped by a signal (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130


@contextlib.contextmanager
def stopping(stop: threading.Event) -> Iterator[threading.Event]:
    """Within the block, SIGINT/SIGTERM set ``stop`` (a second one raises
    KeyboardInterrupt); the previous handlers come back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield stop  # signal handlers can only be set from the main thread
        return

    def handler(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = {s: signal.signal(s, handler) for s in SIGNALS}
    try:
        yield stop
    finally:
        for s, old in previous.items():
            signal.signal(s, old)
