"""A doctor report as text for people (findings by severity, each with its fix, then a
panel table) or as one JSON object for scripts."""

from __future__ import annotations

import json

from plano_grafana.doctor.findings import Report

_WIDTH = {"error": "ERROR", "warning": "WARN", "info": "INFO"}


def _fix_anchors(findings) -> set[int]:
    """Where each fix is printed: once per run of findings with that fix and severity,
    after the run's likely cause if it has one (the missing families it explains follow),
    else after its first finding."""
    anchors, start = set(), 0
    for i in range(1, len(findings) + 1):
        if i == len(findings) or (findings[i].fix, findings[i].severity) != \
                (findings[start].fix, findings[start].severity):
            run = range(start, i)
            anchors.add(next((j for j in run if findings[j].check == "causes"), start))
            start = i
    return anchors


def text(report: Report) -> str:
    """Findings first, by severity, each run sharing a fix showing it once; then panels."""
    lines = [f"plano-grafana doctor: {report.prometheus}: {report.count('error')} error(s), "
             f"{report.count('warning')} warning(s), {report.count('info')} info", ""]
    findings = report.findings
    anchors = _fix_anchors(findings)
    for i, finding in enumerate(findings):
        lines.append(f"{_WIDTH[finding.severity]:<6} {finding.check:<9} {finding.message}")
        if finding.fix and i in anchors:
            lines.append(f"{'':<16} fix: {finding.fix}")
    panels = report.panels
    if panels:
        counts = {s: sum(1 for p in panels if p.status == s) for s in ("ok", "empty", "error")}
        lines += ["", f"Panels: {len(panels)} ({counts['ok']} ok, {counts['empty']} empty, "
                      f"{counts['error']} error)"]
        rows = [("dashboard", "panel", "status", "cause")]
        rows += [(p.dashboard, p.panel, p.status, p.cause) for p in panels]
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        for row in rows:
            cells = [cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)]
            lines.append("  ".join([*cells, row[3]]).rstrip())
    return "\n".join(lines) + "\n"


def as_json(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2) + "\n"
