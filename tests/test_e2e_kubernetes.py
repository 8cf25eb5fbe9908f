"""The scrape proof: the PodMonitor, as prometheus-operator turns it into scrape config,
finds Plano's series and the dashboards show them correctly.

Kubernetes cannot run here. What stands in for it:

* the pods: Plano's documented Deployment (tests/data/plano-deployment.yaml) with the
  ``plano/`` patch applied by ``kubectl kustomize``, its declared container ports turned
  into Kubernetes-SD targets (tests/support/podmonitor.py ``targets``), each port on the
  simulator's matching endpoint; plus a pod of another app, and Plano's gateway port, that
  must be dropped;
* the operator: its PodMonitor -> scrape config translation, reproduced from
  pkg/prometheus/promcfg.go of v0.93.0 (tests/support/podmonitor.py cites the lines).

The real Prometheus of the end-to-end tests then scrapes the simulator with that config,
and the proof of tests/test_e2e_prometheus.py runs on every dashboard with its default
variables: every target compared with the simulator's truth.
"""

from __future__ import annotations

import pytest

from plano_grafana.deploy import kubernetes as kube
from plano_grafana.model.config.kubernetes import Kubernetes
from tests.conftest import require_binary, rule_file
from tests.support.cli import run
from tests.support.podmonitor import scrape_config, targets
from tests.support.proof import Context, prove
from tests.test_e2e_prometheus import CHECKS, DASHBOARDS, RATE_INTERVAL
from tests.test_kubernetes import patched_deployment

pytestmark = pytest.mark.prometheus
NAMESPACE = "plano"
POD = "plano-7d4b9c6f5-x2x9q"


@pytest.fixture(scope="module")
def podmonitor_stack(promtool, tmp_path_factory):
    from tests.support.stack import Stack

    tmp = tmp_path_factory.mktemp("podmonitor")
    result = run("k8s", "--out", str(tmp / "k8s"))
    assert result.returncode == 0, result.stderr
    deployment = patched_deployment(tmp / "k8s", tmp)
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    # the generated PodMonitor, at the e2e stack's 1 s scrape interval
    monitor = kube.pod_monitor(Kubernetes(namespace=NAMESPACE), "1s")

    def scrape_configs(members):
        member = members[0]
        addresses = {"envoy-admin": member.servers.envoy_address,
                     "brightstaff": member.servers.brightstaff_address,
                     "llm-gateway": "127.0.0.1:9"}  # must never be scraped: wrong port name
        pods = [(POD, pod_labels, addresses),
                ("other-app-0", {"app": "other"}, addresses)]  # must never be scraped: selector
        static = targets(NAMESPACE, pods, container)
        return [scrape_config(monitor, i, static)
                for i in range(len(monitor["spec"]["podMetricsEndpoints"]))]

    stack = Stack(require_binary("prometheus", "PROMETHEUS_BIN"), promtool=promtool,
                  rule_files=[rule_file(tmp)], scrape_configs=scrape_configs,
                  labels=[dict.fromkeys(("namespace", "pod", "container", "endpoint"), "")]).start()
    try:
        yield stack
    finally:
        stack.stop()


def test_only_planos_two_named_ports_are_scraped(podmonitor_stack):
    active = podmonitor_stack.prom.api("targets")["activeTargets"]
    got = sorted((t["labels"]["job"], t["labels"]["endpoint"], t["labels"]["pod"],
                  t["labels"]["namespace"], t["labels"]["container"], t["health"]) for t in active)
    assert got == [("brightstaff", "brightstaff", POD, NAMESPACE, "plano", "up"),
                   ("plano", "envoy-admin", POD, NAMESPACE, "plano", "up")]
    envoy = next(t for t in active if t["labels"]["job"] == "plano")
    assert envoy["scrapeUrl"].endswith("/stats?format=prometheus")


@pytest.mark.parametrize("name", DASHBOARDS)
def test_dashboards_find_their_series_with_default_variables(podmonitor_stack, compiled, name):
    ctx = Context.from_stack(podmonitor_stack, rate_interval=RATE_INTERVAL)
    errors = prove(ctx, compiled[name], CHECKS)
    assert errors == [], "\n".join(errors)
