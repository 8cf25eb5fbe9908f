"""Render a plan or a deploy result as text (people), JSON (machines) or Markdown (CI
job summaries)."""

from __future__ import annotations

import json

from plano_grafana.deploy.model import Change, Plan, summary

_SYMBOL = {"create": "+", "update": "~", "adopt": "~", "prune": "-", "drifted": "!",
           "error": "x", "provisioned": "x", "unchanged": "=", "created": "+", "updated": "~",
           "adopted": "~", "pruned": "-", "refused": "!", "conflict": "!", "failed": "x"}


def _status(change, applied: bool) -> str:
    return change.result if applied else change.action


def line(change: Change, applied: bool) -> str:
    """One object's line: symbol, status, kind, name (title): detail."""
    status = _status(change, applied)
    title = f" ({change.title})" if change.title and change.title != change.name else ""
    detail = f": {change.detail}" if change.detail else ""
    return f"{_SYMBOL.get(status, '?')} {status:<11} {change.kind:<10} {change.name}{title}{detail}"


def text(plan: Plan, applied: bool, show_diff: bool = True, lines: bool = True) -> str:
    """The whole report; ``lines=False`` leaves out the per-object lines (already printed
    one by one as a deploy went)."""
    out = [line(ch, applied) for ch in plan.changes] if lines else []
    if show_diff:
        for ch in plan.changes:
            if ch.diff and _status(ch, applied) not in ("unchanged",):
                out.append("")
                out.append(ch.diff.rstrip("\n"))
    counts = summary(plan.changes, applied)
    if out:
        out.append("")
    if plan.backup_dir:
        out.append(f"Backups of what was overwritten or deleted: {plan.backup_dir}")
    out.append(("Applied: " if applied else "Plan: ") +
               ", ".join(f"{n} {k}" for k, n in counts.items()))
    if plan.interrupted:
        out.append(interrupted(plan))
    return "\n".join(out) + "\n"


def interrupted(plan: Plan) -> str:
    """The line an interrupted deploy ends with: how far it got."""
    done, total = plan.interrupted or (0, 0)
    return f"interrupted after {done} of {total}: the objects above are done, the rest untouched"


def as_json(plan: Plan, applied: bool) -> str:
    return json.dumps({
        "applied": applied,
        "api": plan.api,
        "backup_dir": plan.backup_dir or None,
        "interrupted": ({"done": plan.interrupted[0], "total": plan.interrupted[1]}
                        if plan.interrupted else None),
        "summary": summary(plan.changes, applied),
        "changes": [{"kind": c.kind, "name": c.name, "title": c.title, "action": c.action,
                     "result": c.result or None, "detail": c.detail, "diff": c.diff}
                    for c in plan.changes],
    }, indent=2, sort_keys=True) + "\n"


def markdown(plan: Plan, applied: bool) -> str:
    counts = summary(plan.changes, applied)
    out = ["### plano-grafana " + ("deploy" if applied else "plan"), "",
           ", ".join(f"**{n}** {k}" for k, n in counts.items()), "",
           *([f"Backups of what was overwritten or deleted: `{plan.backup_dir}`", ""]
             if plan.backup_dir else []),
           *([f"**{interrupted(plan)}**", ""] if plan.interrupted else []),
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
