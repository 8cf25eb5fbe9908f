"""The one promtool runner: Prometheus's own parser and rule checks, for both linters.

Dashboards hand every expression to ``promtool check rules`` as one recording rule per
target; rule files are checked as Prometheus will load them. Either way the files go to a
temporary folder and promtool runs once for all of them; its error lines start with the
file's path, which is how each line finds its file again.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from plano_grafana.errors import PlanoGrafanaError


def path() -> str | None:
    """promtool from ``PROMTOOL_BIN`` or PATH; None when neither has one."""
    configured = os.environ.get("PROMTOOL_BIN")
    return shutil.which(configured) if configured else shutil.which("promtool")


def require() -> str:
    """promtool's path, or the one refusal that says how to get it."""
    found = path()
    if not found:
        raise PlanoGrafanaError("promtool not found (install Debian's 'prometheus' package or "
                                "set PROMTOOL_BIN); the lint's PromQL and rule-file checks "
                                "need it")
    return found


def check_rules(promtool: str, files: Mapping[str, str]) -> dict[str, list[str]]:
    """``promtool check rules`` on ``files`` (name -> YAML text); name -> its error lines
    (without the path) for every file that fails. A failure no line names is refused."""
    if not files:
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name, text in files.items():
            file = Path(tmp) / name
            file.write_text(text, encoding="utf-8")
            paths[str(file)] = name
        proc = subprocess.run([promtool, "check", "rules", *paths], capture_output=True,
                              text=True, timeout=120)
    if proc.returncode == 0:
        return {}
    errors: dict[str, list[str]] = {}
    for line in (proc.stdout + proc.stderr).splitlines():
        file, sep, message = line.partition(": ")
        if sep and file in paths and message.strip():
            errors.setdefault(paths[file], []).append(message.strip())
    if not errors:
        last = (proc.stdout + proc.stderr).strip().splitlines()[-1:]
        raise PlanoGrafanaError(f"promtool check rules failed: {last}")
    return {name: list(dict.fromkeys(lines)) for name, lines in errors.items()}
