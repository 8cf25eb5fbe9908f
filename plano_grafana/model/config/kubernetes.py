"""The config's ``[kubernetes]`` table: how ``plano-grafana k8s`` fits a cluster.

Each key is one thing that differs between installations (see README "Plano on
Kubernetes"): the namespace Plano and these objects live in, the label the Grafana
sidecar loads dashboards by, the annotation it places them in folders by, the Grafana
instances a grafana-operator ``GrafanaDashboard`` goes to, the labels Prometheus selects
``PrometheusRule``s and ``PodMonitor``s by, and the labels of Plano's pods. Values are
checked with the Kubernetes API's own rules, so a bad one is a config error naming the
key, not an object the API server rejects later.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import attr

#: Keys of ``[kubernetes]``.
KEYS = frozenset({"namespace", "dashboard_label", "folder_annotation", "instance_selector",
                  "rule_labels", "pod_selector"})

# The API's rules (k8s.io/apimachinery pkg/util/validation/validation.go): a DNS-1123
# label (namespace), a qualified name (label and annotation keys: an optional DNS-1123
# subdomain prefix and '/', then 1-63 of [A-Za-z0-9._-] starting and ending
# alphanumeric), and a label value (empty, or the same 63-character shape).
_DNS_LABEL = re.compile(r"\A[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")
_DNS_SUBDOMAIN = re.compile(r"\A[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_NAME = re.compile(r"\A[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?\Z")


def qualified_name_problem(key: str) -> str | None:
    """Why ``key`` is not a label or annotation key, or None."""
    prefix, _, name = key.rpartition("/")
    if "/" in key and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return "its prefix before '/' must be a lowercase DNS subdomain"
    if not _NAME.match(name):
        return ("must be at most 63 letters, digits, '-', '_' or '.', starting and ending "
                "with a letter or digit (after an optional 'prefix/')")
    return None


def label_value_problem(value: str) -> str | None:
    """Why ``value`` is not a label value, or None (the empty value is allowed)."""
    if value and not _NAME.match(value):
        return ("a label value is at most 63 letters, digits, '-', '_' or '.', starting "
                "and ending with a letter or digit")
    return None


@attr.s(frozen=True)
class Kubernetes:
    """``[kubernetes]``; the defaults fit kube-prometheus-stack, grafana-operator's
    examples and Plano's documented Deployment (label ``app: plano``)."""

    #: Namespace of the objects (and of Plano's pods, which the PodMonitor looks for in its
    #: own namespace); empty: none is written, ``kubectl`` uses its current namespace.
    namespace: str = attr.ib(default="")
    #: ``key=value``: the label kube-prometheus-stack's Grafana sidecar loads by.
    dashboard_label: str = attr.ib(default="grafana_dashboard=1")
    #: Annotation holding the folder title (the sidecar's ``folderAnnotation``).
    folder_annotation: str = attr.ib(default="grafana_folder")
    #: grafana-operator ``GrafanaDashboard.spec.instanceSelector.matchLabels``.
    instance_selector: Mapping[str, str] = attr.ib(factory=lambda: {"dashboards": "grafana"})
    #: Labels on the PrometheusRules and the PodMonitor (kube-prometheus-stack selects both
    #: by ``release: <helm release>``).
    rule_labels: Mapping[str, str] = attr.ib(factory=lambda: {"release": "kube-prometheus-stack"})
    #: Labels of Plano's pods, the PodMonitor's selector.
    pod_selector: Mapping[str, str] = attr.ib(factory=lambda: {"app": "plano"})

    @property
    def dashboard_label_pair(self) -> tuple[str, str]:
        key, _, value = self.dashboard_label.partition("=")
        return key, value


DEFAULT = Kubernetes()

#: ``fail(where, key, message)``: the config reader's one-line error naming the key.
Fail = Callable[[str, str, str], Any]


def parse(table: Mapping[str, Any], fail: Fail) -> Kubernetes:
    """Validate the ``[kubernetes]`` table; unknown keys are the caller's check."""
    where = "kubernetes"
    namespace = _string(table, "namespace", DEFAULT.namespace, fail)
    if namespace and not _DNS_LABEL.match(namespace):
        fail(where, "namespace", f"{namespace!r} is not a namespace name (lowercase letters, "
                                 "digits and '-', at most 63, starting and ending alphanumeric)")
    label = _string(table, "dashboard_label", DEFAULT.dashboard_label, fail)
    key, eq, value = label.partition("=")
    if not eq:
        fail(where, "dashboard_label", f"{label!r} is not key=value (e.g. 'grafana_dashboard=1')")
    if problem := qualified_name_problem(key):
        fail(where, "dashboard_label", f"label key {key!r}: {problem}")
    if problem := label_value_problem(value):
        fail(where, "dashboard_label", f"label value {value!r}: {problem}")
    annotation = _string(table, "folder_annotation", DEFAULT.folder_annotation, fail)
    if problem := qualified_name_problem(annotation):
        fail(where, "folder_annotation", f"{annotation!r}: {problem}")
    return Kubernetes(
        namespace=namespace, dashboard_label=label, folder_annotation=annotation,
        instance_selector=_labels(table, "instance_selector", DEFAULT.instance_selector, fail),
        rule_labels=_labels(table, "rule_labels", DEFAULT.rule_labels, fail, empty_ok=True),
        pod_selector=_labels(table, "pod_selector", DEFAULT.pod_selector, fail))


def _string(table: Mapping[str, Any], key: str, default: str, fail: Fail) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        fail("kubernetes", key, "expected a string")
    return value


def _labels(table: Mapping[str, Any], key: str, default: Mapping[str, str], fail: Fail, *,
            empty_ok: bool = False) -> dict[str, str]:
    value = table.get(key, default)
    if not isinstance(value, Mapping):
        fail("kubernetes", key, "expected a table of label = \"value\"")
    if not value and not empty_ok:
        fail("kubernetes", key, "must name at least one label (an empty selector matches "
                                "everything)")
    out = {}
    for name, text in sorted(value.items()):
        if not isinstance(text, str):
            fail("kubernetes", f"{key}.{name}", "expected a string (quote numbers: \"1\")")
        if problem := qualified_name_problem(name):
            fail("kubernetes", key, f"label key {name!r}: {problem}")
        if problem := label_value_problem(text):
            fail("kubernetes", f"{key}.{name}", f"{text!r}: {problem}")
        out[name] = text
    return out
