"""``alert-metadata``: an alert carries what its notification needs."""

from __future__ import annotations

from collections.abc import Iterator

from plano_grafana.lint.finding import Finding, in_rule_file
from plano_grafana.lint.registry import Context, RuleFile, rule
from plano_grafana.lint.walk import rule_entries

SEVERITIES = ("critical", "warning", "info")
REQUIRED_ANNOTATIONS = ("summary", "description", "runbook_url")


@rule("alert-metadata", "rule file")
def alert_metadata(file: RuleFile, ctx: Context) -> Iterator[Finding]:
    """An alert reaches a person: it needs a severity to route on, a summary for the
    notification's title, a description that says why it matters, and a runbook."""
    for group, entry, label in rule_entries(file.data):
        if "alert" not in entry:
            continue
        severity = entry.get("labels", {}).get("severity")
        if severity not in SEVERITIES:
            yield in_rule_file(file.name, group, label, "alert-metadata",
                               f"severity label is {severity!r}, not one of {', '.join(SEVERITIES)}")
        for key in REQUIRED_ANNOTATIONS:
            if not str(entry.get("annotations", {}).get(key, "")).strip():
                yield in_rule_file(file.name, group, label, "alert-metadata", f"no {key} annotation")
