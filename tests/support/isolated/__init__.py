"""The shipped dashboards under test-private uids, for a suite that runs in a shared Grafana.

``PLANO_TEST_SUFFIX`` (e.g. ``-3f9a1c``) is appended to each dashboard's uid, so every test
of tests/test_grafana_sync.py deploys its own copies of the dashboards, and a real Grafana the
suite runs against keeps no two tests' objects apart only by luck. Unset: the shipped uids.
Used as ``--no-defaults --module tests.support.isolated.<name>``.
"""

from __future__ import annotations

import os

import attr

MODULES = tuple(f"tests.support.isolated.{name}"
                for name in ("llm_requests", "input_tokens", "output_tokens", "routing", "spend"))


def isolate(dashboard):
    """The grafanalib dashboard with the test's uid suffix."""
    return attr.evolve(dashboard, uid=dashboard.uid + os.environ.get("PLANO_TEST_SUFFIX", ""))
