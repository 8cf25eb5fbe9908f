"""Read the ``model_providers`` of Plano's own config file and predict its metric names.

Plano's CLI (``cli/planoai/config_generator.py``) turns each provider into an Envoy
cluster: a provider without ``base_url`` uses the static cluster named by its provider
interface (``openai``); one with ``base_url`` gets ``<interface>_<hostname>``. Envoy's
tag extractor for cluster stats (``cluster.$.**``) takes only the first dot-separated
token as ``envoy_cluster_name``, so a hostname with dots moves the rest of the name into
the *metric* name (Plano issue #504): ``ollama_host.docker.internal`` is exported as
``envoy_cluster_docker_internal_upstream_rq_total{envoy_cluster_name="ollama_host"}``,
and such a provider is missing from every per-provider-cluster panel. This module says,
for a given Plano config, which providers that hits and under which names, and gives the
simulator the same provider set to imitate.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attr
import yaml

from plano_grafana.errors import PlanoGrafanaError, read_user_file

#: ``cli/planoai/config_generator.py``: providers whose model prefix is a known interface.
SUPPORTED_PROVIDERS = frozenset({
    "deepseek", "groq", "mistral", "openai", "xiaomi", "gemini", "anthropic", "together_ai",
    "xai", "moonshotai", "zhipu", "chatgpt", "digitalocean", "vercel", "openrouter", "edenai",
    "azure_openai", "ollama", "qwen", "amazon_bedrock", "plano",
})
#: The generator gives these a base_url when the config has none.
IMPLIED_BASE_URL = {"chatgpt": "https://chatgpt.com/backend-api/codex"}


class PlanoConfigError(PlanoGrafanaError):
    """Plano's config cannot be read; the message names the file and the entry."""


@attr.s(frozen=True, slots=True)
class PlanoProvider:
    """One ``model_providers`` entry as Plano's metrics will show it."""

    model: str = attr.ib()  # as configured: "provider/model" or "provider/*"
    provider: str = attr.ib()  # brightstaff's ``provider`` label (the model's prefix)
    model_id: str = attr.ib()  # brightstaff's ``model`` label
    interface: str = attr.ib()  # provider_interface
    cluster: str = attr.ib()  # the Envoy cluster Plano generates

    @property
    def stat_cluster_name(self) -> str:
        """``envoy_cluster_name`` as Envoy's tag extractor cuts it."""
        return self.cluster.split(".", 1)[0]

    @property
    def mangled(self) -> bool:
        return "." in self.cluster

    @property
    def stat_prefix(self) -> str:
        """What Envoy's cluster stats of this provider start with: ``envoy_cluster_`` or,
        for a dotted cluster name, ``envoy_cluster_<rest of the name>_``."""
        if not self.mangled:
            return "envoy_cluster_"
        rest = self.cluster.split(".", 1)[1]
        return "envoy_cluster_" + "".join(ch if ch.isalnum() else "_" for ch in rest) + "_"

    @property
    def alt_stat_name(self) -> str:
        """The ``alt_stat_name`` that would fix it on Plano's side."""
        return self.cluster.replace(".", "_").replace(":", "_")


def load(path: Path) -> list[PlanoProvider]:
    """The providers of a Plano config file, in file order, one per Envoy cluster use."""
    text = read_user_file(path, "Plano config file", PlanoConfigError)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise PlanoConfigError(f"{path}: not valid YAML{where}") from None
    return providers(data, str(path))


def providers(data: Any, source: str = "plano config") -> list[PlanoProvider]:
    if not isinstance(data, Mapping):
        raise PlanoConfigError(f"{source}: expected a mapping at the top level")
    if "model_providers" in data and "llm_providers" in data:
        raise PlanoConfigError(f"{source}: has both model_providers and llm_providers "
                               "(Plano accepts one)")
    entries = data.get("model_providers", data.get("llm_providers"))
    if entries is None:
        entries = [p for listener in data.get("listeners") or []
                   if isinstance(listener, Mapping) for p in listener.get("model_providers") or []]
    if not isinstance(entries, list) or not entries:
        raise PlanoConfigError(f"{source}: no model_providers")
    return [_provider(entry, i, source) for i, entry in enumerate(entries)]


