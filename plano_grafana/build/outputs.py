"""The one pipeline every generated artefact goes through: texts -> files -> drift.

Dashboards (``dashboards/*.json``), rules (``rules/*.yaml``), the Kubernetes folders
(``deploy/kubernetes/``), the import-format dashboards, provisioning files, the Prometheus
config and preview PNGs are all rendered completely in memory first; then

* each file goes to a temporary file in its folder and is renamed over the old one
  (:func:`write_bytes`), so an interrupted run never leaves half a file. A new file gets
  the mode ``open()`` would give it under the umask (``0666 & ~umask``: ``mkstemp``'s
  private 0600 would hide the rules from a Prometheus running as its own user); a file
  that is replaced keeps its mode. An unchanged file is not touched (its mtime stays).
* a folder that cannot be written (a path under a regular file, ``/proc``, a read-only
  mount, no permission) is one :class:`OutputError` line naming the path and the reason,
  raised before the first file of the folder is written.
* files in the folder that an earlier run wrote and that no longer come out of the build
  are removed, and only those: an output :class:`Kind` says which files it may own
  (``patterns``) and how to tell its own (``ours``: the generated-file marker).
* :func:`drift` is the unified diff ``check`` prints between the folder and a fresh build.

An output kind adds only what is its own: its patterns, its marker and its text.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import attr

from plano_grafana.errors import PlanoGrafanaError


class OutputError(PlanoGrafanaError):
    """A generated file or its folder cannot be written; the message names the path."""


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _umask() -> int:
    """The process umask, read without changing it where Linux allows (``/proc``)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode_for(path: Path) -> int:
    """The mode ``path`` keeps if it exists, else what ``open()`` would create it with."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~_umask()


def prepare_dir(folder: Path) -> None:
    """Create ``folder`` (and its parents) or say in one line why it cannot be."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"{folder}: cannot write there: it is a file, not a folder") from None
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create the folder: {_reason(exc)}") from None
    if not folder.is_dir():
        raise OutputError(f"{folder}: cannot write there: it is not a folder")


@contextlib.contextmanager
def prepared(folder: Path) -> Iterator[None]:
    """:func:`prepare_dir` up front (an unwritable folder fails before any work), and the
    folders it made removed again, if still empty, when the work inside fails."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]  # deepest first
    prepare_dir(folder)
    try:
        yield
    except BaseException:
        for made in missing:
            try:
                made.rmdir()
            except OSError:
                break
        raise


def write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically, keeping its mode (or the umask's)."""
    prepare_dir(path.parent)
    if path.is_dir():
        raise OutputError(f"{path}: cannot write it: it is a folder")
    mode = _mode_for(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write it: {_reason(exc)}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot write it: {_reason(exc)}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    """:func:`write_bytes` of UTF-8 text."""
    write_bytes(path, text.encode("utf-8"))


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def replace_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` unless it already holds exactly that; True if written."""
    if path.is_file() and _read(path) == text:
        return False
    write_text(path, text)
    return True


@attr.s(frozen=True)
class Kind:
    """What one output kind adds to the pipeline.

    ``patterns``: globs, relative to the output folder, of the files this kind may own
    (``*.json``; ``*/*.yaml`` for nested folders). ``ours``: whether a file's text carries
    this kind's generated-file marker; only such files are ever removed.
    """

    patterns: tuple[str, ...] = attr.ib(converter=tuple)
    ours: Callable[[str], bool] = attr.ib()


def header_marker(prefix: str) -> Callable[[str], bool]:
    """``ours`` for text formats whose generated files begin with ``prefix`` (YAML)."""
    return lambda text: text.startswith(prefix)


@attr.s(frozen=True)
class Written:
    """What :func:`write` changed in the output folder (relative paths, sorted)."""

    written: list[str] = attr.ib(factory=list)
    removed: list[str] = attr.ib(factory=list)


def stale(out_dir: Path, names: Iterable[str], kind: Kind) -> list[str]:
    """Files in ``out_dir`` that carry ``kind``'s marker and that no longer come out of
    the build (``names``): what a build removes. Anything without the marker stays."""
    if not out_dir.is_dir():
        return []
    keep = set(names)
    found = {p.relative_to(out_dir).as_posix() for pattern in kind.patterns
             for p in out_dir.glob(pattern) if p.is_file()}
    return sorted(name for name in found - keep if (text := _read(out_dir / name)) is not None
                  and kind.ours(text))


def write(out_dir: Path, texts: Mapping[str, str], kind: Kind) -> Written:
    """Make ``out_dir`` hold ``texts`` (relative path -> text) and remove this kind's stale
    files; files already up to date are not touched, other files are left alone."""
    prepare_dir(out_dir)
    for folder in sorted({(out_dir / name).parent for name in texts}):
        prepare_dir(folder)  # every folder first: one that cannot be made fails before a write
    result = Written()
    for name, text in sorted(texts.items()):
        if replace_if_changed(out_dir / name, text):
            result.written.append(name)
    for name in stale(out_dir, texts, kind):
        try:
            (out_dir / name).unlink()
        except OSError as exc:
            raise OutputError(f"{out_dir / name}: cannot remove it: {_reason(exc)}") from None
        result.removed.append(name)
    return result


def drift(out_dir: Path, texts: Mapping[str, str], kind: Kind) -> list[str]:
    """Unified diffs between ``out_dir`` and what :func:`write` would leave there; empty
    when up to date. Files a build would not touch (no marker, not produced) are skipped."""
    return diffs(out_dir, texts, stale(out_dir, texts, kind))


def diffs(out_dir: Path, texts: Mapping[str, str], also: Iterable[str] = ()) -> list[str]:
    """Unified diffs between the files in ``out_dir`` and the ``texts`` a build would write
    there; ``also`` names files on disk the build would remove (compared with nothing)."""
    out = []
    for name in sorted({*texts, *also}):
        path = out_dir / name
        old = (_read(path) or "") if path.is_file() else ""
        new = texts.get(name, "")
        if old != new:
            out.append("".join(difflib.unified_diff(
                old.splitlines(keepends=True), new.splitlines(keepends=True),
                fromfile=f"{path} (on disk)", tofile=f"{path} (fresh build)")))
    return out
