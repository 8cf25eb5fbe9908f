"""``runbook-anchor``: an alert's runbook link opens the alert's own section."""

from __future__ import annotations

from collections.abc import Iterator

from plano_grafana.lint.finding import Finding, in_rule_file
from plano_grafana.lint.registry import Context, RuleFile, rule
from plano_grafana.lint.walk import rule_entries


@rule("runbook-anchor", "rule file")
def runbook_anchor(file: RuleFile, ctx: Context) -> Iterator[Finding]:
    """``runbook_url`` must point at the alert's own section of the runbooks: the person
    paged at night lands on what to do, not on the top of a long page."""
    for group, entry, label in rule_entries(file.data):
        url = entry.get("annotations", {}).get("runbook_url")
        if "alert" in entry and url and not url.endswith("#" + entry["alert"].lower()):
            yield in_rule_file(file.name, group, label, "runbook-anchor",
                               f"runbook_url {url!r} does not end in #{entry['alert'].lower()}")
