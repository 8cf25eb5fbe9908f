"""docker-compose.yml: valid Compose, images pinned, and the simulator service starts.

Docker is not needed: the file is checked against the Compose Specification's JSON schema
(vendored in tests/data/, see its README), and the simulator's entrypoint is run as the
service runs it — with the checkout read-only — against this interpreter, offline.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from plano_grafana.deploy import provisioning
from tests.conftest import REPO

COMPOSE = Path(REPO) / "docker-compose.yml"
SCHEMA = Path(REPO) / "tests/data/compose-spec.json"


def validate(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--schemafile", str(SCHEMA),
                           str(path)], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_file_follows_the_compose_specification(tmp_path):
    result = validate(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE.read_text().replace("expose:", "exposes:", 1))
    assert validate(broken).returncode != 0  # the schema is really applied


def test_images_are_pinned_by_version(compose):
    for name, service in compose["services"].items():
        image = service["image"]
        repo, _, tag = image.rpartition(":")
        assert repo and "/" not in tag, f"{name}: {image} has no tag"
        assert tag != "latest" and re.search(r"\d+\.\d+\.\d+", tag), f"{name}: {image} is not a version"


def test_simulator_mounts_the_checkout_read_only_and_runs_the_entrypoint(compose):
    simulator = compose["services"]["simulator"]
    assert "./:/src:ro" in simulator["volumes"]
    assert simulator["entrypoint"] == ["sh", "/src/docker/simulator.sh"]
    assert "pip install /src" not in COMPOSE.read_text()


def _read_only(path: Path) -> list[str]:
    """A command prefix that runs its command with ``path`` read-only, as a `:ro` mount is.

    Root ignores file modes, so as root the copy is bind-mounted read-only onto itself in a
    private mount namespace (``unshare -m``); otherwise ``chmod -R a-w`` is enough.
    """
    if os.geteuid() != 0:
        subprocess.run(["chmod", "-R", "a-w", str(path)], check=True)
        return []
    if not shutil.which("unshare"):
        pytest.skip("running as root without unshare: cannot make a read-only tree")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"unshare -m is not permitted here: {probe.stderr.decode().strip()}")
    script = (f'mount --bind "{path}" "{path}" && mount -o remount,bind,ro "{path}" '
              '&& exec "$@"')
    return ["unshare", "-m", "sh", "-c", script, "sh"]


def test_simulator_entrypoint_installs_from_a_read_only_checkout(compose, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "plano_grafana", "docker", "requirements"):
        copy = shutil.copytree if (Path(REPO) / name).is_dir() else shutil.copy
        copy(Path(REPO) / name, src / name)
    for cache in src.rglob("__pycache__"):
        shutil.rmtree(cache)
    site = tmp_path / "site"
    prefix = _read_only(src)
    env = {**os.environ,
           # this interpreter, offline: dependencies are already here, no build isolation
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "PIP_TARGET": str(site), "PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0",
           "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1",
           "PLANO_SRC": str(src), "PLANO_REQUIREMENTS": ""}
    before = sorted(p.relative_to(src).as_posix() for p in src.rglob("*"))

    old = subprocess.run([*prefix, sys.executable, "-m", "pip", "install", "--quiet",
                          "--no-cache-dir", "--no-deps", str(src)],
                         env=env, capture_output=True, text=True, timeout=300)
    assert old.returncode != 0, "pip install of the read-only tree itself should fail"

    entrypoint = [a.replace("/src/", f"{src}/") for a in compose["services"]["simulator"]["entrypoint"]]
    new = subprocess.run([*prefix, *entrypoint, "--envoy-port", "0", "--brightstaff-port", "0",
                          "--duration", "1"], env=env, capture_output=True, text=True, timeout=300)
    assert new.returncode == 0, new.stdout + new.stderr
    assert "Envoy admin: http://127.0.0.1:" in new.stdout
    assert (site / "plano_grafana" / "simulate" / "servers.py").exists()
    assert sorted(p.relative_to(src).as_posix() for p in src.rglob("*")) == before


def test_prometheus_evaluates_the_generated_rules_and_alerts_the_alertmanager(compose, tmp_path,
                                                                              promtool):
    prometheus, manager = compose["services"]["prometheus"], compose["services"]["alertmanager"]
    mounts = dict(v.rsplit(":", 2)[:2] for v in prometheus["volumes"])
    rules_dir = mounts["./rules"]
    assert provisioning.CONTAINER_RULES == f"{rules_dir}/*.yaml"
    assert "alertmanager" in prometheus["depends_on"]
    assert provisioning.ALERTMANAGER.split(":")[0] == "alertmanager"
    assert f"{provisioning.ALERTMANAGER.split(':')[1]}:9093" in manager["ports"][0]
    texts = provisioning.files({}, "http://prometheus:9090", "15s", ["simulator:19901"],
                               ["simulator:9092"])
    config = yaml.safe_load(texts["prometheus/prometheus.yml"])
    assert config["rule_files"] == [provisioning.CONTAINER_RULES]
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["alertmanager:9093"]
    # what Prometheus would load: the committed rules, through the config provisioning writes
    rules = sorted((Path(REPO) / "rules").glob("*.yaml"))
    assert rules, "rules/*.yaml (make rules) is committed"
    local = tmp_path / "rules"
    local.mkdir()
    for path in rules:
        shutil.copy(path, local / path.name)
    config["rule_files"] = [str(local / "*.yaml")]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    checked = subprocess.run([promtool, "check", "config", str(tmp_path / "prometheus.yml")],
                             capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert all(path.name in checked.stdout for path in rules), checked.stdout
