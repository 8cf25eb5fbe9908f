"""Importing user-written modules (dashboards, rules) with errors that name file and line.

A dashboard or rule module is code its author runs through ``plano-grafana``; a mistake in
it must come back as one line naming the module and the line its author wrote, never a
traceback. :func:`run_module` is the one place both compilers import and call such modules.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sysconfig
import traceback
from collections.abc import Callable
from types import ModuleType
from typing import TypeVar

from plano_grafana.errors import PlanoGrafanaError

T = TypeVar("T")


class ModuleError(PlanoGrafanaError):
    """A module failed to import or build; the message names it (and file:line)."""


def run_module(module_path: str, label: str, use: Callable[[ModuleType], T],
        error: type[ModuleError] = ModuleError) -> T:
    """Import ``module_path`` and return ``use(module)``; any failure is one ``error`` line
    starting with ``label`` (e.g. ``dashboard module teamx.overview``), with the file and
    line of the error in the module's code where there is one."""
    try:
        spec = importlib.util.find_spec(module_path)
    except (ImportError, ValueError) as exc:
        raise error(f"{label}: cannot import it: {exc}") from None
    except Exception as exc:  # its parent package failed while being imported
        raise error(f"{label}: {type(exc).__name__}: {exc}{where(exc, None)}") from None
    if spec is None:
        raise error(f"{label}: no such module (is its folder on the Python path, e.g. the "
                    "current directory?)")
    try:
        return use(importlib.import_module(module_path))
    except PlanoGrafanaError:
        raise
    except Exception as exc:  # user code: report, don't trace
        raise error(f"{label}: {type(exc).__name__}: {exc}{where(exc, spec.origin)}") from None


_LIBRARY_DIRS = tuple({os.path.realpath(sysconfig.get_paths()[k]) + os.sep
                       for k in ("stdlib", "platstdlib", "purelib", "platlib")})
#: The pipeline's own files, never "the line the author wrote".
_PIPELINE = frozenset(os.path.realpath(os.path.join(os.path.dirname(__file__), name))
                      for name in ("modules.py", "compiler.py", "rules_compiler.py"))


def where(exc: BaseException, origin: str | None) -> str:
    """`` (at file:line)`` of the line in user code that raised ``exc``, or "".

    The module's own file wins (the line its author wrote); then any other frame outside
    the standard library, site-packages and the pipeline (a helper of theirs); a syntax
    error names its own position.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    real = os.path.realpath
    own = [f for f in frames if origin and real(f.filename) == real(origin)]
    user = [f for f in frames if not real(f.filename).startswith(_LIBRARY_DIRS)
            and real(f.filename) not in _PIPELINE and not f.filename.startswith("<")]
    if isinstance(exc, SyntaxError) and exc.filename:
        filename, line = exc.filename, exc.lineno
    elif own or user:
        frame = (own or user)[-1]
        filename, line = frame.filename, frame.lineno
    else:
        return ""
    here = real(os.getcwd()) + os.sep
    if real(filename).startswith(here):
        filename = os.path.relpath(real(filename), here)
    return f" (at {filename}:{line})"
