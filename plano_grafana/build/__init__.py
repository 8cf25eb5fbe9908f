"""Build: the model compiled to artefacts.

PromQL builders (``queries``), panels and templating, the dashboard modules
(``build.dashboards``) and rule modules (``build.rules``), each receiving the config as an
argument; the compilers that turn them into deterministic JSON and YAML; and the one way to
write a generated file (``outputs``).

May import: ``plano_grafana.model``, ``plano_grafana.errors``, grafanalib, attrs, PyYAML.
Never the lint, deploy, preview, doctor or simulate folders.
"""
