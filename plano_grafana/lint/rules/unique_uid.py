"""``unique-uid``: one uid per dashboard across the set."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from plano_grafana.lint.finding import Finding, in_dashboard
from plano_grafana.lint.registry import Context, rule


@rule("unique-uid", "dashboards")
def unique_uid(dashboards: Sequence[dict], ctx: Context) -> Iterator[Finding]:
    """Two dashboards with one uid overwrite each other in Grafana; a dashboard without a
    uid gets a new random one at every import."""
    seen: dict[str, str] = {}
    for d in dashboards:
        uid = d.get("uid") or ""
        if not uid:
            yield in_dashboard(d, None, "unique-uid", "dashboard has no uid")
        elif uid in seen:
            yield in_dashboard(d, None, "unique-uid", f"uid also used by {seen[uid]!r}")
        seen[uid] = d.get("title", "")
