"""A Plano metrics simulator: Envoy admin and brightstaff endpoints fed by seeded traffic.

Plano cannot run everywhere the dashboards are developed or demonstrated, so this
generates LLM requests from known distributions and records them the way Plano does
(docs/metrics.md): the WASM histograms at the 12001 hop in milliseconds,
Envoy cluster stats per provider attempt, listener stats, and brightstaff's labelled
metrics in seconds. Every observation is also written to a truth log
(:mod:`plano_grafana.simulate.truth`), so a test can ask what a panel *should* show and compare
it with what Prometheus computes; :mod:`plano_grafana.simulate.servers` serves it over HTTP.
What the traffic looks like (providers, rates, fault profiles) is
:mod:`plano_grafana.simulate.profiles`; what brightstaff records around each request
(routing, sessions, HTTP RED) is :mod:`plano_grafana.simulate.front_door`.
"""

from __future__ import annotations

import math
import random
import threading
import time

from plano_grafana.model import catalogue as c
from plano_grafana.simulate.exposition import Registry
from plano_grafana.simulate.front_door import FrontDoor, poisson
from plano_grafana.simulate.profiles import Profile, RoutingProfile
from plano_grafana.simulate.truth import TruthLog

ENVOY_METRICS = [m for m in c.CATALOGUE.values()
                 if m.source not in (c.Source.BRIGHTSTAFF, c.Source.RULES)]
BRIGHTSTAFF_METRICS = [m for m in c.CATALOGUE.values() if m.source is c.Source.BRIGHTSTAFF]
CLIENT_LISTENER = "0.0.0.0_12000"
LLM_LISTENER = "0.0.0.0_12001"


def _mangled_metrics(cluster: str) -> dict[str, c.Metric]:
    """The stat names Envoy exports for a cluster whose name has dots (Plano issue #504; docs/metrics.md).

    ``cluster.$.**`` takes only the first dot-separated token as the tag, so the rest of
    the cluster name ends up in the metric name: ``envoy_cluster_docker_internal_…``.
    """
    rest = cluster.split(".", 1)[1].replace(".", "_").replace("-", "_")
    return {stat: c.Metric(f"envoy_cluster_{rest}_{stat}", c.Kind.COUNTER, "short",
                           c.Source.ENVOY_CLUSTER, "mangled by Envoy tag extraction",
                           labels=("envoy_cluster_name",))
            for stat in ("upstream_rq_total", "upstream_rq_completed")}


