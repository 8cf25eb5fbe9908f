"""Run the command line in-process (click's runner) with a clean Grafana environment, and
the two shapes a refusal takes: click's usage error, and the package's one-line error.

:func:`run` is ``plano-grafana ARGS`` as a user types it in a shell (a working directory,
an environment, ``PYTHONPATH``, a umask) without a fresh interpreter each time: those
were two thirds of the fast suite's CPU. Tests whose subject is the process itself
(signals, a terminal, start-up imports, another user or mount namespace) still start one.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import traceback
from collections.abc import Iterator, Mapping
from pathlib import Path

import attr
from click.testing import CliRunner

from plano_grafana.cli import main
from tests.conftest import REPO

#: Settings a developer's shell may hold that must not leak into a test.
CLEAN_ENV = {"GRAFANA_URL": None, "GRAFANA_TOKEN": None, "GRAFANA_VERIFY": None,
             "GRAFANA_TIMEOUT": None, "GRAFANA_RETRIES": None, "GRAFANA_ORG_ID": None,
             "GRAFANA_CA_BUNDLE": None, "PROMETHEUS_URL": None}


def invoke(*args: str, **env: str):
    """Run ``plano-grafana ARGS`` with a clean Grafana environment; any exception but
    click's exit fails the test, and no traceback may reach the user."""
    result = CliRunner().invoke(main, list(args), env={**CLEAN_ENV, **env})
    _no_traceback(result)
    assert "Traceback" not in result.stderr
    return result


def usage_error(result, option: str, rule: str) -> None:
    """Exit 2 and exactly one ``Error:`` line, naming ``option`` and saying ``rule``."""
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert result.exit_code == 2, result.output
    assert len(errors) == 1 and f"'{option}'" in errors[0] and rule in errors[0], result.stderr


def one_line_error(result, *words: str) -> str:
    """Exit 1 and a single ``plano-grafana: error:`` line holding every word; the line."""
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 1, result.output
    assert len(lines) == 1 and lines[0].startswith("plano-grafana: error:"), result.stderr
    assert all(w in lines[0] for w in words), lines[0]
    return lines[0]


def without(*prefixes: str) -> dict[str, None]:
    """An ``env`` for :func:`run` that unsets every variable starting with a prefix (a
    developer's ``GRAFANA_URL`` must not reach a test's run)."""
    return {k: None for k in os.environ if k.startswith(prefixes)}


@attr.s(frozen=True)
class Ran:
    """What a run printed and returned (the shape of ``subprocess.run``'s result)."""

    returncode: int = attr.ib()
    stdout: str = attr.ib()
    stderr: str = attr.ib()


def run(*args: str, cwd: str | Path = REPO, env: Mapping[str, str | None] | None = None,
        umask: int | None = None) -> Ran:
    """``plano-grafana ARGS`` in this process: ``env`` changes the environment (None
    removes a variable), its ``PYTHONPATH`` leads ``sys.path``, ``cwd`` and ``umask`` hold
    for the run only; an escaped exception fails the test (:func:`_no_traceback`)."""
    environ = dict(env or {})
    # ``python -m plano_grafana`` puts the working directory first on the path
    path = [str(cwd), *(p for p in (environ.pop("PYTHONPATH", None) or "").split(os.pathsep) if p)]
    with contextlib.chdir(cwd), _python_path(path), _umask(umask):
        ran = CliRunner().invoke(main, list(args), env=environ)
    _no_traceback(ran)
    return Ran(ran.exit_code, ran.stdout, ran.stderr)


def _no_traceback(result) -> None:
    """Any exception but click's exit is a traceback the user would have seen: it fails
    the test, with that traceback."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = "".join(traceback.format_exception(result.exception))
        raise AssertionError(f"the command raised (a user would see a traceback):\n{trace}")


@contextlib.contextmanager
def _umask(mask: int | None) -> Iterator[None]:
    old = os.umask(mask) if mask is not None else None
    try:
        yield
    finally:
        if old is not None:
            os.umask(old)


@contextlib.contextmanager
def _python_path(entries: list[str]) -> Iterator[None]:
    """``PYTHONPATH`` for one run: the entries lead ``sys.path``, and modules imported from
    them are forgotten afterwards, so the next test's file of the same name is read
    afresh, as a new interpreter would."""
    extra = [e for e in dict.fromkeys(str(Path(p).resolve()) for p in entries) if e not in sys.path]
    sys.path[:0] = extra
    importlib.invalidate_caches()
    try:
        yield
    finally:
        del sys.path[:len(extra)]
        for name, module in list(sys.modules.items()):
            origin = getattr(module, "__file__", None) or ""
            if any(origin.startswith(e + os.sep) for e in extra):
                del sys.modules[name]
