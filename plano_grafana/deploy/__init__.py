"""Deploy: compiled artefacts to where they run.

The Grafana client (``client``: grafana-client's session, both API paths), what Grafana
holds (``remote``), the plan (``plan``: pure functions from desired and remote to changes),
``apply`` (writes and lost-response reconciliation, returning results), ``backups``,
"what counts as the same" (``drift``), reports; file provisioning and the Prometheus scrape
config. ``sync`` picks the API path and composes them.

May import: ``plano_grafana.model``, ``plano_grafana.build`` (JSON text, outputs),
``plano_grafana.errors``, grafana-client. Never lint, preview, doctor or simulate: the
pipeline hands deploy dashboards that are already built and linted.
"""
