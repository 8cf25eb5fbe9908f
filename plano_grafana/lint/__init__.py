"""Lint: what is wrong with a compiled dashboard or rule file, before it is written or sent.

One framework for both: one :class:`~plano_grafana.lint.finding.Finding`, one registry
(``registry``), one rule per module under ``rules/`` (each docstring says why), one
promtool runner (``promtool``). Rules that read PromQL read it through the syntax tree
(``syntax``); promtool stays the authoritative parse. ``run`` applies the rules under the
config it is given.

May import: ``plano_grafana.model``, ``plano_grafana.build``, ``plano_grafana.errors``,
promql-parser. Never deploy, preview, doctor or simulate.
"""
