"""Finding and reading ``plano-grafana.toml``: the file, its TOML, then the typed reader."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attr

from plano_grafana.errors import read_user_file
from plano_grafana.model import validate
from plano_grafana.model.config.reader import Reader
from plano_grafana.model.config.schema import (
    DEFAULT,
    DEFAULT_FILE,
    DEFAULT_SCRAPE_INTERVAL,
    Config,
    ConfigError,
    DatasourceConfig,
    Fleet,
    FolderConfig,
    Metrics,
    Selectors,
)


def load(path: Path | None = None, plano_config: Path | None = None) -> Config:
    """The config in ``path``; without one, ``plano-grafana.toml`` here if it exists,
    else the defaults. Every problem is one :class:`ConfigError` line naming file and key.

    ``plano_config`` (or the file's ``plano_config`` key, relative to the file) is Plano's
    own config: its providers narrow the dashboards' provider-cluster variable.
    """
    cfg = _load(path)
    _check_prices_file(cfg)
    chosen = plano_config or (Path(path or ".").parent / cfg.plano_config if cfg.plano_config
                              else None)
    if chosen is None:
        return cfg
    from plano_grafana.model import plano_config as pc

    named_by = "--plano-config" if plano_config else f"{cfg.source}: plano_config"
    try:
        providers = pc.load(Path(chosen))
    except pc.PlanoConfigError as exc:
        raise ConfigError(f"{named_by}: {exc}") from None
    clusters = sorted({p.stat_cluster_name for p in providers})
    return attr.evolve(cfg, plano_config=str(chosen), provider_clusters=clusters,
                       prompt_excludes_cache=_usage_shapes(cfg, providers))


def _check_prices_file(cfg: Config) -> None:
    """Read ``prices_file`` now, so that every command that reads the config (``config``,
    ``build``, ``deploy``), not only ``rules``, refuses a missing or broken one."""
    if not cfg.prices_file:
        return
    from plano_grafana.model import prices

    try:
        prices.table(cfg)
    except prices.PriceFileError as exc:
        raise ConfigError(f"{cfg.source}: prices_file: {exc}") from None


def _usage_shapes(cfg: Config, providers) -> tuple[str, ...]:
    """Provider labels whose usage leaves cache tokens out of ``prompt``: for the providers
    of Plano's config, those whose ``provider_interface`` speaks Anthropic's API (the
    shape follows the API, whatever the provider is called); for any other label, the
    config's ``prompt_excludes_cache``."""
    from plano_grafana.model.catalogue import PROMPT_EXCLUDES_CACHE_INTERFACES

    known = {p.provider for p in providers}
    by_interface = {p.provider for p in providers
                    if p.interface in PROMPT_EXCLUDES_CACHE_INTERFACES}
    return tuple(sorted(by_interface | (set(cfg.prompt_excludes_cache) - known)))


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
    r = Reader(source)
    r.keys(data, "", {"selectors", "fleet", "metrics", "datasource", "folder", "tags", "slo",
                      "environments", "recording_rules", "prices", "prices_file", "plano_config",
                      "runbook_url", "scrape_interval", "prompt_excludes_cache"})
    selectors = r.table(data, "selectors")
    r.keys(selectors, "selectors", {"envoy", "brightstaff"})
    fleet = r.table(data, "fleet")
    r.keys(fleet, "fleet", {"label"})
    metrics = r.table(data, "metrics")
    r.keys(metrics, "metrics", {"brightstaff_prefix"})
    ds = r.table(data, "datasource")
    r.keys(ds, "datasource", {"uid", "name", "url"})
    folder = r.table(data, "folder")
    r.keys(folder, "folder", {"uid", "title"})
    cfg = Config(
        selectors=Selectors(envoy=r.matchers(selectors, "selectors", "envoy"),
                            brightstaff=r.matchers(selectors, "selectors", "brightstaff")),
        fleet=Fleet(label=r.fleet_label(fleet)),
        metrics=Metrics(brightstaff_prefix=r.checked(metrics, "metrics", "brightstaff_prefix",
                                                     validate.metric_prefix_problem)),
        datasource=DatasourceConfig(
            uid=r.uid(ds, "datasource", "uid", DEFAULT.datasource.uid),
            name=r.string(ds, "datasource", "name", DEFAULT.datasource.name, required=True),
            url=r.checked(ds, "datasource", "url", validate.url_problem)),
        folder=FolderConfig(
            uid=r.uid(folder, "folder", "uid", DEFAULT.folder.uid, folder=True),
            title=r.string(folder, "folder", "title", DEFAULT.folder.title, required=True)),
        tags=r.tags(data),
        slo=r.slo(r.table(data, "slo")),
        environments=r.environments(r.table(data, "environments")),
        recording_rules=r.boolean(data, "", "recording_rules", False),
        scrape_interval=r.duration(data, "", "scrape_interval", DEFAULT_SCRAPE_INTERVAL,
                                   hi=3600),
        prices=r.prices(r.table(data, "prices")),
        prices_file=r.string(data, "", "prices_file", ""),
        plano_config=r.string(data, "", "plano_config", ""),
        runbook_url=r.runbook_url(data),
        prompt_excludes_cache=r.labels(data, "", "prompt_excludes_cache",
                                       DEFAULT.prompt_excludes_cache),
        source=source,
    )
    return cfg


