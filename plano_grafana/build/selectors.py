"""Label selectors: which series a query reads, under one config.

Every selector a dashboard or rule writes comes from here, so the config's extra
matchers (``[selectors]``) and its fleet label (``[fleet] label``) are applied in exactly
one place: :class:`Selectors` is built from the config and is the base of
:class:`~plano_grafana.build.queries.Queries`, which dashboards and rule modules receive.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from plano_grafana.model.catalogue import Kind, Metric, Source, exported
from plano_grafana.model.config import Config

RATE_INTERVAL = "$__rate_interval"
RANGE = "$__range"

#: Matchers each source gets from the dashboard's template variables.
SOURCE_MATCHERS: Mapping[Source, tuple[tuple[str, str], ...]] = {
    Source.WASM: (("job", "$job"), ("instance", "$instance")),
    Source.ENVOY_SERVER: (("job", "$job"), ("instance", "$instance")),
    Source.ENVOY_CLUSTER: (("job", "$job"), ("instance", "$instance"),
                           ("envoy_cluster_name", "$cluster")),
    Source.ENVOY_LISTENER: (("job", "$job"), ("instance", "$instance"),
                            ("envoy_listener_address", "$listener")),
    Source.BRIGHTSTAFF: (("job", "$bs_job"), ("instance", "$bs_instance"),
                         ("provider", "$provider"), ("model", "$model")),
    Source.RULES: (),  # constant series (prices): the same for every job and fleet member
}
SCRAPE_LABELS = frozenset({"job", "instance", "service"})
_OPERATORS = ("=~", "!~", "!=", "=")
_BRIGHTSTAFF = frozenset({Source.BRIGHTSTAFF})


class QueryError(ValueError):
    """A query names a label or series its metric does not have."""


def matcher(label: str, spec: str) -> str:
    """``kind="prompt"`` from ``("kind", "prompt")``; a spec may lead with ``=~ != !~``."""
    for op in _OPERATORS:
        if spec.startswith(op) and op != "=":
            return f'{label}{op}"{spec[len(op):]}"'
    return f'{label}="{spec}"'


def require(metric: Metric, *kinds: Kind) -> None:
    """Refuse a query shape that does not fit the metric's type (a rate of a gauge)."""
    if metric.kind not in kinds:
        names = " or ".join(k.value for k in kinds)
        raise QueryError(f"{metric.name} is a {metric.kind.value}, this query needs a {names}")


class Selectors:
    """Selectors and aggregations under one config: its extra matchers and fleet label."""

    def __init__(self, cfg: Config):
        self.cfg = cfg

    @property
    def fleet(self) -> str:
        """The config's fleet label ("" when it sets none)."""
        return self.cfg.fleet.label

    def name(self, metric: Metric, suffix: str = "") -> str:
        """The series name as Prometheus holds it: the config's brightstaff prefix on
        brightstaff's families (``[metrics] brightstaff_prefix``)."""
        return exported(metric, suffix, self.cfg.metrics.brightstaff_prefix)

    def _extra(self, source: Source) -> str:
        return (self.cfg.selectors.brightstaff if source in _BRIGHTSTAFF
                else self.cfg.selectors.envoy)

    def config_matchers(self, source: Source) -> list[str]:
        """The fleet matcher and the config's extra matchers for metrics of ``source``."""
        if source is Source.RULES:
            return []
        parts = [f'{self.fleet}=~"${self.fleet}"'] if self.fleet else []
        extra = self._extra(source)
        return parts + ([extra] if extra else [])

    def fleet_by(self, by: Iterable[str]) -> tuple[str, ...]:
        """``by`` with the fleet label appended when one is configured (and not already
        there): a panel must never add up two Plano installations' series."""
        by = tuple(by)
        return (*by, self.fleet) if self.fleet and self.fleet not in by else by

    def check_labels(self, metric: Metric, names: Iterable[str], allow_le: bool = False) -> None:
        fleet = {self.fleet} - {""}
        known = set(metric.labels) | SCRAPE_LABELS | fleet | ({"le"} if allow_le else set())
        unknown = sorted(set(names) - known)
        if unknown:
            raise QueryError(f"{metric.name} has no label(s) {', '.join(unknown)}")

    def selector(self, metric: Metric, suffix: str = "", ignore: Iterable[str] = (),
                 **matchers: str) -> str:
        """The series name with the dashboard's variable matchers plus ``matchers``.

        ``ignore`` drops variable matchers, for a panel that must not follow a variable
        (a gateway-wide total compared with an unlabelled WASM histogram).
        """
        self.check_labels(metric, matchers, allow_le=suffix == "_bucket")
        ignore = set(ignore)
        parts = [f'{label}=~"{var}"' for label, var in SOURCE_MATCHERS[metric.source]
                 if (label in SCRAPE_LABELS or label in metric.labels) and label not in ignore]
        parts += self.config_matchers(metric.source)
        parts += [matcher(label, spec) for label, spec in matchers.items()]
        return f"{self.name(metric, suffix)}{{{','.join(parts)}}}"

    def rule_selector(self, metric: Metric, suffix: str = "", **matchers: str) -> str:
        """A selector for a rule file: the config's extra matchers, no template variables."""
        self.check_labels(metric, matchers, allow_le=suffix == "_bucket")
        extra = self._extra(metric.source)
        parts = ([extra] if extra else []) + [matcher(k, spec) for k, spec in matchers.items()]
        name = self.name(metric, suffix)
        return f"{name}{{{','.join(parts)}}}" if parts else name

    def sum(self, expr: str, by: Iterable[str] = (), *, per_fleet: bool = True) -> str:
        """``sum by (…) (expr)``, the fleet label kept unless ``per_fleet`` is off."""
        by = self.fleet_by(by) if per_fleet else tuple(by)
        return f"sum by ({', '.join(by)}) ({expr})" if by else f"sum({expr})"

    def variable_values(self, metric: Metric, label: str, **matchers: str) -> str:
        """``label_values(metric{…}, label)`` for a template variable."""
        self.check_labels(metric, (label,))
        parts = [matcher(k, v) for k, v in matchers.items()]
        if label != self.fleet:
            parts = self.config_matchers(metric.source) + parts
        else:
            extra = self.config_matchers(metric.source)[1:]
            parts = extra + parts
        sel = f"{{{','.join(parts)}}}" if parts else ""
        series = self.name(metric, '_count' if metric.kind is Kind.HISTOGRAM else '')
        return f"label_values({series}{sel}, {label})"
