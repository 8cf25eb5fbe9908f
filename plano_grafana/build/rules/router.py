"""A latency series Plano's router can read for ``selection_policy: prefer: fastest``.

brightstaff's latency source (``model_metrics_sources: [{type: latency, provider:
prometheus, url, query}]``, crates/brightstaff/src/router/model_metrics.rs) sends
``query`` to ``{url}/api/v1/query`` and keeps, from each result, the label
``model_name`` and the value: lower is faster. Model names in routing preferences are
``provider/model``; brightstaff's own metrics split that into ``provider`` and ``model``
(``split_provider_model``, ``unknown`` as provider when there is no ``/``), so the rule
joins them back. The example query in Plano's docs (``plano_llm_latency_seconds``) names
a metric that does not exist.

The value is the mean of ``brightstaff_llm_upstream_duration_seconds`` over 5 minutes:
the time from brightstaff to the provider until the response (or stream) closes.
Failed calls are in the histogram too, and a provider failing fast looks fast: pair
``prefer: fastest`` with fallbacks. Point Plano at it with::

    model_metrics_sources:
      - type: latency
        provider: prometheus
        url: http://prometheus:9090
        query: model_name:brightstaff_llm_upstream_duration_seconds:mean5m
        refresh_interval: 60
"""

from __future__ import annotations

from plano_grafana.build.queries import ratio
from plano_grafana.model import catalogue as c
from plano_grafana.model.config import Config
from plano_grafana.model.windows import Windows

GROUP = "plano-router"
#: The record under the default config; :func:`record` is the name for a given one.
RECORD = "model_name:brightstaff_llm_upstream_duration_seconds:mean5m"
#: Nominal window (seconds): 5 m, or four scrape intervals when that is longer.
WINDOW_SECONDS = 300


def window(cfg: Config) -> str:
    """The rule's window: derived from the config's scrape interval like every rule's
    (plano_grafana/model/windows.py), so a 2 m scrape interval gets 8m, never a 2-sample rate."""
    return Windows.of(cfg).window(WINDOW_SECONDS)


def record(cfg: Config) -> str:
    return f"model_name:brightstaff_llm_upstream_duration_seconds:mean{window(cfg)}"


def _rate(cfg: Config, suffix: str, by: tuple[str, ...]) -> str:
    name = c.exported(c.BS_LLM_UPSTREAM_DURATION, suffix, cfg.metrics.brightstaff_prefix)
    series = f"{name}{{{cfg.selectors.brightstaff}}}"
    return f"sum by ({', '.join(by)}) (rate({series}[{window(cfg)}]))"


def expression(cfg: Config) -> str:
    """``model_name="provider/model"`` → mean upstream seconds; no series without traffic.

    The config's brightstaff matchers apply; with a fleet label the series keep it, so a
    Plano installation's ``query`` can select its own (``{k8s_cluster="eu"}``).
    """
    by = tuple(c.PROVIDER_MODEL) + ((cfg.fleet.label,) if cfg.fleet.label else ())
    mean = ratio(_rate(cfg, "_sum", by), f"({_rate(cfg, '_count', by)} > 0)")
    joined = f'label_join({mean}, "model_name", "/", "provider", "model")'
    # brightstaff labels a model name without "/" as provider="unknown": give it back as is
    return f'label_replace({joined}, "model_name", "$1", "model_name", "unknown/(.*)")'


def groups(cfg: Config) -> list[dict]:
    return [{"name": GROUP, "rules": [{"record": record(cfg), "expr": expression(cfg)}]}]
