"""The shipped `output_tokens` dashboard under the test's uid (see the package docstring)."""

from plano_grafana.build.dashboards import output_tokens
from tests.support.isolated import isolate


def build(cfg):
    return isolate(output_tokens.build(cfg))
