"""plano-grafana: Grafana dashboards for Plano, as code."""

__version__ = "0.1.0"
