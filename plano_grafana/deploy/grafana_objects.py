"""The Grafana objects besides dashboards that the package manages, built from the config.

Deploy (through the API) and file provisioning must create the same datasource and
folder, so both take them from here rather than from each other.
"""

from __future__ import annotations

from plano_grafana.model.config import Config


def datasource(cfg: Config, prometheus_url: str, scrape_interval: str) -> dict:
    """The Prometheus datasource the dashboards' ``datasource`` variable selects.

    ``jsonData.timeInterval`` is the scrape interval, so that Grafana's
    ``$__rate_interval`` always spans at least four scrapes. ``isDefault`` is left to the
    Grafana admin (the first datasource of an org becomes the default by itself), so it is
    neither sent nor compared.
    """
    return {
        "uid": cfg.datasource.uid, "name": cfg.datasource.name, "type": "prometheus",
        "access": "proxy", "url": prometheus_url,
        "jsonData": {"httpMethod": "POST", "timeInterval": scrape_interval},
    }