def _provider(entry: Any, index: int, source: str) -> PlanoProvider:
    where = f"{source}: model_providers[{index}]"
    if not isinstance(entry, Mapping) or not isinstance(entry.get("model"), str):
        raise PlanoConfigError(f"{where}: needs a 'model' like openai/gpt-4o")
    model = entry["model"]
    prefix, _, model_id = model.partition("/")
    named = entry.get("provider_interface") or entry.get("provider")
    if not model_id and named:
        # the older form (provider: openai, model: gpt-4o) and Plano's rendered config
        prefix, model_id, model = str(named), model, f"{named}/{model}"
    if not prefix or not model_id:
        raise PlanoConfigError(f"{where}: model {model!r} is not <provider>/<model>")
    interface = named or prefix
    if prefix not in SUPPORTED_PROVIDERS and not entry.get("provider_interface"):
        raise PlanoConfigError(f"{where}: provider {prefix!r} is not one Plano knows; it needs "
                               "base_url and provider_interface")
    base_url = entry.get("base_url") or IMPLIED_BASE_URL.get(interface)
    if entry.get("cluster_name"):  # a config Plano has already rendered
        cluster = str(entry["cluster_name"])
    elif base_url:
        host = urlsplit(str(base_url)).hostname
        if not host:
            raise PlanoConfigError(f"{where}: base_url {base_url!r} has no host name")
        cluster = f"{interface}_{host}"
    else:
        cluster = interface
    return PlanoProvider(model, prefix, model_id, interface, cluster)


#: The report's columns and what each holds (``plano-grafana plano-config --help``).
COLUMNS = (
    ("model", "the name in model_providers"),
    ("brightstaff provider/model", "the labels of brightstaff_llm_* series"),
    ("Envoy cluster", "the cluster Plano generates (<interface>_<host> for a base_url "
                      "provider)"),
    ("envoy_cluster_name", "the label of its envoy_cluster_* series"),
    ("cluster stats", "where Envoy files them: a host with dots puts part of the name "
                      "into the metric name (Plano #504)"),
)


def report_help() -> str:
    """The help of ``plano-grafana plano-config``: what PATH is and what each column says."""
    width = max(len(name) for name, _ in COLUMNS)
    indent = "\n" + " " * (width + 4)
    columns = "\n".join(f"  {name.ljust(width)}  {indent.join(textwrap.wrap(what, 44))}"
                        for name, what in COLUMNS)
    return ("Show where each provider of Plano's config appears in the metrics.\n\n"
            "PATH is Plano's own config file (plano_config.yaml, the one with "
            "model_providers). For each provider it prints one row:\n\n"
            f"\b\n{columns}\n\n"
            "and, for such hosts, the alt_stat_name that fixes it. Nothing is written. Give "
            "the same file to --plano-config (or the config's plano_config key) to list "
            "exactly these clusters in the dashboards, or to 'simulate --plano-config' to "
            "imitate them.\n\nExample: plano-grafana plano-config plano_config.yaml")


def report(items: list[PlanoProvider]) -> str:
    """A table for people: each provider's labels, cluster and where its stats land."""
    rows = [tuple(name for name, _ in COLUMNS)]
    for p in items:
        stats = f"{p.stat_prefix}*  (mangled, #504)" if p.mangled else "envoy_cluster_*"
        rows.append((p.model, f"{p.provider}/{p.model_id}", p.cluster, p.stat_cluster_name,
                     stats))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    mangled = sorted({p.cluster for p in items if p.mangled})
    if mangled:
        lines += ["", f"{len(mangled)} cluster(s) with dots in the name: Envoy files their stats "
                      "under the names above, so the per-provider-cluster panels miss them "
                      "(brightstaff's per-provider panels still show them). Fix on Plano's side: "
                      "set alt_stat_name on those clusters, e.g. "
                      + ", ".join(f"{c} -> {c.replace('.', '_').replace(':', '_')}"
                                  for c in mangled)]
    return "\n".join(lines) + "\n"
