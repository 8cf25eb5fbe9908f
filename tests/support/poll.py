"""One readiness poll for the tests: ask until the answer is there, or fail naming what
never came. A poll, never a fixed sleep: it returns as soon as ``check`` holds."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def until(check: Callable[[], T], what: str, timeout: float = 60.0, every: float = 0.5) -> T:
    """``check()``'s first truthy answer, asked every ``every`` seconds; AssertionError
    naming ``what`` once ``timeout`` seconds have passed without one."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        time.sleep(every)
