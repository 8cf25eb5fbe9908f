"""prometheus-operator's PodMonitor -> Prometheus scrape config, reproduced for the fields
``plano-grafana k8s`` uses, with pods given as static targets instead of Kubernetes
service discovery.

Followed line by line from prometheus-operator v0.93.0 (tag object b9090747, commit f8fafd47,
pkg/prometheus/promcfg.go blob 4c194c97):

* ``generatePodMonitorConfig`` (lines 1447-1693): ``job_name`` ``podMonitor/<ns>/<name>/<i>``
  (1457-1460), ``honor_labels`` (1462), ``scrape_interval``/``metrics_path``/``params``
  (1482-1493); relabelings in this order: ``initRelabelings`` (1519; 1222-1230: ``job`` ->
  ``__tmp_prometheus_job_name``), the running filter (1521-1523; 2242-2248: drop pods in
  phase Failed|Succeeded), one ``keep`` per ``selector.matchLabels`` key on
  ``__meta_kubernetes_pod_label_<k>`` and ``..._labelpresent_<k>`` with regex ``(<v>);true``
  (1525-1536), ``keep`` on ``__meta_kubernetes_pod_container_port_name`` = the endpoint's
  ``port`` (1569-1575), ``namespace``/``container``/``pod`` from the pod's metadata
  (1600-1614), ``podTargetLabels`` (1616-1625), ``job`` = ``<ns>/<name>`` (1627-1643),
  ``endpoint`` = the port name (1645-1649), then the endpoint's own ``relabelings``
  through ``generateRelabelConfig`` (1660-1661; 2396-2432: keys renamed, ``action``
  lower-cased), then sharding (1663-1666; 2270-2272 and 2374-2394: ``__tmp_hash`` from
  ``__address__``, ``hashmod`` by the shard count, ``keep`` on ``$(SHARD);|.+;.+``, where
  the config reloader puts the shard number: 0 of 1 here).

Kubernetes service discovery (role ``pod``) gives each declared container port of each pod
as a target ``<podIP>:<containerPort>`` with ``__meta_kubernetes_*`` labels; :func:`targets`
builds those from a rendered Deployment, with the simulator's addresses for the pod IP.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

SHARDS = 1
SHARD = "0"  # $(SHARD), substituted by prometheus-config-reloader


def _sanitize(name: str) -> str:
    """promcfg.go ``sanitizeLabelName``: every character outside [a-zA-Z0-9_] -> '_'."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", name)


def _relabel_config(rc: Mapping) -> dict:
    """``generateRelabelConfig`` (promcfg.go 2396-2432) for one RelabelConfig."""
    out: dict = {}
    if rc.get("sourceLabels"):
        out["source_labels"] = list(rc["sourceLabels"])
    if "separator" in rc:
        out["separator"] = rc["separator"]
    if rc.get("targetLabel"):
        out["target_label"] = rc["targetLabel"]
    if rc.get("regex"):
        out["regex"] = rc["regex"]
    if rc.get("modulus"):
        out["modulus"] = rc["modulus"]
    if "replacement" in rc:
        out["replacement"] = rc["replacement"]
    if rc.get("action"):
        out["action"] = rc["action"].lower()
    return out


