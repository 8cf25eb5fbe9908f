"""The code's shape, for the restructure's before/after: module and class sizes, fixed
sleeps in the tests, ambient state.

    python bench/code_shape.py [ROOT]

Counts, not timings: the numbers mean the same on any machine. ``tests/test_code_shape.py``
holds the package to the limits (no module over 400 lines, no class over 200, no
contextvars); this script reports the whole picture, tests included.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def classes(path: Path) -> list[tuple[int, str]]:
    """(lines, name) of every class in a module, nested ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(node.end_lineno - node.lineno + 1, node.name) for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef)]


def sleeps(path: Path) -> list[tuple[int, str]]:
    """``time.sleep(<constant>)`` calls: fixed waits (a poll's short back-off counts too,
    so the report lists them with their argument for a reader to judge)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "sleep"):
            out.append((node.lineno, ast.unparse(node.args[0]) if node.args else ""))
    return out


def main(root: Path) -> None:
    package = sorted((root / "plano_grafana").rglob("*.py"))
    sizes = sorted(((len(p.read_text(encoding="utf-8").splitlines()), p.relative_to(root))
                    for p in package), reverse=True)
    print(f"modules in plano_grafana/: {len(sizes)}, lines {sum(n for n, _ in sizes)}")
    print("largest modules:", ", ".join(f"{p} {n}" for n, p in sizes[:6]))
    print("modules over 400 lines:", [f"{p} {n}" for n, p in sizes if n > 400] or "none")
    big = sorted(((n, f"{p.relative_to(root)}:{name}") for p in package for n, name in classes(p)),
                 reverse=True)
    print("largest classes:", ", ".join(f"{w} {n}" for n, w in big[:5]))
    tests = sorted((root / "tests").rglob("*.py"))
    tbig = sorted(((len(p.read_text(encoding="utf-8").splitlines()), p.relative_to(root))
                   for p in tests), reverse=True)
    print("largest test modules:", ", ".join(f"{p} {n}" for n, p in tbig[:4]))
    found = [(p.relative_to(root), line, arg) for p in tests for line, arg in sleeps(p)]
    print(f"sleep calls in tests/: {len(found)}")
    for path, line, arg in found:
        print(f"  {path}:{line} sleep({arg})")
    ambient = [str(p.relative_to(root)) for p in package
               if "contextvars" in p.read_text(encoding="utf-8")]
    print("modules using contextvars:", ambient or "none")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]))
