"""SIGINT/SIGTERM during a deploy (issue 20 item 6): the writes in flight finish, every
completed object's line is printed with "interrupted after K of N", in every --format,
and the exit code is 130. Output goes to a pipe, as in a CI log."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tests.support import poll
from tests.support.grafana_double import GrafanaDouble
from tests.support.grafana_target import CANARY, Target


def _start(double: GrafanaDouble, tmp_path, command: str, *args: str
           ) -> tuple[Target, subprocess.Popen]:
    """``plano-grafana COMMAND`` against the double in its own process (signals are the
    subject), its output on pipes as in a CI log."""
    target = Target(double, tmp_path)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GRAFANA_")}
    environ.update(PYTHONPATH=REPO, GRAFANA_URL=double.url, GRAFANA_TOKEN=CANARY,
                   PLANO_TEST_SUFFIX=target.suffix)
    return target, subprocess.Popen(
        [sys.executable, "-m", "plano_grafana", command, *target.args(), *args],
        cwd=REPO, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("fmt, signum", [("text", signal.SIGINT), ("json", signal.SIGTERM),
                                         ("markdown", signal.SIGINT)])
def test_interrupted_deploy_reports_what_it_did(tmp_path, fmt, signum):
    double = GrafanaDouble(latency=0.02).start()
    # each dashboard save takes 0.5 s: the signal, sent once the first is saved, lands
    # while the second is in flight, whatever the reads before them cost
    double.inject("POST", r"^/api(s/dashboard\.grafana\.app/.*)?/dashboards", delay=0.5, times=100)
    try:
        target, process = _start(double, tmp_path, "deploy", "--workers", "1", "--format", fmt,
                                 "--backup-dir", str(tmp_path / "b"))
        poll.until(lambda: len(double.dashboards) >= 1, "the first dashboard saved", every=0.02)
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        double.stop()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "Aborted" not in stderr
    created = set(double.dashboards)
    total = len(target.uids) + 2
    assert 1 <= len(created) < len(target.uids)
    if fmt == "json":
        report = json.loads(stdout)
        done = {c["name"] for c in report["changes"] if c["result"] == "created"}
        assert report["interrupted"] == {"done": len(report["changes"]), "total": total}
    else:
        done = {u for u in (*target.uids, target.folder, target.ds_uid) if u in stdout}
        assert f"interrupted after {len(done)} of {total}" in stdout
    assert done == created | {target.folder, target.ds_uid}
    assert f"interrupted after {len(done)} of {total}" in stderr


@pytest.mark.parametrize("command, signum, workers", [("deploy", signal.SIGINT, 1),
                                                      ("deploy", signal.SIGTERM, 1),
                                                      ("plan", signal.SIGINT, 1),
                                                      ("deploy", signal.SIGINT, 8)])
def test_a_signal_while_planning_stops_with_nothing_written(tmp_path, command, signum, workers):
    """Before the first write there is nothing to report but that: one line, exit 130 (not
    click's "Aborted!" and 1, nor a silent 143 from SIGTERM's default). With one worker the
    read in flight is dropped; with more, the reads in flight finish and no other starts."""
    double = GrafanaDouble(latency=0.02).start()
    # every read of the folder takes 3 s: the signal lands while the plan waits for it
    slow = double.inject("GET", r"^/api(s/folder\.grafana\.app/.*)?/folders", delay=3.0, times=100)
    try:
        _, process = _start(double, tmp_path, command, "--workers", str(workers))
        poll.until(lambda: slow.times < 100, "the folder's read at the double", every=0.02)
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=60)
        answered = [path for _, path, _ in double.log if "folders" in path]
    finally:
        double.stop()
    assert process.returncode == 130, stderr
    assert stderr.strip().splitlines() == [
        f"plano-grafana: interrupted ({signal.Signals(signum).name}) while reading Grafana "
        "and planning; nothing was written"]
    assert stdout == ""
    assert double.writes() == [] and not double.dashboards
    if workers == 1:
        assert answered == [], "the run waited for the slow read instead of dropping it"
    assert not [p for _, p, _ in double.log if "dashboards" in p], "a read started after the signal"
