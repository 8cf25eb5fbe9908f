"""The shipped `spend` dashboard under the test's uid (see the package docstring)."""

from plano_grafana.build.dashboards import spend
from tests.support.isolated import isolate


def build(cfg):
    return isolate(spend.build(cfg))
