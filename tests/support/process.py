"""Start a server binary for a test, wait until it says it is ready, stop it by PID.

Prometheus and Alertmanager both answer ``GET /-/ready``; both are started with their log
in a file, and stopped with terminate, then kill after a bounded wait.
"""

from __future__ import annotations

import subprocess
import urllib.request
from pathlib import Path

from tests.support import poll


def start(name: str, argv: list[str], log: Path, ready_url: str,
          timeout: float = 30) -> subprocess.Popen:
    """Run ``argv`` with its output in ``log``; return once ``ready_url`` answers 200."""
    with open(log, "wb") as handle:
        proc = subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT)

    def ready() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(ready_url, timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    try:
        poll.until(ready, f"{name} ready at {ready_url}", timeout, every=0.2)
    except AssertionError:
        stop(proc)
        raise
    return proc


def stop(proc: subprocess.Popen | None) -> None:
    """Terminate, and kill if it has not ended within 10 s."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
