"""``promtool``: every rule file loads in Prometheus."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from plano_grafana.build import rules_compiler
from plano_grafana.lint import promtool as runner
from plano_grafana.lint.finding import Finding
from plano_grafana.lint.registry import Context, RuleFile, rule


@rule("promtool", "rule files")
def promtool(files: Sequence[RuleFile], ctx: Context) -> Iterator[Finding]:
    """Each rendered file must pass ``promtool check rules``: Prometheus's own parser and
    checks (YAML shape, duplicate names, label templates), exactly as Prometheus will load
    the file."""
    if ctx.promtool is None:
        return
    rendered = {f.name: rules_compiler.render(f.name, f.data) for f in files}
    for name, lines in sorted(runner.check_rules(ctx.promtool, rendered).items()):
        yield Finding(name, "", "promtool", "; ".join(lines[:3]))
