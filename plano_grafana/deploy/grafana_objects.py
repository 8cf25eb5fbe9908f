"""The Grafana objects besides dashboards that the package manages, built from the config.

Deploy (through the API) and file provisioning must create the same datasource and
folder, so both take them from here rather than from each other.
"""

from __future__ import annotations

from plano_grafana.model.config import Config

#: Where a new datasource points when nobody said: Prometheus as Plano's docs run it.
DEFAULT_PROMETHEUS_URL = "http://prometheus:9090"


def datasource(cfg: Config, prometheus_url: str | None, scrape_interval: str,
               remote: dict | None = None) -> dict:
    """The Prometheus datasource the dashboards' ``datasource`` variable selects.

    The URL is the first one somebody gave: ``prometheus_url`` (a flag, ``PROMETHEUS_URL``
    or the ``--env`` environment's), else the config's ``[datasource] url``. When nobody
    gave one the datasource keeps the URL it has in Grafana (``remote``), and only a new one
    gets :data:`DEFAULT_PROMETHEUS_URL`. So a plain ``deploy`` never points a datasource
    back at the default after a deploy that set it elsewhere.

    ``jsonData.timeInterval`` is the scrape interval, so that Grafana's
    ``$__rate_interval`` always spans at least four scrapes. ``isDefault`` is left to the
    Grafana admin (the first datasource of an org becomes the default by itself), so it is
    neither sent nor compared.
    """
    url = (prometheus_url or cfg.datasource.url or (remote or {}).get("url")
           or DEFAULT_PROMETHEUS_URL)
    return {
        "uid": cfg.datasource.uid, "name": cfg.datasource.name, "type": "prometheus",
        "access": "proxy", "url": url,
        "jsonData": {"httpMethod": "POST", "timeInterval": scrape_interval},
    }
