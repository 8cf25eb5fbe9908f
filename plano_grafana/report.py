"""Render a plan or a deploy result as text (people), JSON (machines) or Markdown (CI
job summaries)."""

from __future__ import annotations

import json

from plano_grafana.sync import Plan, summary

_SYMBOL = {"create": "+", "update": "~", "prune": "-", "drifted": "!", "error": "x",
           "unchanged": "=", "created": "+", "updated": "~", "pruned": "-", "refused": "!",
           "conflict": "!", "failed": "x"}


def _status(change, applied: bool) -> str:
    return change.result if applied else change.action


def text(plan: Plan, applied: bool, show_diff: bool = True) -> str:
    lines = []
    for ch in plan.changes:
        status = _status(ch, applied)
        title = f" ({ch.title})" if ch.title and ch.title != ch.name else ""
        detail = f": {ch.detail}" if ch.detail else ""
        lines.append(f"{_SYMBOL.get(status, '?')} {status:<9} {ch.kind:<10} {ch.name}{title}{detail}")
    if show_diff:
        for ch in plan.changes:
            if ch.diff and _status(ch, applied) not in ("unchanged",):
                lines.append("")
                lines.append(ch.diff.rstrip("\n"))
    counts = summary(plan.changes, applied)
    lines.append("")
    lines.append(("Applied: " if applied else "Plan: ") +
                 ", ".join(f"{n} {k}" for k, n in counts.items()))
    return "\n".join(lines) + "\n"


def as_json(plan: Plan, applied: bool) -> str:
    return json.dumps({
        "applied": applied,
        "summary": summary(plan.changes, applied),
        "changes": [{"kind": c.kind, "name": c.name, "title": c.title, "action": c.action,
                     "result": c.result or None, "detail": c.detail, "diff": c.diff}
                    for c in plan.changes],
    }, indent=2, sort_keys=True) + "\n"


def markdown(plan: Plan, applied: bool) -> str:
    counts = summary(plan.changes, applied)
    out = ["### plano-grafana " + ("deploy" if applied else "plan"), "",
           ", ".join(f"**{n}** {k}" for k, n in counts.items()), "",
           "| | kind | name | title | detail |", "|---|---|---|---|---|"]
    for ch in plan.changes:
        status = _status(ch, applied)
        detail = ch.detail.replace("|", "\\|")
        out.append(f"| {status} | {ch.kind} | `{ch.name}` | {ch.title} | {detail} |")
    for ch in plan.changes:
        if ch.diff and _status(ch, applied) != "unchanged":
            out += ["", f"<details><summary>{ch.kind} <code>{ch.name}</code>: "
                        f"{_status(ch, applied)}</summary>", "", "```diff", ch.diff.rstrip("\n"),
                    "```", "", "</details>"]
    return "\n".join(out) + "\n"


FORMATS = {"text": text, "json": as_json, "markdown": markdown}
