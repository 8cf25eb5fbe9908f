"""The one template-variable resolver (plano_grafana/build/variables.py), shared by preview
and the proof: Grafana's regex semantics, order, saved selections, and that the proof now
sees what Grafana shows."""

from __future__ import annotations

import copy

import pytest

from plano_grafana.build import variables
from plano_grafana.build.templating import CLUSTER_REGEX
from plano_grafana.build.variables import apply_regex
from plano_grafana.model.catalogue import INTERNAL_CLUSTERS
from tests.support.proof import Context, resolve_variables

NAMES = ["openai", "arch_internal", "gemini"]


@pytest.mark.parametrize("regex, values, expected", [
    ("", NAMES, ["arch_internal", "gemini", "openai"]),
    ("open.*", NAMES, ["openai"]),  # no slashes: anchored ^…$
    ("open", NAMES, []),
    ("/open/", NAMES, ["openai"]),  # slashes: a search, not anchored
    ("/^(?!(?:arch_internal|bright_staff)$).+$/", NAMES, ["gemini", "openai"]),
    # a capture group replaces the value, also when it took no part (JS: undefined)
    ("/^(?!(arch_internal|bright_staff)$).+$/", NAMES, [""]),
    ("/^(gem|open)/", NAMES, ["gem", "open"]),
    ("/(?<value>[a-z]+)_(?<text>[a-z]+)/", NAMES, ["arch"]),
    ("/(?<text>[a-z]+)_[a-z]+/", NAMES, ["arch"]),
    ("/OPEN/i", NAMES, ["openai"]),
    # global: every match's group becomes a value (getAllMatches)
    ("/([a-z])_/g", ["a_b_c"], ["a", "b"]),
    ("/([a-z])_/", ["a_b_c"], ["a"]),
    ("/x*/g", ["abc"], ["abc"]),  # an empty match ends the loop, as in Grafana
])
def test_regex_as_grafana_applies_it(regex, values, expected):
    """``metricNamesToVariableValues`` (public/app/features/variables/query/reducer.ts)."""
    assert apply_regex(regex, values) == expected


def test_the_dashboards_cluster_regex_filters_instead_of_capturing():
    assert apply_regex(CLUSTER_REGEX, ["openai", *INTERNAL_CLUSTERS]) == ["openai"]


def _dashboard() -> dict:
    return {"uid": "d", "templating": {"list": [
        {"name": "datasource", "type": "datasource", "query": "prometheus"},
        {"name": "job", "type": "query", "query": "label_values(job)",
         "current": {"value": ["$__all"]}},
        {"name": "cluster", "type": "query", "regex": "/^(?!(?:internal)$).+$/",
         "query": {"query": 'label_values(rq_total{job=~"$job"}, cluster)'},
         "current": {"value": ["b"]}},
        {"name": "size", "type": "custom", "query": "small, large"},
        {"name": "env", "type": "constant", "query": "prod"},
        {"name": "other", "type": "query", "query": "query_result(up)"},
    ]}}


def test_resolved_in_order_with_the_selector_expanded():
    asked = []

    def label_values(label, selector):
        asked.append((label, selector))
        return {"job": ["plano", "brightstaff"], "cluster": ["a", "b", "internal"]}[label]

    resolved = variables.resolve(_dashboard(), label_values)
    assert asked == [("job", None), ("cluster", 'rq_total{job=~"(brightstaff|plano)"}')]
    assert variables.values(resolved) == {"datasource": "", "job": "(brightstaff|plano)",
                                          "cluster": "b", "size": "(small|large)", "env": "prod",
                                          "other": ""}
    cluster = resolved[2]
    assert (cluster.options, cluster.label, cluster.regex) == (("a", "b"), "cluster",
                                                               "/^(?!(?:internal)$).+$/")
    assert resolved[5].label is None  # not label_values: nothing asked


def test_all_instead_of_the_saved_value_and_fixed_values():
    def label_values(label, selector):
        return ["a", "b"]

    assert variables.values(variables.resolve(_dashboard(), label_values, saved=False))["cluster"] == "(a|b)"
    fixed = variables.resolve(_dashboard(), label_values, {"job": "plano"})
    assert fixed[1].fixed and fixed[2].selector == 'rq_total{job=~"plano"}'


class _LabelValuesOnly:
    """Prometheus's label values API and nothing else: the proof's variables step."""

    def __init__(self, values: dict[str, list[str]]):
        self.values = values

    def api(self, path: str, **params) -> list[str]:
        return self.values.get(path.split("/")[1], ["x"])


def _llm_requests(compiled, regex: str) -> dict:
    d = copy.deepcopy(compiled["plano-llm-requests.json"])
    next(v for v in d["templating"]["list"] if v["name"] == "cluster")["regex"] = regex
    return d


def test_the_proof_catches_a_capturing_cluster_regex(compiled):
    """The defect the preview found: a capturing group turns every cluster into "" in
    Grafana, so each $cluster panel shows No data. The proof's resolver of old filtered
    with the regex and passed; the shared one makes it fail, naming the variable."""
    prom = _LabelValuesOnly({"envoy_cluster_name": ["openai", "gemini", "arch_internal"]})
    capturing = CLUSTER_REGEX.replace("(?:", "(", 1)
    assert capturing != CLUSTER_REGEX
    ctx = Context(prom, None, 0.0)  # variables only: no truth to compare with
    values = resolve_variables(ctx, _llm_requests(compiled, CLUSTER_REGEX))
    assert ctx.errors == [] and values["cluster"] == "(gemini|openai)"
    ctx = Context(prom, None, 0.0)
    values = resolve_variables(ctx, _llm_requests(compiled, capturing))
    assert ctx.errors == ["plano-llm-requests: variable $cluster resolved to no values (offers [''])"]
    assert values["cluster"] == ""
