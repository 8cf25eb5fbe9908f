"""SIGINT and SIGTERM during a deploy or a plan: a record of what was done, exit 130.

Killing a deploy mid-write would leave no record of what it had done (a CI log showed
only "Aborted!"). Two phases, two behaviours:

* While reading Grafana and planning (:func:`abandoning`) nothing has been written, so a
  signal abandons the run at once: no further read starts, :class:`Interrupted` is raised
  in the main thread, and the command says that nothing was written.
* While writing (:func:`stopping`) the first signal only sets the event the apply checks
  before each write; requests in flight finish (the client timeout bounds them), and the
  caller reports what was done. A second signal interrupts at once.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator

SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: The exit code of a deploy stopped by a signal (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130


class Interrupted(Exception):
    """A signal arrived before the first write: nothing was changed."""


@contextlib.contextmanager
def _handling(handler: Callable) -> Iterator[None]:
    """``handler`` for SIGINT and SIGTERM within the block, the previous ones afterwards.
    Off the main thread (where handlers cannot be set) the block runs unchanged."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, handler) for s in SIGNALS}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


@contextlib.contextmanager
def stopping(stop: threading.Event) -> Iterator[threading.Event]:
    """Within the block, SIGINT/SIGTERM set ``stop`` (a second one raises
    KeyboardInterrupt); the previous handlers come back afterwards."""
    def handler(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    with _handling(handler):
        yield stop


@contextlib.contextmanager
def abandoning(stop: threading.Event) -> Iterator[None]:
    """Within the block (nothing written yet), SIGINT/SIGTERM set ``stop``, so the client
    starts no further request, and raise :class:`Interrupted` naming the signal."""
    def handler(signum, frame):
        stop.set()
        raise Interrupted(signal.Signals(signum).name)

    with _handling(handler):
        yield
