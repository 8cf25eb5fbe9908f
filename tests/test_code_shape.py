"""The package stays a place the next engineer can find their way in (issue 15's limits):
no module over 400 lines, no class over 200, no ambient state, imports one way.

Counted with the same functions ``bench/code_shape.py`` reports with.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bench.code_shape import classes
from tests.conftest import REPO

PACKAGE = Path(REPO) / "plano_grafana"
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_MODULE_LINES = 400
MAX_CLASS_LINES = 200
#: What each folder may import of the package (its __init__ docstring says the same).
ALLOWED = {
    "model": {"model", "errors"},
    "build": {"model", "build", "errors"},
    "lint": {"model", "build", "lint", "errors"},
    "deploy": {"model", "build", "deploy", "errors"},
    "simulate": {"model", "simulate", "errors"},
    "preview": {"model", "build", "preview", "errors"},
    "doctor": {"model", "build", "lint", "preview", "doctor", "errors"},
}


def _rel(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_no_module_over_400_lines(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{_rel(path)} has {lines} lines"


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_no_class_over_200_lines(path):
    big = [(n, name) for n, name in classes(path) if n > MAX_CLASS_LINES]
    assert big == [], f"{_rel(path)}: {big}"


def test_no_ambient_state():
    """The config is passed as an argument: no context variables anywhere."""
    users = [_rel(p) for p in MODULES if re.search(r"\bcontextvars\b", p.read_text(encoding="utf-8"))]
    assert users == []


def _imports(path: Path) -> set[str]:
    """The first component under plano_grafana of every package import in ``path``."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = ([node.module] if isinstance(node, ast.ImportFrom) and node.module
                 else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
        for name in names:
            parts = name.split(".")
            if parts[0] == "plano_grafana" and len(parts) > 1:
                out.add(parts[1])
            elif parts[0] == "plano_grafana" and isinstance(node, ast.ImportFrom):
                out |= {a.name for a in node.names}
    return out


@pytest.mark.parametrize("folder", sorted(ALLOWED))
def test_imports_run_one_way(folder):
    wrong = {f"{_rel(p)} imports {name}" for p in (PACKAGE / folder).rglob("*.py")
             for name in _imports(p) - ALLOWED[folder]}
    assert not wrong, sorted(wrong)


def test_every_folder_says_what_it_may_import():
    for folder in ALLOWED:
        doc = ast.get_docstring(ast.parse((PACKAGE / folder / "__init__.py").read_text()))
        assert doc and "May import" in doc, f"{folder}/__init__.py"
