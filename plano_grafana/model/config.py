"""One frozen, validated configuration that every dashboard, rule and deploy reads.

This is kubernetes-mixin's ``_config`` in Python: the identifiers and defaults that
differ between Plano installations (extra label matchers, the fleet label of a
Thanos/Mimir setup, datasource and folder, tags, SLO thresholds, Grafana environments,
prices) live here and nowhere else. ``plano-grafana.toml`` is optional and every key in
it is optional; without it the build is byte-for-byte the committed ``dashboards/``.

The active config is carried by a context variable (:func:`use`, :func:`current`) that
the pipeline sets around each build, so query builders and panel factories read it
without a config argument threaded through every call.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import re
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attr

from plano_grafana.errors import PlanoGrafanaError, read_user_file
from plano_grafana.model import objectives

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
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
#: Grafana's rule for uids (``util.IsValidShortUID``): letters, digits, '-' and '_', ≤ 40.
_UID = re.compile(r"^[a-zA-Z0-9_-]{1,40}$")
_ENV_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MATCHER = re.compile(r'^\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"\s*$')


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
class DatasourceConfig:
    uid: str = attr.ib(default="plano-prometheus")
    name: str = attr.ib(default="Plano Prometheus")


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
    #: Events a burn-rate alert's long window must hold before the alert may fire.
    min_events: int = attr.ib(default=objectives.DEFAULT_MIN_EVENTS)
    #: ``[slo.providers.NAME]`` and ``[slo.models."provider/model"]`` overrides.
    providers: Mapping[str, objectives.Objectives] = attr.ib(factory=dict)
    models: Mapping[str, objectives.Objectives] = attr.ib(factory=dict)

    def defaults(self) -> objectives.Objectives:
        """The ``[slo]`` objectives every provider without an override shares."""
        return objectives.Objectives(**{k: getattr(self, k) for k in objectives.KEYS})


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
    datasource: str = attr.ib(default="")


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
    #: Where the config came from, for messages ("defaults" when no file was read).
    source: str = attr.ib(default="defaults", eq=False)

    def environment(self, name: str) -> Environment:
        if name not in self.environments:
            known = ", ".join(sorted(self.environments)) or "none defined"
            raise ConfigError(f"{self.source}: unknown environment {name!r} "
                              f"([environments.*]: {known})")
        return self.environments[name]


DEFAULT = Config()


# --- the active config ----------------------------------------------------------------

_ACTIVE: contextvars.ContextVar[Config] = contextvars.ContextVar("plano_grafana_config",
                                                                 default=DEFAULT)


def current() -> Config:
    """The config the dashboard or rule being built should follow."""
    return _ACTIVE.get()


@contextlib.contextmanager
def use(cfg: Config) -> Iterator[Config]:
    """Make ``cfg`` the active config for the ``with`` block."""
    token = _ACTIVE.set(cfg)
    try:
        yield cfg
    finally:
        _ACTIVE.reset(token)


# --- loading and validation ------------------------------------------------------------

def load(path: Path | None = None, plano_config: Path | None = None) -> Config:
    """The config in ``path``; without one, ``plano-grafana.toml`` here if it exists,
    else the defaults. Every problem is one :class:`ConfigError` line naming file and key.

    ``plano_config`` (or the file's ``plano_config`` key, relative to the file) is Plano's
    own config: its providers narrow the dashboards' provider-cluster variable.
    """
    cfg = _load(path)
    chosen = plano_config or (Path(path or ".").parent / cfg.plano_config if cfg.plano_config
                              else None)
    if chosen is None:
        return cfg
    from plano_grafana.model import plano_config as pc

    clusters = sorted({p.stat_cluster_name for p in pc.load(Path(chosen))})
    return attr.evolve(cfg, plano_config=str(chosen), provider_clusters=clusters)


def _load(path: Path | None) -> Config:
    if path is None:
        path = Path(DEFAULT_FILE)
        if not path.is_file():
            return DEFAULT
    text = read_user_file(path, "config file", ConfigError)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse(data, str(path))


def parse(data: Mapping[str, Any], source: str = "config") -> Config:
    """Validate a TOML document (as a dict) into a :class:`Config`."""
    r = _Reader(source)
    r.keys(data, "", {"selectors", "fleet", "datasource", "folder", "tags", "slo",
                      "environments", "recording_rules", "prices", "prices_file", "plano_config",
                      "runbook_url",
                      "scrape_interval"})
    selectors = r.table(data, "selectors")
    r.keys(selectors, "selectors", {"envoy", "brightstaff"})
    fleet = r.table(data, "fleet")
    r.keys(fleet, "fleet", {"label"})
    ds = r.table(data, "datasource")
    r.keys(ds, "datasource", {"uid", "name"})
    folder = r.table(data, "folder")
    r.keys(folder, "folder", {"uid", "title"})
    cfg = Config(
        selectors=Selectors(envoy=r.matchers(selectors, "selectors", "envoy"),
                            brightstaff=r.matchers(selectors, "selectors", "brightstaff")),
        fleet=Fleet(label=r.fleet_label(fleet)),
        datasource=DatasourceConfig(
            uid=r.uid(ds, "datasource", "uid", DEFAULT.datasource.uid),
            name=r.string(ds, "datasource", "name", DEFAULT.datasource.name, required=True)),
        folder=FolderConfig(
            uid=r.uid(folder, "folder", "uid", DEFAULT.folder.uid),
            title=r.string(folder, "folder", "title", DEFAULT.folder.title, required=True)),
        tags=r.tags(data),
        slo=r.slo(r.table(data, "slo")),
        environments=r.environments(r.table(data, "environments")),
        recording_rules=r.boolean(data, "", "recording_rules", False),
        scrape_interval=r.number(data, "", "scrape_interval", DEFAULT_SCRAPE_INTERVAL,
                                 lo=0.001, hi=3600),
        prices=r.prices(r.table(data, "prices")),
        prices_file=r.string(data, "", "prices_file", ""),
        plano_config=r.string(data, "", "plano_config", ""),
        runbook_url=r.runbook_url(data),
        source=source,
    )
    return cfg


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "an array", dict: "a table"}.get(type(value), type(value).__name__)


class _Reader:
    """Typed access to a TOML dict; every error names the file and the dotted key."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, key: str, message: str):
        name = f"{where}.{key}" if where else key
        raise ConfigError(f"{self.source}: {name}: {message}")

    def keys(self, table: Mapping, where: str, allowed: set[str]) -> None:
        for key in table:
            if key not in allowed:
                name = f"[{where}] " if where else ""
                raise ConfigError(f"{self.source}: {name}unknown key {key!r} "
                                  f"(expected one of: {', '.join(sorted(allowed))})")

    def table(self, data: Mapping, key: str, where: str = "") -> Mapping:
        value = data.get(key, {})
        if not isinstance(value, dict):
            self.fail(where, key, f"expected a table, got {_type_name(value)}")
        return value

    def string(self, data: Mapping, where: str, key: str, default: str, *,
               required: bool = False) -> str:
        value = data.get(key, default)
        if not isinstance(value, str):
            self.fail(where, key, f"expected a string, got {_type_name(value)}")
        if required and not value.strip():
            self.fail(where, key, "must not be empty")
        return value

    def boolean(self, data: Mapping, where: str, key: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.fail(where, key, f"expected true or false, got {_type_name(value)}")
        return value

    def number(self, data: Mapping, where: str, key: str, default: float, *,
               lo: float = 0.0, hi: float = math.inf, open_lo: bool = False,
               open_hi: bool = False) -> float:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(where, key, f"expected a number, got {_type_name(value)}")
        value = float(value)
        too_low = value <= lo if open_lo else value < lo
        too_high = value >= hi if open_hi else value > hi
        if too_low or too_high or math.isnan(value):
            left = "(" if open_lo else "["
            right = ")" if open_hi else "]"
            self.fail(where, key, f"expected a number in {left}{lo:g}, {hi:g}{right}, got {value:g}")
        return value

    def uid(self, data: Mapping, where: str, key: str, default: str) -> str:
        value = self.string(data, where, key, default, required=True)
        if not _UID.match(value):
            self.fail(where, key, f"{value!r} is not a valid Grafana uid (letters, digits, "
                                  "'-' and '_', at most 40 characters)")
        return value

    def matchers(self, data: Mapping, where: str, key: str) -> str:
        value = self.string(data, where, key, "")
        if value and not all(_MATCHER.match(part) for part in _split_matchers(value)):
            self.fail(where, key, f"{value!r} is not a list of PromQL label matchers "
                                  "like 'namespace=\"plano\"'")
        return ",".join(part.strip() for part in _split_matchers(value)) if value else ""

    def fleet_label(self, fleet: Mapping) -> str:
        label = self.string(fleet, "fleet", "label", "")
        if not label:
            return ""
        if not _LABEL.match(label):
            self.fail("fleet", "label", f"{label!r} is not a Prometheus label name")
        if label in RESERVED_LABELS or label.startswith("__"):
            hint = (" ('cluster' is Envoy's upstream cluster, i.e. the provider; use e.g. "
                    "'k8s_cluster')" if label == "cluster" else "")
            self.fail("fleet", "label", f"{label!r} collides with a label or variable the "
                                        f"dashboards already use{hint}")
        return label

    def runbook_url(self, data: Mapping) -> str:
        value = self.string(data, "", "runbook_url", DEFAULT_RUNBOOK_URL, required=True)
        if "#" in value or any(ch.isspace() for ch in value):
            self.fail("", "runbook_url", f"{value!r}: give the page without an anchor or "
                                         "spaces; each alert adds #<its name>")
        return value

    def tags(self, data: Mapping) -> tuple[str, ...]:
        value = data.get("tags", [])
        if not isinstance(value, list) or not all(isinstance(t, str) and t for t in value):
            self.fail("", "tags", "expected an array of non-empty strings")
        return tuple(value)

    def slo(self, table: Mapping) -> Slo:
        thresholds = [f.name for f in attr.fields(Slo) if f.type in ("Threshold", Threshold)]
        self.keys(table, "slo", set(thresholds) | set(objectives.KEYS) | {"providers", "models"})
        values: dict[str, Any] = {}
        for name in thresholds:
            default = getattr(DEFAULT.slo, name)
            sub = self.table(table, name, "slo")
            where = f"slo.{name}"
            self.keys(sub, where, {"warn", "critical"})
            warn = self.number(sub, where, "warn", default.warn)
            critical = self.number(sub, where, "critical", default.critical)
            if (critical < warn) != default.lower_is_worse and critical != warn:
                order = "below" if default.lower_is_worse else "above"
                self.fail(where, "critical", f"must be {order} warn ({warn:g}): "
                                             f"{'lower' if default.lower_is_worse else 'higher'} "
                                             "is worse for this quantity")
            values[name] = Threshold(warn, critical)
        for name in ("availability_objective", "ttft_objective"):
            values[name] = self.number(table, "slo", name, getattr(DEFAULT.slo, name),
                                       lo=0, hi=1, open_lo=True, open_hi=True)
        values["ttft_threshold_seconds"] = self.number(
            table, "slo", "ttft_threshold_seconds", DEFAULT.slo.ttft_threshold_seconds,
            open_lo=True)
        values["min_events"] = objectives.parse_min_events(self, table, "slo",
                                                           DEFAULT.slo.min_events)
        values["providers"], values["models"] = objectives.parse_overrides(self, table)
        return Slo(**values)

    def environments(self, table: Mapping) -> dict[str, Environment]:
        out = {}
        for name in sorted(table):
            where = f"environments.{name}"
            env = self.table(table, name, "environments")
            self.keys(env, where, {"url_env", "token_env", "folder", "prometheus_url",
                                   "datasource"})
            for key in ("url_env", "token_env"):
                value = self.string(env, where, key, "", required=True)
                if not _ENV_VAR.match(value):
                    self.fail(where, key, f"{value!r} is not an environment variable name "
                                          "(it names the variable, never holds the secret)")
            folder = self.string(env, where, "folder", "")
            if folder:
                uid = folder.partition(":")[0]
                if not _UID.match(uid) or folder.count(":") > 1:
                    self.fail(where, "folder", f"{folder!r} is not UID or UID:TITLE with a valid "
                                               "Grafana uid")
            datasource = self.string(env, where, "datasource", "")
            if datasource and not _UID.match(datasource):
                self.fail(where, "datasource", f"{datasource!r} is not a valid Grafana uid")
            prom = self.string(env, where, "prometheus_url", "")
            if prom and not re.match(r"^https?://[^\s/]+", prom):
                self.fail(where, "prometheus_url", f"{prom!r} is not an http(s) URL")
            out[name] = Environment(env["url_env"], env["token_env"], folder, prom, datasource)
        return out

    def prices(self, table: Mapping) -> dict[str, Price]:
        out = {}
        for key in sorted(table):
            where = f"prices.{key!r}" if "/" in key or "." in key else f"prices.{key}"
            if "/" not in key:
                raise ConfigError(f"{self.source}: [prices] key {key!r}: expected "
                                  "\"provider/model\" (as brightstaff labels them)")
            entry = self.table(table, key, "prices")
            self.keys(entry, where, {"input", "output", "cache_read", "cache_write"})
            for needed in ("input", "output"):
                if needed not in entry:
                    self.fail(where, needed, "missing (USD per million tokens)")
            input_, output = (self.number(entry, where, k, 0.0) for k in ("input", "output"))
            # an omitted cache rate is the uncached input price (no discount known), as in
            # the default table and models.dev: never a silent $0 for cached tokens
            out[key] = Price(input_, output,
                             self.number(entry, where, "cache_read", input_),
                             self.number(entry, where, "cache_write", input_))
        return out


def _split_matchers(text: str) -> list[str]:
    """Split ``a="x,y", b=~"z"`` at the commas that are outside quotes."""
    parts, buf, quoted, escaped = [], [], False, False
    for ch in text:
        if escaped:
            buf.append(ch)
            escaped = False
        elif ch == "\\":
            buf.append(ch)
            escaped = True
        elif ch == '"':
            buf.append(ch)
            quoted = not quoted
        elif ch == "," and not quoted:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    return [p for p in parts if p.strip()]


def to_toml(cfg: Config) -> str:
    """The effective config as TOML text, defaults included (``plano-grafana config``)."""
    lines = [f"# effective config (from {cfg.source})", f"recording_rules = {_tv(cfg.recording_rules)}",
             f"scrape_interval = {_tv(cfg.scrape_interval)}",
             f"tags = {_tv(list(cfg.tags))}", f"prices_file = {_tv(cfg.prices_file)}",
             f"plano_config = {_tv(cfg.plano_config)}", f"runbook_url = {_tv(cfg.runbook_url)}", ""]
    for name, section in (("selectors", cfg.selectors), ("fleet", cfg.fleet),
                          ("datasource", cfg.datasource), ("folder", cfg.folder)):
        lines.append(f"[{name}]")
        lines += [f"{f.name} = {_tv(getattr(section, f.name))}" for f in attr.fields(type(section))]
        lines.append("")
    lines.append("[slo]")
    simple = [f for f in attr.fields(Slo) if not isinstance(getattr(cfg.slo, f.name), Threshold)
              and f.name not in ("providers", "models")]
    lines += [f"{f.name} = {_tv(getattr(cfg.slo, f.name))}" for f in simple]
    lines.append("")
    for f in attr.fields(Slo):
        value = getattr(cfg.slo, f.name)
        if isinstance(value, Threshold):
            lines += [f"[slo.{f.name}]", f"warn = {_tv(value.warn)}",
                      f"critical = {_tv(value.critical)}", ""]
    lines += objectives.to_toml_lines(cfg.slo.providers, cfg.slo.models, _tv)
    for name, env in sorted(cfg.environments.items()):
        lines.append(f"[environments.{name}]")
        lines += [f"{f.name} = {_tv(getattr(env, f.name))}" for f in attr.fields(Environment)]
        lines.append("")
    for key, price in sorted(cfg.prices.items()):
        lines.append(f'[prices."{key}"]')
        lines += [f"{f.name} = {_tv(getattr(price, f.name))}" for f in attr.fields(Price)]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _tv(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_tv(v) for v in value) + "]"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)
