"""The generated YAML is the same bytes whichever emitter writes it.

build/yamltext.py emits with libyaml when PyYAML has it and with PyYAML's own emitter
otherwise; a machine without libyaml must not write different rule files or Kubernetes
objects. Every document the rule formats and the Kubernetes outputs render (default
config and one that sets every ``[kubernetes]`` key) is emitted by both and compared.
"""

from __future__ import annotations

import pytest
import yaml

from plano_grafana.build import rules_compiler, yamltext
from plano_grafana.deploy import kubernetes as kube
from plano_grafana.model import config

pytestmark = pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML has no libyaml here")

KUBERNETES = {"namespace": "plano", "dashboard_label": "grafana=yes",
              "folder_annotation": "k8s-sidecar-target-directory",
              "instance_selector": {"team": "ai"}, "rule_labels": {"release": "prom"},
              "pod_selector": {"app.kubernetes.io/name": "plano"}}


@pytest.fixture(scope="module")
def documents(compiled) -> list:
    """Every document handed to yamltext.render while the outputs are built."""
    seen: list = []
    original = yamltext.render
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(yamltext, "render", lambda doc: (seen.append(doc), original(doc))[1])
        for cfg in (config.DEFAULT, config.parse({"kubernetes": KUBERNETES})):
            rule_files = rules_compiler.build_all(cfg)
            for fmt in rules_compiler.FORMATS:
                for name, data in rule_files.items():
                    rules_compiler.render(name, data, fmt)
            kube.files(compiled, rule_files, cfg.kubernetes, cfg.folder.title, "15s")
    return seen


def test_both_emitters_write_the_same_bytes(documents):
    kinds = {d.get("kind") for d in documents if isinstance(d, dict)}
    assert {"ConfigMap", "GrafanaDashboard", "PrometheusRule"} <= kinds  # the big ones are here
    assert len(documents) > 40
    for document in documents:
        python = yamltext.render(document, yamltext.PythonDumper)
        assert yamltext.render(document, yamltext.CDumper) == python


def test_a_multi_line_string_is_a_literal_block_in_both():
    for dumper in (yamltext.PythonDumper, yamltext.CDumper):
        assert yamltext.render({"expr": "a\nb", "é": "ü"}, dumper) == "expr: |-\n  a\n  b\né: ü\n"
