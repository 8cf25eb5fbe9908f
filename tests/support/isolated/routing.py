"""The shipped `routing` dashboard under the test's uid (see the package docstring)."""

from plano_grafana.build.dashboards import routing
from tests.support.isolated import isolate


def build(cfg):
    return isolate(routing.build(cfg))
