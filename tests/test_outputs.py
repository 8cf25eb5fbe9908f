"""The one artefact writer (build/outputs.py) through every command that writes files.

Issue 20, item 1: generated files were written 0600 (``mkstemp``'s mode), so a Prometheus
running as its own user could not read regenerated rules. New files get the umask's mode,
a replaced file keeps its own. Item 4: an output that cannot be written was a traceback;
it is one line naming the path and the reason, exit 1, and nothing half-written.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from plano_grafana.build import outputs
from tests.conftest import REPO
from tests.support.cli import Ran, run


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def public_dir():
    """A folder another user can enter (pytest's tmp_path is 0700 all the way up)."""
    folder = Path(tempfile.mkdtemp(prefix="plano-grafana-modes-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def test_issue_repro_rules_keep_their_mode_and_nobody_can_read_them(public_dir, promtool):
    """The repro of issue 20: 0644 rule files, one edited, regenerated with `rules --out`."""
    for source in (Path(REPO) / "rules").glob("*.yaml"):
        shutil.copy(source, public_dir / source.name)
        (public_dir / source.name).chmod(0o644)
    with (public_dir / "alerts.yaml").open("a") as handle:
        handle.write("# x\n")
    result = run("rules", "--out", str(public_dir))
    assert result.returncode == 0, result.stderr
    assert f"wrote {public_dir / 'alerts.yaml'}" in result.stdout  # it was really replaced
    assert {p.name: mode(p) for p in public_dir.glob("*.yaml")} == \
        {p.name: 0o644 for p in public_dir.glob("*.yaml")}
    if shutil.which("su") is None or os.geteuid() != 0:
        pytest.skip("the permission check runs promtool as 'nobody', which needs root and su")
    check = subprocess.run(["su", "-s", "/bin/sh", "nobody", "-c",
                            f"{promtool} check rules {public_dir / 'alerts.yaml'}"],
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.parametrize("umask, expected", [(0o022, 0o644), (0o027, 0o640)])
def test_new_files_get_the_umasks_mode(tmp_path, umask, expected):
    """build, rules, prometheus-config -o, k8s and provisioning, as `open()` would create them."""
    assert run("rules", "--out", str(tmp_path / "rules"), umask=umask).returncode == 0
    assert run("provisioning", "--out", str(tmp_path / "prov"), umask=umask).returncode == 0
    assert run("prometheus-config", "-o", str(tmp_path / "prom.yml"), umask=umask).returncode == 0
    assert run("build", "--out", str(tmp_path / "dash"), umask=umask).returncode == 0
    assert run("k8s", "--out", str(tmp_path / "k8s"), umask=umask).returncode == 0
    files = [*(tmp_path / "rules").glob("*.yaml"), tmp_path / "prom.yml",
             *(tmp_path / "dash").glob("*.json"), *(tmp_path / "k8s").glob("*/*.yaml"),
             *(p for p in (tmp_path / "prov").rglob("*") if p.is_file())]
    assert len(files) > 20
    assert {str(p): oct(mode(p)) for p in files} == {str(p): oct(expected) for p in files}


def test_a_replaced_file_keeps_its_mode(tmp_path):
    out = tmp_path / "dash"
    assert run("build", "--out", str(out)).returncode == 0
    target = out / "plano-spend.json"
    target.write_text(target.read_text() + " ")
    target.chmod(0o640)
    result = run("build", "--out", str(out), umask=0o077)
    assert f"wrote {target}" in result.stdout
    assert mode(target) == 0o640
    assert mode(out / "plano-routing.json") == 0o644  # untouched: neither rewritten nor chmod-ed


def test_writer_keeps_mode_of_preview_pngs_and_leaves_no_temporary_file(tmp_path):
    """preview's PNGs and manifest go through the same writer (write_bytes)."""
    png = tmp_path / "plano-spend.png"
    outputs.write_bytes(png, b"one")
    assert mode(png) == 0o666 & ~outputs._umask()
    png.chmod(0o604)
    outputs.write_bytes(png, b"two")
    assert png.read_bytes() == b"two" and mode(png) == 0o604
    assert [p.name for p in tmp_path.iterdir()] == ["plano-spend.png"]


#: Every command that writes, and the flag that names where.
WRITERS = {
    "build": ("build", "--out", "{}"),
    "rules": ("rules", "--out", "{}"),
    "provisioning": ("provisioning", "--out", "{}"),
    "preview": ("preview", "--prometheus-url", "http://127.0.0.1:9", "--out", "{}"),
    "prometheus-config": ("prometheus-config", "-o", "{}/prometheus.yml"),
    "k8s": ("k8s", "--out", "{}"),
}


def _assert_one_line(result: Ran | subprocess.CompletedProcess, path: str, reason: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"plano-grafana: error: {path}"), lines[0]
    assert reason in lines[0], lines[0]


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_output_under_a_regular_file_is_one_line(tmp_path, command):
    blocker = tmp_path / "file"
    blocker.write_text("keep me\n")
    where = str(blocker / "out")
    result = run(*(a.format(where) for a in WRITERS[command]))
    _assert_one_line(result, where, "Not a directory")
    assert blocker.read_text() == "keep me\n" and sorted(tmp_path.iterdir()) == [blocker]


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_output_under_proc_is_one_line(command):
    result = run(*(a.format("/proc/newdir") for a in WRITERS[command]))
    _assert_one_line(result, "/proc/newdir", "No such file or directory")


def _read_only_mount_works(folder: Path) -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", f"mount -t tmpfs -o ro none {folder}"],
                           capture_output=True, timeout=30)
    return probe.returncode == 0


#: Run in the read-only mount's namespace: every writer in one interpreter, each a
#: click run, the results as JSON (one fresh process instead of one per command).
_EVERY_WRITER = """
import json, sys
from click.testing import CliRunner
from plano_grafana.cli import main
runs = {name: CliRunner().invoke(main, args) for name, args in json.loads(sys.argv[1]).items()}
print(json.dumps({name: [r.exit_code, r.stderr, repr(r.exception) if r.exception and
                         not isinstance(r.exception, SystemExit) else None]
                  for name, r in runs.items()}))
"""


@pytest.fixture(scope="module")
def read_only_runs(tmp_path_factory) -> tuple[str, dict]:
    """Every writer pointed under a read-only tmpfs mounted in a user namespace."""
    folder = tmp_path_factory.mktemp("read-only")
    if not _read_only_mount_works(folder):
        pytest.skip("no user namespaces here to mount a read-only tmpfs")
    where = str(folder / "out")
    commands = {name: [a.format(where) for a in args] for name, args in WRITERS.items()}
    script = (f'mount -t tmpfs -o ro none {folder} && exec "$0" -c "$1" "$2"')
    result = subprocess.run(["unshare", "-rm", "sh", "-c", script, sys.executable, _EVERY_WRITER,
                             json.dumps(commands)], cwd=REPO, env=dict(os.environ, PYTHONPATH=REPO),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return where, json.loads(result.stdout)


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_output_on_a_read_only_mount_is_one_line(read_only_runs, command):
    where, runs = read_only_runs
    code, stderr, exception = runs[command]
    assert exception is None, exception
    _assert_one_line(Ran(code, "", stderr), where, "Read-only file system")


def test_nothing_half_written_when_a_later_file_fails(tmp_path):
    """Every text is rendered before the first write; a folder that fails fails first."""
    out = tmp_path / "k8s"
    (out).mkdir()
    (out / "sidecar").write_text("a file where a folder goes\n")
    result = run("k8s", "--out", str(out))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert str(out / "sidecar") in result.stderr
    assert not list(out.glob("*/*.yaml")), "no folder was half-written"
