"""The simulator speaks Envoy's and brightstaff's exposition formats, and knows its truth."""

from __future__ import annotations

import re
import subprocess
import threading
import time
import urllib.request

import yaml

from plano_grafana.deploy import prometheus_config
from plano_grafana.model import catalogue as c
from plano_grafana.simulate.exposition import Registry
from plano_grafana.simulate.profiles import Profile
from plano_grafana.simulate.servers import Servers
from plano_grafana.simulate.simulator import Simulator
from plano_grafana.simulate.truth import bucket_bounds
from tests.support.cli import run


def test_envoy_format_is_envoys():
    sim = Simulator(Profile(seed=1))
    sim.step(5)
    text = sim.envoy.render("envoy")
    assert "# TYPE time_to_first_token histogram" in text
    assert 'time_to_first_token_bucket{le="100"}' in text  # Plano's custom TTFT buckets
    assert 'request_latency_bucket{le="0.5"}' in text and 'le="3600000"' in text  # defaults
    assert re.search(r'^request_latency_sum\{\} \d', text, re.M)  # braces with no tags
    assert re.search(r'^ratelimited_rq\{\} \d+$', text, re.M)  # counter, no _total
    assert "envoy_wasmcustom" not in text and "envoy_time_to_first_token" not in text
    assert "_created" not in text
    # the issue-504 dot problem: a base_url cluster's stats are exported under a mangled name
    assert 'envoy_cluster_docker_internal_upstream_rq_total{envoy_cluster_name="ollama_host"}' in text
    assert 'envoy_cluster_upstream_rq_total{envoy_cluster_name="ollama_host"}' not in text


def test_histogram_buckets_are_cumulative_and_inf_equals_count():
    sim = Simulator(Profile(seed=2))
    sim.step(5)
    text = sim.envoy.render("envoy")
    counts = [int(v) for v in re.findall(r'^output_sequence_length_bucket\{le="[^"]+"\} (\d+)', text, re.M)]
    assert counts == sorted(counts) and len(counts) == len(c.ENVOY_DEFAULT_BUCKETS) + 1
    total = int(re.search(r"^output_sequence_length_count\{\} (\d+)", text, re.M).group(1))
    assert counts[-1] == total > 0


def test_brightstaff_format_is_labelled_seconds():
    sim = Simulator(Profile(seed=3))
    sim.step(5)
    text = sim.brightstaff.render("brightstaff")
    assert "# HELP brightstaff_llm_tokens_total" in text
    assert re.search(r'brightstaff_llm_tokens_total\{provider="openai",model="gpt-4o",kind="prompt"\} \d+',
                     text)
    assert 'le="0.05"' in text and "brightstaff_build_info{" in text


