"""``plano-grafana.toml``: one frozen, validated :class:`Config` that is passed, as an
argument, to every dashboard module, rule module and deploy step.

* :mod:`.schema`: the sections, their defaults and the names other modules share;
* :mod:`.reader`: typed access to the TOML, one-line errors naming file and key;
* :mod:`.loader`: which file, its TOML, and Plano's own config it points to;
* :mod:`.render`: the effective config as TOML (``plano-grafana config``).

The file is optional and every key in it is optional; without it the build is
byte-for-byte the committed ``dashboards/``.
"""

from plano_grafana.model.config.loader import load, parse
from plano_grafana.model.config.render import to_toml
from plano_grafana.model.config.schema import (
    BASE_TAG,
    DEFAULT,
    DEFAULT_FILE,
    DEFAULT_RUNBOOK_URL,
    DEFAULT_SCRAPE_INTERVAL,
    OWNER_TAG,
    RESERVED_LABELS,
    Config,
    ConfigError,
    DatasourceConfig,
    Environment,
    Fleet,
    FolderConfig,
    Metrics,
    Price,
    Selectors,
    Slo,
    Threshold,
)

__all__ = [
    "BASE_TAG", "DEFAULT", "DEFAULT_FILE", "DEFAULT_RUNBOOK_URL", "DEFAULT_SCRAPE_INTERVAL",
    "OWNER_TAG", "RESERVED_LABELS", "Config", "ConfigError", "DatasourceConfig",
    "Environment", "Fleet", "FolderConfig", "Metrics", "Price", "Selectors", "Slo", "Threshold", "load",
    "parse", "to_toml",
]
