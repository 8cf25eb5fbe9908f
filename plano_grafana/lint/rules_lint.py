"""Rule-file linter: the dashboard linter's idea (one rule, one function, one reason)
applied to compiled rule files.

Each check takes one compiled file (``{"groups": [...]}``) and yields :class:`Finding` s
that name the file, the group and the rule. ``promtool check rules`` parses every file
as Prometheus will. Checks that need the whole set (which series a rule records) get it
through :class:`Context`.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import attr

from plano_grafana.build import rules_compiler
from plano_grafana.errors import PlanoGrafanaError
from plano_grafana.lint.dashboard_lint import promtool_path
from plano_grafana.model import catalogue, config, windows
from plano_grafana.model.config import Config

SEVERITIES = ("critical", "warning", "info")
REQUIRED_ANNOTATIONS = ("summary", "description", "runbook_url")
#: Series Prometheus makes itself; every other name must be in the catalogue or recorded.
BUILTIN_SERIES = frozenset({"up", "ALERTS", "ALERTS_FOR_STATE"})


@attr.s(frozen=True, order=True)
class Finding:
    file: str = attr.ib()
    group: str = attr.ib()
    rule: str = attr.ib()
    check: str = attr.ib()
    message: str = attr.ib()

    def __str__(self) -> str:
        where = f"group {self.group!r}: {self.rule}: " if self.group else ""
        return f"{self.file}: {where}{self.check}: {self.message}"


@attr.s(frozen=True)
class Context:
    recorded: frozenset[str] = attr.ib()
    windows: windows.Windows = attr.ib()
    #: the catalogue's series under the config's names (``[metrics] brightstaff_prefix``)
    catalogue: frozenset[str] = attr.ib(factory=lambda: frozenset(catalogue.series_index()))


Check = Callable[[str, dict, Context], Iterable[Finding]]
CHECKS: dict[str, Check] = {}


def check(name: str) -> Callable[[Check], Check]:
    def register(func: Check) -> Check:
        CHECKS[name] = func
        return func
    return register


def _rules(data: dict) -> Iterator[tuple[str, dict, str]]:
    for group in data.get("groups", []):
        for rule in group.get("rules", []):
            label = f"alert {rule['alert']}" if "alert" in rule else f"record {rule.get('record')}"
            yield group.get("name", "?"), rule, label


@check("alert-metadata")
def alert_metadata(name: str, data: dict, ctx: Context) -> Iterator[Finding]:
    """An alert reaches a person: it needs a severity to route on, a summary for the
    notification's title, a description that says why it matters, and a runbook."""
    for group, rule, label in _rules(data):
        if "alert" not in rule:
            continue
        severity = rule.get("labels", {}).get("severity")
        if severity not in SEVERITIES:
            yield Finding(name, group, label, "alert-metadata",
                          f"severity label is {severity!r}, not one of {', '.join(SEVERITIES)}")
        for key in REQUIRED_ANNOTATIONS:
            if not str(rule.get("annotations", {}).get(key, "")).strip():
                yield Finding(name, group, label, "alert-metadata", f"no {key} annotation")


@check("runbook-anchor")
def runbook_anchor(name: str, data: dict, ctx: Context) -> Iterator[Finding]:
    """``runbook_url`` must point at the alert's own section of the runbooks."""
    for group, rule, label in _rules(data):
        url = rule.get("annotations", {}).get("runbook_url")
        if "alert" in rule and url and not url.endswith("#" + rule["alert"].lower()):
            yield Finding(name, group, label, "runbook-anchor",
                          f"runbook_url {url!r} does not end in #{rule['alert'].lower()}")


_RANGE = re.compile(r"\[([0-9a-z]+)(?::[0-9a-z]*)?\]")
_RECORD_WINDOW = re.compile(r":(?:ratio_)?rate(\w+)$")


