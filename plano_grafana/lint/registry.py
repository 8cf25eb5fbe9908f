"""The one registry of lint rules, for dashboards and rule files alike.

A rule is a function in its own module under ``lint/rules/`` whose docstring says why the
rule exists (the README's table repeats it). It is registered for a *subject*:

- ``dashboard``: called once per compiled dashboard (``check(dashboard, ctx)``);
- ``dashboards``: called once with every dashboard (uids unique across the set, promtool);
- ``rule file``: called once per compiled rule file (``check(RuleFile, ctx)``);
- ``rule files``: called once with every rule file (promtool).

The same name may serve a dashboard and a rule-file subject when the reason is the same
(``known-metric``). :class:`Context` carries what a rule needs besides its subject, so no
rule reads ambient state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import attr

from plano_grafana.lint.finding import Finding
from plano_grafana.model.catalogue import series_index
from plano_grafana.model.windows import Windows

SUBJECTS = ("dashboard", "dashboards", "rule file", "rule files")


@attr.s(frozen=True)
class RuleFile:
    """A compiled rule file: its name (``alerts.yaml``) and its ``{"groups": [...]}``."""

    name: str = attr.ib()
    data: dict = attr.ib()


@attr.s(frozen=True)
class Context:
    """What every rule may read: the known series and windows of the config being linted,
    and promtool (None when the promtool rules are off)."""

    recorded: frozenset[str] = attr.ib()  # series that recording rules write
    windows: Windows = attr.ib()
    promtool: str | None = attr.ib(default=None)
    #: the catalogue's series under the config's names (``[metrics] brightstaff_prefix``)
    catalogue: frozenset[str] = attr.ib(factory=lambda: frozenset(series_index()))


Check = Callable[..., Iterable[Finding]]


@attr.s(frozen=True)
class Rule:
    name: str = attr.ib()
    subject: str = attr.ib(validator=attr.validators.in_(SUBJECTS))
    check: Check = attr.ib()

    @property
    def why(self) -> str:
        """The first paragraph of the rule's docstring, on one line."""
        doc = (self.check.__doc__ or "").strip().split("\n\n")[0]
        return " ".join(doc.split())


#: Every rule, in the order they are registered (``lint/rules/__init__.py``).
RULES: list[Rule] = []


def rule(name: str, subject: str) -> Callable[[Check], Check]:
    """Register ``check`` as rule ``name`` for ``subject``; the function stays callable."""
    def register(check: Check) -> Check:
        if any(r.name == name and r.subject == subject for r in RULES):
            raise ValueError(f"lint rule {name!r} is registered twice for {subject}")
        RULES.append(Rule(name, subject, check))
        return check
    return register


def rules_for(*subjects: str) -> list[Rule]:
    return [r for r in RULES if r.subject in subjects]


def names(*subjects: str) -> list[str]:
    """Rule names for ``subjects``, each once, in registration order."""
    return list(dict.fromkeys(r.name for r in rules_for(*subjects)))
