"""Dashboards in the form Grafana's "Import dashboard" and the public catalogue expect.

``build --for-import`` writes each compiled dashboard with what Grafana's own "Export for
sharing externally" adds (grafana/grafana public/app/features/dashboard/components/
DashExportModal/DashboardExporter.ts): ``__inputs`` (the datasources the import dialog
asks for), ``__elements`` (library panels: none) and ``__requires`` (Grafana, the
datasource and panel plugins, sorted by id). On import, Grafana replaces every
``${DS_PROMETHEUS}`` in any string of the JSON with the uid of the datasource the user
picked and drops ``__inputs`` (pkg/services/dashboardimport/utils/
dash_template_evaluator.go); grafana-operator's ``spec.datasources[{inputName,
datasourceName}]`` does the same replacement (controllers/content/resolver.go).

Our panels and query variables read their datasource from the ``datasource`` variable
(``${datasource}``). Grafana's exporter leaves such references alone and would emit no
input at all; here the variable's default is the input instead, so the import dialog
asks for the Prometheus and the dashboard opens on it, still switchable.
"""

from __future__ import annotations

import copy

#: The input Grafana's import dialog shows (Grafana names it ``DS_`` + the datasource name).
INPUT = "DS_PROMETHEUS"
REFERENCE = "${" + INPUT + "}"
#: The oldest Grafana the compiled JSON is written for (schemaVersion 39 is Grafana 10.4).
GRAFANA_VERSION = "10.4.0"
#: Panel plugin names as Grafana lists them in ``__requires``.
_PANEL_NAMES = {"timeseries": "Time series", "stat": "Stat", "table": "Table",
                "piechart": "Pie chart", "heatmap": "Heatmap", "bargauge": "Bar gauge",
                "gauge": "Gauge", "text": "Text", "histogram": "Histogram",
                "barchart": "Bar chart", "state-timeline": "State timeline"}


def _panel_types(panels: list[dict]) -> set[str]:
    out = set()
    for panel in panels:
        if panel.get("type") != "row":
            out.add(panel["type"])
        out |= _panel_types(panel.get("panels", []))
    return out


def for_import(dashboard: dict) -> dict:
    """A copy of one compiled dashboard in Grafana's import format."""
    data = copy.deepcopy(dashboard)
    for variable in data.get("templating", {}).get("list", []):
        if variable.get("type") == "datasource" and variable.get("query") == "prometheus":
            variable["current"] = {"selected": True, "text": REFERENCE, "value": REFERENCE}
    requires = [{"type": "grafana", "id": "grafana", "name": "Grafana", "version": GRAFANA_VERSION},
                {"type": "datasource", "id": "prometheus", "name": "Prometheus", "version": "1.0.0"}]
    requires += [{"type": "panel", "id": kind, "name": _PANEL_NAMES.get(kind, kind), "version": ""}
                 for kind in _panel_types(data.get("panels", []))]
    return {
        "__inputs": [{"name": INPUT, "label": "Prometheus",
                      "description": "The Prometheus that scrapes Plano (Envoy and brightstaff)",
                      "type": "datasource", "pluginId": "prometheus", "pluginName": "Prometheus"}],
        "__elements": {},
        "__requires": sorted(requires, key=lambda r: r["id"]),
        **data,
    }
