"""The catalogue as one installation names it: sides, family names, config selectors.

Plano's metrics come from two scrape targets: Envoy's admin (WASM filter stats, cluster,
listener and server stats) and brightstaff's ``/metrics``. The config decides the rest:
the extra matchers of ``[selectors]`` per side, and the name prefix of brightstaff's
families.
"""

from __future__ import annotations

from plano_grafana.lint import syntax
from plano_grafana.model import catalogue as c
from plano_grafana.model.config import Config

ENVOY, BRIGHTSTAFF = "envoy", "brightstaff"
_ENVOY_SOURCES = frozenset({c.Source.WASM, c.Source.ENVOY_CLUSTER, c.Source.ENVOY_LISTENER,
                            c.Source.ENVOY_SERVER})
#: The family that proves a side is scraped at all (it exists from the process's start).
LIVENESS = {ENVOY: c.SERVER_LIVE, BRIGHTSTAFF: c.BS_BUILD_INFO}
#: The price constants the price rules record: every spend figure joins them.
PRICES = frozenset({c.PRICE.name, c.BILLED.name})


def side(metric: c.Metric) -> str | None:
    """``envoy`` or ``brightstaff`` for a scraped family; None for rule-recorded ones."""
    if metric.source in _ENVOY_SOURCES:
        return ENVOY
    if metric.source is c.Source.BRIGHTSTAFF:
        return BRIGHTSTAFF
    return None


def prefix(cfg: Config, side_name: str | None) -> str:
    """The name prefix the config gives a side's families (brightstaff only)."""
    return cfg.metrics.brightstaff_prefix if side_name == BRIGHTSTAFF else ""


def family_name(metric: c.Metric, cfg: Config) -> str:
    return c.prefix(metric, cfg.metrics.brightstaff_prefix) + metric.name


def series_names(metric: c.Metric, cfg: Config) -> tuple[str, ...]:
    return tuple(c.prefix(metric, cfg.metrics.brightstaff_prefix) + s for s in metric.all_series())


def index(cfg: Config) -> dict[str, c.Metric]:
    """Every series name under the config's names -> its family."""
    return c.series_index(cfg.metrics.brightstaff_prefix)


def families(side_name: str) -> list[c.Metric]:
    return [m for m in c.CATALOGUE.values() if side(m) == side_name]


def selector(cfg: Config, side_name: str) -> str:
    """The config's extra matchers for a side (``[selectors] envoy``), "" when none."""
    return cfg.selectors.brightstaff if side_name == BRIGHTSTAFF else cfg.selectors.envoy


_OPS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~",
        "MatchOp.NotRe": "!~"}


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def matchers(text: str) -> list[str]:
    """``a="x", b=~"y"`` as a list of single matchers, as PromQL writes them."""
    if not text:
        return []
    return [f'{m.name}{_OPS[str(m.op)]}"{_quote(m.value)}"'
            for m in syntax.parse(f"{{{text}}}").matchers.matchers]


def selector_text(node) -> str:
    """A vector selector of a syntax tree as PromQL, its values escaped again."""
    parts = [f'{m.name}{_OPS[str(m.op)]}"{_quote(m.value)}"' for m in node.matchers.matchers]
    return f"{node.name or ''}{{{','.join(parts)}}}"


def labels_of(text: str) -> list[str]:
    """The label names a selector's matchers test."""
    return [m.name for m in syntax.parse(f"{{{text}}}").matchers.matchers] if text else []


def scope_labels(cfg: Config) -> set[str]:
    """Labels the config adds to selectors: its matchers' and the fleet label."""
    out = set(labels_of(cfg.selectors.envoy)) | set(labels_of(cfg.selectors.brightstaff))
    return out | ({cfg.fleet.label} if cfg.fleet.label else set())
