"""``window``: a rule's fixed windows hold enough scrapes, and a record's name says its window."""

from __future__ import annotations

import re
from collections.abc import Iterator

from plano_grafana.lint import syntax
from plano_grafana.lint.finding import Finding, in_rule_file
from plano_grafana.lint.registry import Context, RuleFile, rule
from plano_grafana.lint.walk import rule_trees
from plano_grafana.model import durations

_RECORD_WINDOW = re.compile(r":(?:ratio_)?rate(\w+)$")


@rule("window", "rule file")
def window(file: RuleFile, ctx: Context) -> Iterator[Finding]:
    """No fixed window may ignore the configured scrape interval: every range is at least
    four scrape intervals (a shorter ``rate()`` has too few samples), and a record named
    ``…:rate<W>`` computes over exactly ``W`` (the dashboards trust the name).

    Dashboards say ``$__rate_interval`` and Grafana adapts it to the zoom and the scrape
    interval; a rule has no Grafana, so its window is fixed when the file is compiled, from
    the config's ``scrape_interval`` (plano_grafana/model/windows.py). This check is what
    keeps a hand-written ``[1m]`` from silently breaking under a 30 s scrape interval. The
    ranges of range selectors and subqueries come from the syntax tree.
    """
    floor = ctx.windows.rate_seconds
    for group, entry, label, tree in rule_trees(file.data):
        ranges = [r.total_seconds() for r in syntax.ranges(tree)]
        for seconds in sorted(set(ranges)):
            if seconds < floor:
                yield in_rule_file(file.name, group, label, "window",
                                   f"[{durations.text(seconds)}] is shorter than four scrape intervals "
                                   f"({durations.text(floor)} at scrape_interval "
                                   f"{durations.text(ctx.windows.scrape_interval)})")
        m = _RECORD_WINDOW.search(entry.get("record", ""))
        if m and ranges and not _named(m.group(1), ranges):
            yield in_rule_file(file.name, group, label, "window",
                               f"named rate{m.group(1)} but computes over "
                               f"{sorted({durations.text(s) for s in ranges})}")


def _named(name: str, ranges: list[float]) -> bool:
    try:
        return set(ranges) == {durations.seconds(name)}
    except ValueError:  # not a duration after all: the name promises nothing
        return True