class Simulator:
    """Generates traffic in a background thread into an Envoy and a brightstaff registry."""

    def __init__(self, profile: Profile | None = None, routing: RoutingProfile | None = None):
        self.profile = profile or Profile()
        self.routing = routing or RoutingProfile()
        self.truth = TruthLog()
        self._mangled = {p.cluster: _mangled_metrics(p.cluster) for p in self.profile.providers
                         if "." in p.cluster}
        extra = [m for ms in self._mangled.values() for m in ms.values()]
        self.envoy = Registry(ENVOY_METRICS + extra, self.truth.record)
        self.brightstaff = Registry(BRIGHTSTAFF_METRICS, self.truth.record)
        self._rng = random.Random(self.profile.seed)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._weights = [p.weight for p in self.profile.providers]
        self._init_series()

    def _init_series(self) -> None:
        env, bs = self.envoy, self.brightstaff
        env.set(c.SERVER_LIVE, 1)
        env.set(c.ACTIVE_HTTP_CALLS, 0)
        env.inc(c.RATELIMITED_RQ, 0)
        for listener in (CLIENT_LISTENER, LLM_LISTENER):
            env.inc(c.LISTENER_DOWNSTREAM_RQ_COMPLETED, 0, envoy_listener_address=listener,
                    envoy_http_conn_manager_prefix="egress_traffic")
            for cls in ("2", "4", "5"):
                env.inc(c.LISTENER_DOWNSTREAM_RQ_XX, 0, envoy_listener_address=listener,
                        envoy_http_conn_manager_prefix="egress_traffic",
                        envoy_response_code_class=cls)
        cluster_metrics = [m for m in ENVOY_METRICS if m.source is c.Source.ENVOY_CLUSTER
                           and len(m.labels) == 1]
        clusters = [p.stat_cluster_name for p in self.profile.providers if "." not in p.cluster]
        clusters += list(c.INTERNAL_CLUSTERS)
        for cluster in clusters:
            for metric in cluster_metrics:
                env.touch(metric, envoy_cluster_name=cluster)
        bs.set(c.BS_BUILD_INFO, 1, version=self.profile.build_version,
               git_sha=self.profile.build_sha)
        for p in self.profile.providers:
            for model in p.models:
                bs.inc(c.BS_LLM_USAGE_MISSING, 0, provider=p.provider, model=model)
                for kind in ("prompt", "completion", "cache_read", "cache_write"):
                    bs.inc(c.BS_LLM_TOKENS, 0, provider=p.provider, model=model, kind=kind)
        # brightstaff's front door: its own random stream, so routing traffic leaves the
        # seeded LLM traffic unchanged
        self.front = FrontDoor(bs, self.routing, self.profile.rate, self.profile.seed)

    # --- traffic
    def step(self, dt: float) -> int:
        """Generate the requests of ``dt`` seconds (Poisson arrivals); returns how many."""
        n = self._poisson(self.profile.rate * dt)
        for _ in range(n):
            self.request()
        return n

    def _poisson(self, lam: float) -> int:
        return poisson(self._rng, lam, normal_above=50)

    def request(self) -> None:
        """One client request through Plano, recorded at every hop that sees it."""
        rng, prof, env, bs = self._rng, self.profile, self.envoy, self.brightstaff
        p = rng.choices(prof.providers, self._weights)[0]
        model = rng.choice(p.models)
        stream = rng.random() < prof.p_stream
        input_tokens = max(1, round(rng.lognormvariate(math.log(prof.input_tokens_median),
                                                       prof.input_tokens_sigma)))
        env.observe(c.INPUT_SEQUENCE_LENGTH, input_tokens)
        env.inc(c.UPSTREAM_RQ_TOTAL, envoy_cluster_name="bright_staff")
        env.inc(c.UPSTREAM_RQ_COMPLETED, envoy_cluster_name="bright_staff")
        if rng.random() < prof.p_ratelimited:
            env.inc(c.RATELIMITED_RQ)
            self._listeners("4")
            self.front.request(p, model, 429, 0.002, ok=False)
            bs.inc(c.BS_LLM_UPSTREAM_REQUESTS, provider=p.provider, model=model,
                   status_class="4xx", error_class="none")
            return
        u = rng.random()
        code = "500" if u < p.p_5xx else "429" if u < p.p_5xx + p.p_429 else "200"
        ok = code == "200"
        if ok:
            ttft = rng.lognormvariate(math.log(p.ttft_ms_median), p.ttft_sigma)
            out_tokens = max(1, round(rng.lognormvariate(math.log(p.output_tokens_median), 0.7)))
            per_token = rng.lognormvariate(math.log(p.ms_per_token_median), 0.3)
            latency = ttft + out_tokens * per_token
        else:
            ttft, out_tokens = 0.0, 0
            latency = rng.lognormvariate(math.log(250), 0.5)
        latency_ms = max(1, round(latency))
        # WASM filter at the 12001 hop (milliseconds, integer TPOT and tokens/s)
        if ok and stream:
            env.observe(c.TIME_TO_FIRST_TOKEN, max(1, round(ttft)))
        env.observe(c.REQUEST_LATENCY, latency_ms)
        env.observe(c.OUTPUT_SEQUENCE_LENGTH, out_tokens)
        if out_tokens > 0:
            tpot = latency_ms // out_tokens
            env.observe(c.TIME_PER_OUTPUT_TOKEN, tpot)
            if tpot > 0:
                env.observe(c.TOKENS_PER_SECOND, 1000 // tpot)
        # Envoy cluster stats (per attempt) and listeners
        cluster = p.stat_cluster_name
        if p.cluster in self._mangled:  # issue #504: the rest of the name lands in the stat name
            mangled = self._mangled[p.cluster]
            env.inc(mangled["upstream_rq_total"], envoy_cluster_name=cluster)
            env.inc(mangled["upstream_rq_completed"], envoy_cluster_name=cluster)
        else:
            env.inc(c.UPSTREAM_RQ_TOTAL, envoy_cluster_name=cluster)
            env.inc(c.UPSTREAM_RQ_COMPLETED, envoy_cluster_name=cluster)
            env.inc(c.UPSTREAM_RQ_XX, envoy_cluster_name=cluster, envoy_response_code_class=code[0])
            env.inc(c.UPSTREAM_RQ_CODE, envoy_cluster_name=cluster, envoy_response_code=code)
            env.observe(c.UPSTREAM_RQ_TIME, latency_ms, envoy_cluster_name=cluster)
            if code == "500" and rng.random() < 0.3:
                env.inc(c.UPSTREAM_RQ_RX_RESET, envoy_cluster_name=cluster)
        self._listeners(code[0])
        head_ms = ttft if ok and stream else latency_ms  # brightstaff returns the head then
        self.front.request(p, model, int(code), head_ms / 1000, ok=ok)
        # brightstaff (seconds; provider/model labels)
        labels = {"provider": p.provider, "model": model}
        bs.inc(c.BS_LLM_UPSTREAM_REQUESTS, **labels, status_class=code[0] + "xx", error_class="none")
        bs.observe(c.BS_LLM_UPSTREAM_DURATION, latency_ms / 1000, **labels)
        if ok and stream:
            bs.observe(c.BS_LLM_TTFT, round(ttft) / 1000, **labels)
        if ok:
            if rng.random() < prof.p_usage_missing:
                bs.inc(c.BS_LLM_USAGE_MISSING, **labels)
                return
            prompt = round(input_tokens * prof.tokenizer_drift)
            hit = rng.random() < prof.p_cache_hit
            cached = prompt // 2 if hit else prompt // 10
            # OpenAI-shaped usage counts cache tokens inside prompt_tokens, Anthropic's
            # (by the provider's interface, not its name) leaves them out
            reported = prompt - cached if p.prompt_excludes_cache else prompt
            bs.inc(c.BS_LLM_TOKENS, reported, **labels, kind="prompt")
            bs.inc(c.BS_LLM_TOKENS, out_tokens, **labels, kind="completion")
            bs.inc(c.BS_PROMPT_CACHE_REQUESTS, **labels, outcome="hit" if hit else "miss")
            bs.inc(c.BS_LLM_TOKENS, cached, **labels, kind="cache_read" if hit else "cache_write")

    def _listeners(self, code_class: str) -> None:
        for listener in (CLIENT_LISTENER, LLM_LISTENER):
            tags = {"envoy_listener_address": listener,
                    "envoy_http_conn_manager_prefix": "egress_traffic"}
            self.envoy.inc(c.LISTENER_DOWNSTREAM_RQ_COMPLETED, **tags)
            self.envoy.inc(c.LISTENER_DOWNSTREAM_RQ_XX, **tags, envoy_response_code_class=code_class)

    def _run(self, tick: float) -> None:
        last = time.monotonic()
        while not self._stop.wait(tick):
            now = time.monotonic()
            self.step(now - last)
            active = self._poisson(self.profile.rate * 0.5)
            self.envoy.set(c.ACTIVE_HTTP_CALLS, self._rng.randint(0, 3))
            for p in self.profile.providers:
                if "." not in p.cluster:
                    self.envoy.set(c.UPSTREAM_RQ_ACTIVE, round(active * p.weight),
                                   envoy_cluster_name=p.stat_cluster_name)
            self.front.in_flight_tick()
            last = now

    def start(self, tick: float = 0.05) -> Simulator:
        self._thread = threading.Thread(target=self._run, args=(tick,), daemon=True,
                                        name="plano-simulator")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
