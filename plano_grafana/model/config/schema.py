"""The config's shape: frozen, validated sections and the defaults of every key.

This is kubernetes-mixin's ``_config`` in Python: the identifiers and defaults that
differ between Plano installations (extra label matchers, the fleet label of a
Thanos/Mimir setup, datasource and folder, tags, SLO thresholds, Grafana environments,
prices) live here and nowhere else. A :class:`Config` is handed to every dashboard and rule
module as an argument; nothing reads a config from ambient state.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import attr

from plano_grafana.errors import PlanoGrafanaError

#: The file read from the working directory when no ``--config`` is given.
DEFAULT_FILE = "plano-grafana.toml"
#: Where the runbooks are when nobody published them: the file in this repository.
DEFAULT_RUNBOOK_URL = "docs/runbooks.md"
#: Tag every dashboard of this package carries; links, ``--prune`` and ownership use it.
OWNER_TAG = "plano-grafana"
#: Tag shared with Plano's other dashboards; the dashboards' links follow it.
BASE_TAG = "plano"
#: Labels the dashboards already use: a fleet label must not be one of them (``cluster``
#: is Envoy's upstream cluster, i.e. the provider, not a Kubernetes cluster).
RESERVED_LABELS = frozenset({
    "cluster", "job", "instance", "service", "le", "provider", "model", "kind", "listener",
    "datasource", "envoy_cluster_name", "envoy_listener_address", "envoy_response_code",
    "envoy_response_code_class", "envoy_http_conn_manager_prefix", "status_class",
    "error_class", "outcome", "bs_job", "bs_instance", "handler", "route", "selected_model",
    "model_name", "__name__",
})
LABEL_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
ENV_VAR_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MATCHER_RE = re.compile(r'^\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"\s*$')


#: Prometheus's scrape interval in Plano's own scrape file, in seconds.
DEFAULT_SCRAPE_INTERVAL = 15.0


class ConfigError(PlanoGrafanaError):
    """A config file that cannot be used; the message names the file and the key."""


# --- sections -------------------------------------------------------------------------

@attr.s(frozen=True, slots=True)
class Selectors:
    """Extra PromQL label matchers added to every selector of that source.

    ``envoy = 'namespace="plano"'`` narrows every Envoy series (WASM, cluster, listener,
    server) and the variable queries that list them; ``brightstaff`` the same for
    brightstaff's series. Comma-separated matchers are allowed.
    """

    envoy: str = attr.ib(default="")
    brightstaff: str = attr.ib(default="")


@attr.s(frozen=True, slots=True)
class Fleet:
    """The label that tells Plano installations apart behind Thanos, Mimir or Cortex.

    Set, it adds a multi-select template variable of that name, a matcher on it in every
    selector, and the label to every aggregation's ``by``, so that no panel adds up two
    clusters' rates or quantiles. Empty: nothing changes.
    """

    label: str = attr.ib(default="")


@attr.s(frozen=True, slots=True)
class Metrics:
    """How the installation names Plano's series.

    ``brightstaff_prefix`` is put in front of every brightstaff family name
    (``gen_ai_otel_brightstaff_llm_tokens_total``), for a Prometheus that receives them
    through an OpenTelemetry collector or a ``metric_relabel_configs`` rename. Envoy's
    names have no such key: the dashboards read Envoy's own names.
    """

    brightstaff_prefix: str = attr.ib(default="")


@attr.s(frozen=True, slots=True)
class DatasourceConfig:
    """The Prometheus datasource the dashboards select and ``deploy`` manages.

    ``url`` empty means nobody set one here: ``deploy`` then leaves the URL Grafana's
    datasource has (a new datasource gets ``http://prometheus:9090``).
    """

    uid: str = attr.ib(default="plano-prometheus")
    name: str = attr.ib(default="Plano Prometheus")
    url: str = attr.ib(default="")


@attr.s(frozen=True, slots=True)
class FolderConfig:
    uid: str = attr.ib(default="plano")
    title: str = attr.ib(default="Plano")


@attr.s(frozen=True, slots=True)
class Threshold:
    """A panel threshold pair: yellow from ``warn``, red from ``critical``.

    For quantities where lower is worse (decode speed, cache hit rate) ``critical`` is
    below ``warn``; :attr:`lower_is_worse` tells which way round it is.
    """

    warn: float = attr.ib()
    critical: float = attr.ib()

    @property
    def lower_is_worse(self) -> bool:
        return self.critical < self.warn


@attr.s(frozen=True, slots=True)
class Slo:
    """Thresholds the panels draw and objectives the alert rules use.

    Times are in seconds here, whatever unit a metric is recorded in: the dashboards
    convert for the millisecond WASM histograms, so one number serves both hops.
    """

    ttft: Threshold = attr.ib(default=Threshold(1.0, 3.0))
    latency: Threshold = attr.ib(default=Threshold(10.0, 30.0))
    provider_latency: Threshold = attr.ib(default=Threshold(30.0, 60.0))
    error_ratio: Threshold = attr.ib(default=Threshold(0.01, 0.05))
    tpot: Threshold = attr.ib(default=Threshold(0.05, 0.1))
    decode_speed: Threshold = attr.ib(default=Threshold(20.0, 10.0))
    cache_hit: Threshold = attr.ib(default=Threshold(0.8, 0.5))
    input_length: Threshold = attr.ib(default=Threshold(64000.0, 120000.0))
    zero_tokens: Threshold = attr.ib(default=Threshold(0.05, 0.2))
    tokens_per_second_coverage: Threshold = attr.ib(default=Threshold(0.9, 0.5))
    #: Share of upstream requests that must not fail (5xx or transport error).
    availability_objective: float = attr.ib(default=0.995)
    #: Share of requests whose TTFT must be under ``ttft_threshold_seconds``.
    ttft_objective: float = attr.ib(default=0.99)
    #: Must equal a bucket boundary of brightstaff's TTFT histogram (checked by the rules).
    ttft_threshold_seconds: float = attr.ib(default=2.5)


@attr.s(frozen=True, slots=True)
class Environment:
    """One Grafana to deploy to (``plan/deploy --env NAME``).

    Holds the *names* of the environment variables with the URL and token, never their
    values, so the config file can be committed.
    """

    url_env: str = attr.ib()
    token_env: str = attr.ib()
    folder: str = attr.ib(default="")
    prometheus_url: str = attr.ib(default="")
    #: The datasource's uid and name in this Grafana ("": the config's [datasource] ones).
    #: A second Grafana datasource needs both: Grafana refuses two with one name.
    datasource: str = attr.ib(default="")
    datasource_name: str = attr.ib(default="")


@attr.s(frozen=True, slots=True)
class Price:
    """List price in USD per million tokens (cache rates default to the input price)."""

    input: float = attr.ib()
    output: float = attr.ib()
    cache_read: float = attr.ib(default=0.0)
    cache_write: float = attr.ib(default=0.0)


@attr.s(frozen=True, slots=True)
class Config:
    selectors: Selectors = attr.ib(default=Selectors())
    fleet: Fleet = attr.ib(default=Fleet())
    metrics: Metrics = attr.ib(default=Metrics())
    datasource: DatasourceConfig = attr.ib(default=DatasourceConfig())
    folder: FolderConfig = attr.ib(default=FolderConfig())
    tags: tuple[str, ...] = attr.ib(default=(), converter=tuple)
    slo: Slo = attr.ib(default=Slo())
    environments: Mapping[str, Environment] = attr.ib(factory=dict)
    recording_rules: bool = attr.ib(default=False)
    #: Seconds between scrapes of Plano; fixes the windows of recording rules and alerts
    #: (a rule has no ``$__rate_interval``: its rates span four scrapes, see windows.py).
    scrape_interval: float = attr.ib(default=DEFAULT_SCRAPE_INTERVAL)
    prices: Mapping[str, Price] = attr.ib(factory=dict)
    prices_file: str = attr.ib(default="")
    #: Plano's own config file, whose model_providers name the provider clusters.
    plano_config: str = attr.ib(default="")
    #: Where docs/runbooks.md is published; each alert's runbook_url is this + "#<alert>".
    runbook_url: str = attr.ib(default=DEFAULT_RUNBOOK_URL)
    #: ``envoy_cluster_name`` values of the configured providers (from ``plano_config``);
    #: empty means "every cluster but Plano's internal ones".
    provider_clusters: tuple[str, ...] = attr.ib(default=(), converter=tuple)
    #: brightstaff ``provider`` labels whose usage leaves cached tokens out of ``prompt``
    #: (Anthropic's shape; every other provider counts them inside, as OpenAI does). Plano's
    #: config decides it for its providers, by their ``provider_interface``; the
    #: ``prompt_excludes_cache`` key for the rest. Spend and tokenizer drift depend on it.
    prompt_excludes_cache: tuple[str, ...] = attr.ib(default=("anthropic",), converter=tuple)
    #: Factor on every nominal rule window (1 in every shipped file; no TOML key): the
    #: end-to-end alert tests compile the same alerts at 1/300 so a real Prometheus fires
    #: them within seconds. See model/windows.py.
    window_scale: float = attr.ib(default=1.0)
    #: Where the config came from, for messages ("defaults" when no file was read).
    source: str = attr.ib(default="defaults", eq=False)

    def environment(self, name: str) -> Environment:
        if self.source == "defaults":
            raise ConfigError(f"--env {name}: there is no config file defining environments "
                              f"(no ./{DEFAULT_FILE} here and no --config FILE); add "
                              f"[environments.{name}] to one")
        if name not in self.environments:
            known = ", ".join(sorted(self.environments)) or "none defined"
            raise ConfigError(f"{self.source}: unknown environment {name!r} "
                              f"([environments.*]: {known})")
        return self.environments[name]


DEFAULT = Config()
