"""``prometheus-config --docker``: Plano started by ``planoai up --docker``.

planoai publishes Envoy's admin port 9901 on the host's 19901 and not brightstaff's 9092
(katanemo/plano@003c36ae cli/planoai/docker_cli.py lines 74-77), so the default config,
made for Plano running natively beside a Prometheus in Docker, finds no brightstaff.
"""

from __future__ import annotations

import re
import subprocess

import yaml

from plano_grafana.deploy import kubernetes as kube
from tests.support.cli import run


def targets(cfg: dict) -> dict[str, list[str]]:
    return {job["job_name"]: job["static_configs"][0]["targets"] for job in cfg["scrape_configs"]}


def test_docker_mode_scrapes_the_published_ports_and_says_how_to_publish_brightstaff(tmp_path,
                                                                                      promtool):
    out = tmp_path / "prometheus.yml"
    result = run("prometheus-config", "--docker", "-o", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert targets(yaml.safe_load(text)) == {"plano": ["host.docker.internal:19901"],
                                             "brightstaff": ["host.docker.internal:19092"]}
    published = dict(re.findall(r"-p (\d+):(\d+)", text))  # host port -> container port
    assert published == {"19901": str(kube.ENVOY_PORT[1]), "19092": str(kube.BRIGHTSTAFF_PORT[1])}
    checked = subprocess.run([promtool, "check", "config", str(out)], capture_output=True,
                             text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_explicit_targets_win_over_docker_defaults():
    result = run("prometheus-config", "--docker", "--brightstaff-target", "plano:9092")
    assert targets(yaml.safe_load(result.stdout)) == {"plano": ["host.docker.internal:19901"],
                                                      "brightstaff": ["plano:9092"]}


def test_without_docker_the_output_is_unchanged():
    result = run("prometheus-config")
    assert not result.stdout.startswith("#")
    assert targets(yaml.safe_load(result.stdout)) == {"plano": ["host.docker.internal:19901"],
                                                      "brightstaff": ["host.docker.internal:9092"]}
