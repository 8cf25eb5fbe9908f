"""Lint: what is wrong with a compiled dashboard or rule file, before it is written or sent.

Reads PromQL through a syntax tree (``syntax``) and checks syntax with promtool.

May import: ``plano_grafana.model``, ``plano_grafana.build``, ``plano_grafana.errors``,
promql-parser. Never deploy, preview, doctor or simulate.
"""
