"""A doctor report as text for people (findings by severity, each with its fix, then a
panel table) or as one JSON object for scripts."""

from __future__ import annotations

import json

from plano_grafana.doctor.findings import Report

_WIDTH = {"error": "ERROR", "warning": "WARN", "info": "INFO"}


def text(report: Report) -> str:
    """Findings first, by severity; a run of findings with one fix shows it once, after the
    first (a cause, then the missing families it explains)."""
    lines = [f"plano-grafana doctor: {report.prometheus}: {report.count('error')} error(s), "
             f"{report.count('warning')} warning(s), {report.count('info')} info", ""]
    findings = report.findings
    for i, finding in enumerate(findings):
        lines.append(f"{_WIDTH[finding.severity]:<6} {finding.check:<9} {finding.message}")
        before = findings[i - 1] if i else None
        same = before and before.fix == finding.fix and before.severity == finding.severity
        if finding.fix and not same:
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