def scrape_config(monitor: Mapping, i: int, static_configs: list[dict]) -> dict:
    """The scrape config of endpoint ``i`` of ``monitor``."""
    ns, name = monitor["metadata"]["namespace"], monitor["metadata"]["name"]
    spec = monitor["spec"]
    ep = spec["podMetricsEndpoints"][i]
    cfg: dict = {"job_name": f"podMonitor/{ns}/{name}/{i}",
                 "honor_labels": bool(ep.get("honorLabels", False)),
                 "static_configs": static_configs}  # in place of kubernetes_sd_configs
    if ep.get("interval"):
        cfg["scrape_interval"] = ep["interval"]
    if ep.get("scrapeTimeout"):
        cfg["scrape_timeout"] = ep["scrapeTimeout"]
    if ep.get("path"):
        cfg["metrics_path"] = ep["path"]
    if ep.get("params") is not None:
        cfg["params"] = ep["params"]
    relabelings: list[dict] = [{"source_labels": ["job"], "target_label": "__tmp_prometheus_job_name"}]
    if ep.get("filterRunning", True):
        relabelings.append({"action": "drop", "source_labels": ["__meta_kubernetes_pod_phase"],
                            "regex": "(Failed|Succeeded)"})
    for key in sorted(spec["selector"].get("matchLabels", {})):
        relabelings.append({"action": "keep",
                            "source_labels": [f"__meta_kubernetes_pod_label_{_sanitize(key)}",
                                              f"__meta_kubernetes_pod_labelpresent_{_sanitize(key)}"],
                            "regex": f"({spec['selector']['matchLabels'][key]});true"})
    assert not spec["selector"].get("matchExpressions"), "not reproduced: not used"
    if ep.get("port"):
        relabelings.append({"action": "keep", "source_labels": ["__meta_kubernetes_pod_container_port_name"],
                            "regex": ep["port"]})
    relabelings += [
        {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
        {"source_labels": ["__meta_kubernetes_pod_container_name"], "target_label": "container"},
        {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
    ]
    for label in spec.get("podTargetLabels", []):
        relabelings.append({"source_labels": [f"__meta_kubernetes_pod_label_{_sanitize(label)}"],
                            "target_label": _sanitize(label), "regex": "(.+)", "replacement": "${1}"})
    relabelings.append({"target_label": "job", "replacement": f"{ns}/{name}"})
    if spec.get("jobLabel"):
        relabelings.append({"source_labels": [f"__meta_kubernetes_pod_label_{_sanitize(spec['jobLabel'])}"],
                            "target_label": "job", "regex": "(.+)", "replacement": "${1}"})
    if ep.get("port"):
        relabelings.append({"target_label": "endpoint", "replacement": ep["port"]})
    relabelings += [_relabel_config(rc) for rc in ep.get("relabelings", [])]
    relabelings += [
        {"source_labels": ["__address__", "__tmp_hash"], "target_label": "__tmp_hash",
         "regex": "(.+);", "replacement": "$1", "action": "replace"},
        {"source_labels": ["__tmp_hash"], "target_label": "__tmp_hash", "modulus": SHARDS,
         "action": "hashmod"},
        {"source_labels": ["__tmp_hash", "__tmp_disable_sharding"], "regex": f"{SHARD};|.+;.+",
         "action": "keep"},
    ]
    cfg["relabel_configs"] = relabelings
    return cfg


def targets(namespace: str, pods: Sequence[tuple[str, Mapping[str, str], Mapping[str, str]]],
            container: Mapping) -> list[dict]:
    """Kubernetes SD (role pod) targets: one per declared port of each pod.

    ``pods``: (pod name, pod labels, port name -> address the pod's port answers on).
    """
    out = []
    for pod, labels, addresses in pods:
        for port in container["ports"]:
            meta = {"__meta_kubernetes_namespace": namespace, "__meta_kubernetes_pod_name": pod,
                    "__meta_kubernetes_pod_phase": "Running", "__meta_kubernetes_pod_ready": "true",
                    "__meta_kubernetes_pod_container_name": container["name"],
                    "__meta_kubernetes_pod_container_port_name": port.get("name", ""),
                    "__meta_kubernetes_pod_container_port_number": str(port["containerPort"]),
                    "__meta_kubernetes_pod_container_port_protocol": port.get("protocol", "TCP")}
            for key, value in labels.items():
                meta[f"__meta_kubernetes_pod_label_{_sanitize(key)}"] = value
                meta[f"__meta_kubernetes_pod_labelpresent_{_sanitize(key)}"] = "true"
            out.append({"targets": [addresses[port.get("name", "")]], "labels": meta})
    return out
