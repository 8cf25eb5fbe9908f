"""Another team's dashboard module, built with ``--module`` in the build and deploy tests."""

from grafanalib import core as g

from plano_grafana.build.panels import Panels
from plano_grafana.build.queries import Queries
from plano_grafana.build.templating import dashboard
from plano_grafana.model import catalogue as c

UID = "team-x-overview"


def build(cfg) -> g.Dashboard:
    q = Queries(cfg)
    p = Panels(q)
    return dashboard(q, UID, "Team X · Overview", "A team's own dashboard, deployed beside Plano's.", [
        ("Traffic", [p.stat("Completed requests", "WASM completed-request rate at the 12001 hop.",
                            q.rate(c.REQUEST_LATENCY, "_count"), "reqps")]),
    ])
