"""Every lint rule, one module each (after grafana/dashboard-linter's ``lint/rule_*.go``).

Importing this package registers them all; a new rule is a new module imported here and a
row in the README's table (tests/test_lint.py checks both).
"""

from plano_grafana.lint.rules import (  # noqa: F401  (imported to register)
    alert_metadata,
    datasource,
    description,
    grid,
    known_metric,
    promql,
    promtool_check,
    quantile_name,
    rate_interval,
    runbook_anchor,
    unique_panel_ids,
    unique_uid,
    unit,
    window,
)
