"""The shipped `llm_requests` dashboard under the test's uid (see the package docstring)."""

from plano_grafana.build.dashboards import llm_requests
from tests.support.isolated import isolate


def build(cfg):
    return isolate(llm_requests.build(cfg))
