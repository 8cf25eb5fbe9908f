"""The shipped `input_tokens` dashboard under the test's uid (see the package docstring)."""

from plano_grafana.build.dashboards import input_tokens
from tests.support.isolated import isolate


def build(cfg):
    return isolate(input_tokens.build(cfg))