@check("window")
def window(name: str, data: dict, ctx: Context) -> Iterator[Finding]:
    """No fixed window may ignore the configured scrape interval: every range is at least
    four scrape intervals (a shorter ``rate()`` has too few samples), and a record named
    ``…:rate<W>`` computes over exactly ``W`` (the dashboards trust the name).

    Dashboards say ``$__rate_interval`` and Grafana adapts it to the zoom and the scrape
    interval; a rule has no Grafana, so its window is fixed when the file is compiled, from
    the config's ``scrape_interval`` (plano_grafana/model/windows.py). This check is what keeps a
    hand-written ``[1m]`` from silently breaking under a 30 s scrape interval.
    """
    floor = ctx.windows.rate_seconds
    for group, rule, label in _rules(data):
        expr = rule.get("expr", "")
        ranges = _RANGE.findall(expr)
        for text in ranges:
            try:
                seconds = windows.parse_duration(text)
            except ValueError:
                yield Finding(name, group, label, "window", f"[{text}] is not a duration")
                continue
            if seconds < floor:
                yield Finding(name, group, label, "window",
                              f"[{text}] is shorter than four scrape intervals "
                              f"({windows.duration(floor)} at scrape_interval "
                              f"{windows.duration(ctx.windows.scrape_interval)})")
        m = _RECORD_WINDOW.search(rule.get("record", ""))
        if m and ranges and set(ranges) != {m.group(1)}:
            yield Finding(name, group, label, "window",
                          f"named rate{m.group(1)} but computes over {sorted(set(ranges))}")


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACES = re.compile(r"\{[^}]*\}")
_BRACKETS = re.compile(r"\[[^\]]*\]")
_LABEL_LISTS = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENT = re.compile(r"(?<![\w:.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(?!\s*\()")
_KEYWORDS = frozenset({"and", "or", "unless", "bool", "offset", "by", "without", "on",
                       "ignoring", "group_left", "group_right", "inf", "nan", "Inf", "NaN"})


def series_names(expr: str) -> set[str]:
    """Metric names an expression reads (strings, label matchers, ranges and label lists
    stripped; function names are followed by a parenthesis)."""
    text = _STRING.sub('""', expr)
    text = _BRACES.sub(" ", text)
    text = _BRACKETS.sub(" ", text)
    text = _LABEL_LISTS.sub(" ", text)
    text = re.sub(r"\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b", " ", text)
    return {n for n in _IDENT.findall(text) if n not in _KEYWORDS}


@check("known-metric")
def known_metric(name: str, data: dict, ctx: Context) -> Iterator[Finding]:
    """Every series read is in the catalogue or recorded by a rule of the set: an unknown
    name is an alert that can never fire."""
    known = set(ctx.catalogue) | ctx.recorded | BUILTIN_SERIES
    for group, rule, label in _rules(data):
        for series in sorted(series_names(rule.get("expr", "")) - known):
            yield Finding(name, group, label, "known-metric",
                          f"{series} is neither in the metrics catalogue nor recorded by a rule")


def promtool_findings(files: dict[str, dict], promtool: str) -> list[Finding]:
    """``promtool check rules`` on every rendered file (Prometheus's own parser and checks)."""
    findings = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in sorted(files.items()):
            path = Path(tmp) / name
            path.write_text(rules_compiler.render(name, data), encoding="utf-8")
            proc = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True,
                                  text=True, timeout=120)
            if proc.returncode != 0:
                lines = [ln.strip() for ln in (proc.stdout + proc.stderr).splitlines()
                         if ln.strip() and "Checking" not in ln and "FAILED" not in ln]
                findings.append(Finding(name, "", "", "promtool",
                                        "; ".join(lines[:3]) or "promtool check rules failed"))
    return findings


def lint(files: dict[str, dict], cfg: Config = config.DEFAULT, *,
         promtool: bool = True) -> list[Finding]:
    """All findings for a compiled rule set (file name -> groups)."""
    ctx = Context(frozenset(r["record"] for data in files.values()
                            for _, r, _ in _rules(data) if "record" in r),
                  windows.Windows.of(cfg),
                  frozenset(catalogue.series_index(cfg.metrics.brightstaff_prefix)))
    findings: list[Finding] = []
    for name, data in sorted(files.items()):
        for func in CHECKS.values():
            findings.extend(func(name, data, ctx))
    if promtool:
        path = promtool_path()
        if not path:
            raise PlanoGrafanaError("promtool not found (install Debian's 'prometheus' package "
                                    "or set PROMTOOL_BIN); it checks the rule files")
        findings.extend(promtool_findings(files, path))
    return sorted(findings)