def test_truth_matches_what_was_recorded():
    sim = Simulator(Profile(seed=4))
    sim.step(20)
    values = sim.truth.values("time_to_first_token", 0)
    snap = sim.envoy.snapshot()["time_to_first_token"][()]
    assert len(values) == snap[1] and abs(sum(values) - snap[2]) < 1e-6
    p50 = sim.truth.quantile("time_to_first_token", 0.5, 0)
    assert sorted(values)[len(values) // 4] <= p50 <= sorted(values)[3 * len(values) // 4]


def test_bucket_bounds():
    assert bucket_bounds(c.TTFT_BUCKETS, 850) == (800, 1000)
    assert bucket_bounds(c.TTFT_BUCKETS, 50) == (0, 100)


def test_same_seed_same_traffic():
    a, b = Simulator(Profile(seed=9)), Simulator(Profile(seed=9))
    a.step(3)
    b.step(3)
    assert a.envoy.render("envoy") == b.envoy.render("envoy")


def test_http_endpoints():
    sim = Simulator(Profile(seed=5))
    sim.step(2)
    servers = Servers(sim, envoy_port=0, brightstaff_port=0).start()
    try:
        with urllib.request.urlopen(f"http://{servers.envoy_address}/stats?format=prometheus") as r:
            assert b"request_latency_count{}" in r.read()
        with urllib.request.urlopen(f"http://{servers.brightstaff_address}/metrics") as r:
            assert b"brightstaff_llm_upstream_requests_total{" in r.read()
    finally:
        servers.stop()


def test_prometheus_config_follows_the_seed(tmp_path, promtool):
    result = run("prometheus-config", "--envoy-target", "plano:19901", "-o",
                     str(tmp_path / "prometheus.yml"))
    assert result.returncode == 0, result.stderr
    cfg = yaml.safe_load((tmp_path / "prometheus.yml").read_text())
    plano = cfg["scrape_configs"][0]
    assert plano["job_name"] == "plano" and plano["metrics_path"] == "/stats"
    assert plano["params"] == {"format": ["prometheus"]}
    assert plano["static_configs"][0]["targets"] == ["plano:19901"]
    assert cfg["scrape_configs"][1]["metrics_path"] == "/metrics"
    checked = subprocess.run([promtool, "check", "config", str(tmp_path / "prometheus.yml")],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert prometheus_config.config()["global"]["scrape_interval"] == "15s"


def test_simulate_command_serves_and_stops(tmp_path):
    result = run("simulate", "--envoy-port", "0", "--brightstaff-port", "0", "--duration", "1")
    assert result.returncode == 0, result.stderr
    assert "/stats?format=prometheus" in result.stdout


def _get(url: str) -> str:
    with urllib.request.urlopen(url) as r:
        return r.read().decode()


def test_plain_stats_are_envoys_text_format_and_brightstaff_may_be_renamed():
    sim = Simulator(Profile(seed=5))
    sim.step(2)
    servers = Servers(sim, envoy_port=0, brightstaff_port=0, brightstaff_prefix="gen_ai_otel_").start()
    try:
        text = _get(f"http://{servers.envoy_address}/stats")
        # StatsTextRender: "name: value", tags folded back into Envoy's dotted stat names
        assert re.search(r"^cluster\.openai\.upstream_rq_total: \d+$", text, re.M)
        assert re.search(r"^listener\.0\.0\.0\.0_12000\.http\.egress_traffic\.downstream_rq_2xx: \d+$",
                         text, re.M)
        assert re.search(r"^request_latency: P0\([\d.]+,[\d.]+\) P25\(", text, re.M)
        assert "# TYPE" not in text and "{" not in text
        metrics = _get(f"http://{servers.brightstaff_address}/metrics")
        assert "# TYPE gen_ai_otel_brightstaff_llm_tokens_total counter" in metrics
        assert not re.search(r"^brightstaff_", metrics, re.M)
        assert "gen_ai_otel_" not in _get(f"http://{servers.envoy_address}/stats?format=prometheus")
    finally:
        servers.stop()


def test_build_info_is_labelled_as_plano_release_builds_label_it():
    text = Simulator(Profile(seed=1)).brightstaff.render("brightstaff")
    assert 'brightstaff_build_info{version="0.1.0",git_sha="unknown"} 1' in text
    other = Simulator(Profile(seed=1, build_version="0.2.0", build_sha="abc1234"))
    assert 'version="0.2.0",git_sha="abc1234"' in other.brightstaff.render("brightstaff")


def test_simulate_refuses_a_prefix_no_metric_name_can_start_with():
    result = run("simulate", "--envoy-port", "0", "--brightstaff-port", "0", "--duration", "1",
                     "--metric-prefix", "9bad-")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "Invalid value for '--metric-prefix': '9bad-' cannot start a Prometheus metric name" \
        in result.stderr



def _openai_5xx(sim) -> float:
    series = sim.brightstaff.snapshot()["brightstaff_llm_upstream_requests_total"]
    return sum(v for labels, v in series.items()
               if dict(labels).get("provider") == "openai" and dict(labels)["status_class"] == "5xx")


def test_switch_starts_an_incident_on_the_same_providers():
    """The incident proof (tests/test_e2e_pages.py) switches a running installation's
    traffic; only behaviour may change, never the providers every series was made for."""
    import attr
    import pytest

    from plano_grafana.simulate.profiles import PROFILES

    sim = Simulator(PROFILES["healthy"])
    with pytest.raises(ValueError, match="keeps the providers"):
        sim.switch(attr.evolve(PROFILES["healthy"], providers=PROFILES["healthy"].providers[:2]))
    sim.step(60)
    assert _openai_5xx(sim) == 0
    sim.switch(PROFILES["provider-outage"])
    sim.step(60)
    assert _openai_5xx(sim) > 0


def test_a_scrape_never_reads_an_event_the_truth_stamps_after_it():
    """The truth is stamped under the registry's lock: a snapshot (a scrape's read) that
    holds an event was taken after the event's truth time. Stamped after the lock, a busy
    machine let a scrape read an increment the truth placed in the next scrape (CI: a
    gemini 4xx rate 0.9 against a truth of 0.78)."""
    entered, go, stamps, read = threading.Event(), threading.Event(), [], {}

    def late_listener(name, key, amount):  # a thread descheduled before it stamps
        entered.set()
        go.wait(10)
        stamps.append(time.monotonic())

    registry = Registry([c.UPSTREAM_RQ_TOTAL], late_listener)
    writer = threading.Thread(target=registry.inc, args=(c.UPSTREAM_RQ_TOTAL,),
                              kwargs={"envoy_cluster_name": "openai"})
    writer.start()
    assert entered.wait(10)

    def scrape():
        values = registry.snapshot()[c.UPSTREAM_RQ_TOTAL.name]
        read.update(values=values, at=time.monotonic())

    reader = threading.Thread(target=scrape)
    reader.start()
    reader.join(0.3)  # a reader not held back reads now, before the stamp
    go.set()
    writer.join(10)
    reader.join(10)
    assert read["values"], "the read came after the increment was in the registry"
    assert stamps[0] <= read["at"], "the scrape read an event the truth stamps after it"
