"""What doctor reports: findings with a severity and a fix, and one status per panel.

Severity says what a finding does to an installation, so that the exit code means
something to a script:

* ``error`` — it empties panels or silences alerts (missing families, targets down,
  selectors matching nothing, no price rules for the spend dashboard, rule evaluation
  errors);
* ``warning`` — what a healthy installation may legitimately have (another Plano version,
  another scrape interval, models without a price, recording rules not loaded while the
  dashboards do not read them);
* ``info`` — everything else.

A finding names the catalogue families (and recorded series, and rate windows) it
``affects``: that is how a panel's cause is found, by what the panel reads.
"""

from __future__ import annotations

from collections.abc import Iterable

import attr

SEVERITIES = ("error", "warning", "info")
STATUSES = ("ok", "empty", "error")
#: The checks in the order they run.
CHECKS = ("targets", "families", "causes", "versions", "rules", "data", "panels")
#: The order findings are listed in within a severity: a cause before the missing
#: families it explains.
SHOWN = ("targets", "causes", "families", "versions", "rules", "data", "panels")


def _severity(_instance, _attribute, value: str) -> None:
    if value not in SEVERITIES:
        raise ValueError(f"severity {value!r} is not one of {SEVERITIES}")


@attr.s(frozen=True)
class Finding:
    """One thing doctor found: what, how bad, and what to do about it."""

    check: str = attr.ib()
    severity: str = attr.ib(validator=_severity)
    message: str = attr.ib()
    fix: str = attr.ib(default="")
    #: what it empties: family names, ``rate:<family>`` (rates over ``$__rate_interval``)
    #: and ``record:<name>`` (recorded series)
    affects: frozenset[str] = attr.ib(default=frozenset(), converter=frozenset)
    #: extra facts for ``--format json`` (e.g. the dashboards a missing family empties)
    details: dict = attr.ib(factory=dict, eq=False)

    def to_json(self) -> dict:
        out = {"check": self.check, "severity": self.severity, "message": self.message,
               "fix": self.fix}
        if self.affects:
            out["affects"] = sorted(self.affects)
        out.update(self.details)
        return out


@attr.s(frozen=True)
class PanelStatus:
    """One panel of one dashboard after its targets ran: ok, empty or error, and why."""

    dashboard: str = attr.ib()
    panel: str = attr.ib()
    status: str = attr.ib(validator=attr.validators.in_(STATUSES))
    cause: str = attr.ib(default="")

    def to_json(self) -> dict:
        return {"dashboard": self.dashboard, "panel": self.panel, "status": self.status,
                "cause": self.cause}


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """By severity, then causes before the families they explain, then as found."""
    items = list(findings)
    return sorted(items, key=lambda f: (SEVERITIES.index(f.severity), SHOWN.index(f.check)))


@attr.s(frozen=True)
class Report:
    """Everything one doctor run found."""

    prometheus: str = attr.ib()
    findings: tuple[Finding, ...] = attr.ib(converter=lambda v: tuple(ordered(v)))
    panels: tuple[PanelStatus, ...] = attr.ib(converter=tuple)

    @property
    def exit_code(self) -> int:
        """0 without an error-level finding, 1 with one (2, unreachable, never gets here)."""
        return 1 if any(f.severity == "error" for f in self.findings) else 0

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def to_json(self) -> dict:
        return {"prometheus": self.prometheus,
                "summary": {**{s: self.count(s) for s in SEVERITIES},
                            **{f"panels_{s}": sum(1 for p in self.panels if p.status == s)
                               for s in STATUSES}},
                "findings": [f.to_json() for f in self.findings],
                "panels": [p.to_json() for p in self.panels]}
