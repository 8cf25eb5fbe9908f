"""Deploy: compiled artefacts to where they run.

The Grafana client (grafana-client's session, both API paths), the plan (desired vs
remote), apply, drift ("what counts as the same"), backups and reports; file provisioning
and the Prometheus scrape config.

May import: ``plano_grafana.model``, ``plano_grafana.build`` (JSON text, outputs),
``plano_grafana.errors``, ``plano_grafana.validate``, grafana-client. Never lint, preview,
doctor or simulate: the pipeline hands deploy dashboards that are already built and linted.
"""
