"""deploy imports only what it uses (issue 16 item 9): checked on a real run's
``sys.modules`` in a fresh interpreter, against the test double."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import REPO
from tests.support.grafana_double import GrafanaDouble

#: Never needed by plan/deploy: drawing, the simulator, the doctor. (The rule-file rules
#: are small modules of the one lint registry, loaded with the dashboard lint deploy runs.)
NOT_FOR_DEPLOY = ("matplotlib", "plano_grafana.preview", "plano_grafana.simulate",
                  "plano_grafana.doctor")

RUN = r"""
import json, runpy, sys
sys.argv = ["plano_grafana", *sys.argv[1:]]
try:
    runpy.run_module("plano_grafana", run_name="__main__")
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def test_deploy_imports_no_drawing_simulator_doctor_or_rule_lint(tmp_path):
    double = GrafanaDouble().start()
    try:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("GRAFANA_")}
        environ.update(PYTHONPATH=REPO, GRAFANA_URL=double.url, GRAFANA_TOKEN="glsa_admin_token",
                       MPLBACKEND="Agg")
        result = subprocess.run([sys.executable, "-c", RUN, "deploy", "--backup-dir",
                                 str(tmp_path / "b")], cwd=REPO, env=environ,
                                capture_output=True, text=True, timeout=120)
    finally:
        double.stop()
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["code"] == 0, result.stderr
    assert double.dashboards  # it did deploy
    loaded = [m for m in report["modules"] if m.startswith(NOT_FOR_DEPLOY)]
    assert loaded == []
