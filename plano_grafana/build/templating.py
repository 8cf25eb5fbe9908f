"""Template variables shared by every Plano dashboard, and the dashboard frame.

Envoy and brightstaff are separate scrape jobs with separate label sets, so they get
separate variables (``job``/``instance`` vs ``bs_job``/``bs_instance``), and Envoy's
``envoy_cluster_name`` is never joined with brightstaff's ``provider``: the two differ
for every provider configured with ``base_url`` (docs/metrics.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from grafanalib import core as g

from plano_grafana.build.panels import DATASOURCE, layout
from plano_grafana.build.queries import Queries
from plano_grafana.model import catalogue as c
from plano_grafana.model import config

_ALL = {"selected": True, "text": ["All"], "value": ["$__all"]}

#: ``cluster`` hides Plano's internal clusters; "All" expands to the filtered list. The group
#: must not capture: Grafana turns a value into its first captured group (here: nothing).
CLUSTER_REGEX = "/^(?!(?:" + "|".join(c.INTERNAL_CLUSTERS) + ")$).+$/"


def cluster_regex(provider_clusters: Sequence[str]) -> str:
    """The provider clusters Plano's config names, when it was given (agent and endpoint
    clusters are user-named, so only the provider list tells them apart); otherwise every
    cluster but Plano's internal ones."""
    if not provider_clusters:
        return CLUSTER_REGEX
    return "/^(?:" + "|".join(re.escape(name) for name in provider_clusters) + ")$/"


#: The shared variables by scrape job; a dashboard that reads one job only asks for it.
ENVOY_VARIABLES = ("job", "instance", "cluster", "listener")
BRIGHTSTAFF_VARIABLES = ("bs_job", "bs_instance", "provider", "model")


def _query_var(name: str, label: str, query: str, *, regex: str | None = None,
               current: dict | None = None) -> g.Template:
    template = g.Template(
        name=name, label=label, query=query, dataSource=DATASOURCE, includeAll=True,
        multi=True, regex=regex or "", refresh=2, sort=1,
    )
    template._current = current or dict(_ALL)
    return template


def query_variable(name: str, label: str, query: str) -> g.Template:
    """A multi-select query variable in the house style ("All" selected), for a variable
    only one dashboard needs: it passes it to :func:`dashboard` as ``extra_variables``."""
    return _query_var(name, label, query)


def variables(q: Queries, names: Sequence[str] | None = None,
              extra: Sequence[g.Template] = ()) -> list[g.Template]:
    """The datasource (and fleet) variables, then the shared ones in ``names`` (all when
    None) in their usual order, then a dashboard's own ``extra`` ones.

    The config's fleet label adds a variable after the datasource, which every other
    variable query then filters by."""
    cfg = q.cfg
    variable_values = q.variable_values
    datasource = g.Template(name="datasource", label="Data source", query="prometheus",
                            type="datasource", refresh=1, regex="")
    datasource._current = {"selected": True, "text": cfg.datasource.name,
                           "value": cfg.datasource.uid}
    fleet = []
    if cfg.fleet.label:
        fleet = [_query_var(cfg.fleet.label, f"Fleet ({cfg.fleet.label})",
                            variable_values(c.SERVER_LIVE, cfg.fleet.label))]
    shared = [
        _query_var("job", "Envoy job", variable_values(c.SERVER_LIVE, "job")),
        _query_var("instance", "Envoy instance",
                   variable_values(c.SERVER_LIVE, "instance", job="=~$job")),
        _query_var("cluster", "Provider cluster",
                   variable_values(c.UPSTREAM_RQ_TOTAL, "envoy_cluster_name",
                                   job="=~$job", instance="=~$instance"),
                   regex=cluster_regex(cfg.provider_clusters)),
        _query_var("listener", "Client listener",
                   variable_values(c.LISTENER_DOWNSTREAM_RQ_COMPLETED, "envoy_listener_address",
                                   job="=~$job", instance="=~$instance"),
                   current={"selected": True, "text": ["0.0.0.0_12000"],
                            "value": ["0.0.0.0_12000"]}),
        _query_var("bs_job", "brightstaff job", variable_values(c.BS_BUILD_INFO, "job")),
        _query_var("bs_instance", "brightstaff instance",
                   variable_values(c.BS_BUILD_INFO, "instance", job="=~$bs_job")),
        _query_var("provider", "Provider (brightstaff)",
                   variable_values(c.BS_LLM_UPSTREAM_REQUESTS, "provider", job="=~$bs_job")),
        _query_var("model", "Model",
                   variable_values(c.BS_LLM_UPSTREAM_REQUESTS, "model",
                                   job="=~$bs_job", provider="=~$provider")),
    ]
    unknown = set(names or ()) - {v.name for v in shared}
    if unknown:
        raise ValueError(f"no shared template variable(s) {sorted(unknown)}")
    chosen = [v for v in shared if names is None or v.name in names]
    return [datasource, *fleet, *chosen, *extra]


def dashboard(q: Queries, uid: str, title: str, description: str,
              rows: Sequence[tuple[str, Sequence[g.Panel]]], tags: Sequence[str] = (), *,
              variable_names: Sequence[str] | None = None,
              extra_variables: Sequence[g.Template] = ()) -> g.Dashboard:
    """A Plano dashboard: shared variables, tags, links to its siblings, ids assigned.

    ``q`` carries the config (tags, datasource, fleet label) the dashboard is built
    under; ``variable_names`` picks the shared variables it uses (all by default);
    ``extra_variables`` are its own, listed after them."""
    return g.Dashboard(
        title=title, uid=uid, description=description,
        tags=sorted({config.BASE_TAG, config.OWNER_TAG, *tags, *q.cfg.tags}),
        panels=layout(rows),
        templating=g.Templating(list=variables(q, variable_names, extra_variables)),
        links=[g.DashboardLink(type="dashboards", tags=[config.BASE_TAG], asDropdown=False,
                               includeVars=True, keepTime=True, title="Plano dashboards")],
        time=g.Time("now-1h", "now"), refresh="30s", timezone="browser",
        graphTooltip=g.GRAPH_TOOLTIP_MODE_SHARED_CROSSHAIR,
    ).auto_panel_ids()
