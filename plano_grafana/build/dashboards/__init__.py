"""One module per dashboard; each exposes ``UID`` and ``build(cfg) -> grafanalib Dashboard``.

``MODULES`` is the list the compiler builds, by import path, so that an error while
importing or building one dashboard can be reported against its module.
"""

MODULES: tuple[str, ...] = (
    "plano_grafana.build.dashboards.llm_requests",
    "plano_grafana.build.dashboards.input_tokens",
    "plano_grafana.build.dashboards.output_tokens",
    "plano_grafana.build.dashboards.routing",
    "plano_grafana.build.dashboards.spend",
)
