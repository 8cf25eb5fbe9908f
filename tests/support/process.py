"""Start a server binary for a test, wait until it says it is ready, stop it by PID.

Prometheus and Alertmanager both answer ``GET /-/ready``; both are started with their log
in a file, and stopped with terminate, then kill after a bounded wait.
"""

from __future__ import annotations

import subprocess
import time
import urllib.request
from pathlib import Path


def start(name: str, argv: list[str], log: Path, ready_url: str,
          timeout: float = 30) -> subprocess.Popen:
    """Run ``argv`` with its output in ``log``; return once ``ready_url`` answers 200."""
    with open(log, "wb") as handle:
        proc = subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(ready_url, timeout=1) as r:
                if r.status == 200:
                    return proc
        except OSError:
            pass
        time.sleep(0.2)
    stop(proc)
    raise RuntimeError(f"{name} not ready within {timeout}s")


def stop(proc: subprocess.Popen | None) -> None:
    """Terminate, and kill if it has not ended within 10 s."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
