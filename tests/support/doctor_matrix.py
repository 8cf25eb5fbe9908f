"""The doctor's fault matrix: one real Prometheus per broken setup, all started at once.

A few simulators (the healthy Plano, a variant with other job names, scrape interval,
build and an unpriced model, and one with a dotted ``base_url`` provider from a Plano
config) serve their endpoints; each case gets its own Prometheus whose scrape config
and rule files make exactly one fault. Every server starts in parallel and each case is
ready when its own readiness queries answer (N samples scraped, price rules evaluated),
never after a fixed sleep, so the matrix costs about as much as its slowest case.
"""

from __future__ import annotations

import copy
import json
import multiprocessing
import textwrap
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import attr
import yaml

from plano_grafana.build import rules_compiler
from plano_grafana.deploy import prometheus_config
from plano_grafana.model import config
from plano_grafana.model import plano_config as pc
from plano_grafana.model.config import Config
from plano_grafana.simulate.profiles import HEALTHY_PROVIDERS, Profile, Provider, providers_from
from plano_grafana.simulate.servers import Servers
from plano_grafana.simulate.simulator import Simulator
from tests.support import poll
from tests.support.backfill import create_blocks, history, write_openmetrics
from tests.support.prometheus import Prometheus, free_port

#: Scrapes (1 s apart) of every target before a case is ready: two of them in the
#: $__rate_interval before a panel's last step, which can be a whole step (15 s: the
#: config's scrape interval is the floor of $__interval) before now.
SAMPLES = 20
#: The healthy providers without the dotted base_url one (that is a fault of its own).
PLAIN_PROVIDERS = tuple(p for p in HEALTHY_PROVIDERS if "." not in p.cluster)
#: A model the price table does not know.
UNPRICED = Provider("mistral", "mistral", ("mistral-unpriced-preview",), 0.2)
PRICED_CONFIG = {"prices": {"anthropic/claude-sonnet-4": {"input": 3.0, "output": 15.0}}}
#: A local-Ollama-only Plano: its one provider's cluster has dots (Plano #504).
PLANO_YAML = textwrap.dedent("""\
    version: v0.4.0
    model_providers:
      - model: ollama/llama3.1
        base_url: http://host.docker.internal:11434
        default: true
    """)
RELABEL_PREFIX = "gen_ai_otel_"
#: A hand-written rule that fails every evaluation: one-to-one matching on no labels over
#: two series on each side ("found duplicate series for the match group").
FAILING_RULES = {"groups": [{"name": "team-extras", "rules": [
    {"record": "team:up_pairs:product", "expr": "up * on() up"}]}]}


@attr.s
class Case:
    """One broken (or healthy) setup: its Prometheus and the doctor config it is read with."""

    name: str = attr.ib()
    sim: str = attr.ib()
    shape: Callable[[dict, Member], None] = attr.ib()
    rules: bool = attr.ib(default=True)
    ready: Sequence[str] = attr.ib(default=(f"min(count_over_time(up[5m])) >= {SAMPLES}",))
    #: seconds between samples of an hour of history backfilled before the start (0: none)
    history: float = attr.ib(default=0)
    #: config keys the case's rule files are compiled with, beyond its own
    rules_config: Mapping = attr.ib(factory=dict)
    #: one more rule file, as written by hand next to the package's
    extra_rules: Mapping | None = attr.ib(default=None)
    config: Mapping = attr.ib(factory=lambda: copy.deepcopy(PRICED_CONFIG))
    prom: Prometheus | None = attr.ib(default=None)


@attr.s
class Member:
    """A simulator serving in a process of its own: the doctor runs in the test's process,
    and a simulator sharing its interpreter lock could miss a 1 s scrape timeout."""

    process: multiprocessing.process.BaseProcess = attr.ib()
    envoy_address: str = attr.ib()
    brightstaff_address: str = attr.ib()

    @classmethod
    def start(cls, profile: Profile) -> Member:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        process = ctx.Process(target=_serve, args=(profile, child), daemon=True)
        process.start()
        if not parent.poll(60):
            process.kill()
            raise RuntimeError("the simulator process did not start within 60 s")
        envoy, brightstaff = parent.recv()
        return cls(process, envoy, brightstaff)

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(10)


def _serve(profile: Profile, conn) -> None:
    """The simulator process: serve until terminated."""
    sim = Simulator(profile).start()
    servers = Servers(sim, envoy_port=0, brightstaff_port=0).start()
    conn.send((servers.envoy_address, servers.brightstaff_address))
    threading.Event().wait()


def _jobs(cfg: dict) -> dict[str, dict]:
    return {job["job_name"]: job for job in cfg["scrape_configs"]}


def healthy(cfg: dict, _member: Member) -> None:
    pass


def variant(cfg: dict, _member: Member) -> None:
    """Other job names, a 2 s scrape: healthy all the same."""
    jobs = _jobs(cfg)
    jobs["plano"]["job_name"] = "envoy-admin"
    jobs["brightstaff"]["job_name"] = "llm-metrics"
    for job in cfg["scrape_configs"]:
        job["scrape_interval"] = job["scrape_timeout"] = "2s"


def no_brightstaff(cfg: dict, _member: Member) -> None:
    cfg["scrape_configs"] = [j for j in cfg["scrape_configs"] if j["job_name"] != "brightstaff"]


def prefixed(cfg: dict, _member: Member) -> None:
    """An OpenTelemetry-style rename of every brightstaff series."""
    _jobs(cfg)["brightstaff"]["metric_relabel_configs"] = [
        {"source_labels": ["__name__"], "regex": "(brightstaff_.*)", "target_label": "__name__",
         "replacement": f"{RELABEL_PREFIX}$1"}]


def envoy_down(cfg: dict, _member: Member) -> None:
    _jobs(cfg)["plano"]["static_configs"][0]["targets"] = [f"127.0.0.1:{free_port()}"]


def plain_text(cfg: dict, _member: Member) -> None:
    del _jobs(cfg)["plano"]["params"]


def east_envoy(cfg: dict, _member: Member) -> None:
    """Envoy's job labelled with a fleet label, brightstaff's not."""
    _jobs(cfg)["plano"]["static_configs"][0]["labels"]["k8s_cluster"] = "east"


def every_minute(cfg: dict, _member: Member) -> None:
    for job in cfg["scrape_configs"]:
        job["scrape_interval"] = "60s"
        job["scrape_timeout"] = "10s"
    cfg["global"]["scrape_interval"] = "60s"


CASES = (
    Case("healthy", "plain", healthy),
    Case("variant", "variant", variant, config={}),
    Case("no-brightstaff", "plain", no_brightstaff),
    Case("no-rules", "plain", healthy, rules=False),
    Case("prefixed", "plain", prefixed,
         rules_config={"metrics": {"brightstaff_prefix": RELABEL_PREFIX}}),
    Case("envoy-down", "plain", envoy_down),
    Case("plain-text", "plain", plain_text),
    # an hour of scrapes every minute, backfilled: the first live scrape may take a minute
    Case("every-minute", "plain", every_minute, ready=("count(envoy_server_live) > 0",),
         history=60),
    Case("dotted", "dotted", healthy),
    # also: only Envoy's job carries k8s_cluster (read with [fleet] label = "k8s_cluster")
    Case("rule-error", "plain", east_envoy, extra_rules=FAILING_RULES),
)


class Matrix:
    """Simulators and one Prometheus per case, started together, stopped in reverse."""

    def __init__(self, prometheus_bin: str, promtool: str, directory: Path,
                 cases: Sequence[Case] = CASES):
        self.binary = prometheus_bin
        self.promtool = promtool
        self.dir = directory
        self.cases = {c.name: attr.evolve(c) for c in cases}
        self.members: dict[str, Member] = {}
        self.plano_config = directory / "plano_config.yaml"
        self.profiles: dict[str, Profile] = {}

    def case(self, name: str) -> Case:
        return self.cases[name]

    def config_file(self, name: str, **overrides) -> Path:
        """A plano-grafana.toml for the case (the case's keys, then ``overrides``)."""
        data = {**self.cases[name].config, **overrides}
        if name == "dotted":
            data.setdefault("plano_config", str(self.plano_config))
        path = self.dir / f"{name}-{abs(hash(repr(sorted(data.items()))))}.toml"
        path.write_text(_toml(data))
        return path

    def _profiles(self) -> dict[str, Profile]:
        self.plano_config.write_text(PLANO_YAML)
        return {"plain": Profile(rate=20, seed=5, providers=PLAIN_PROVIDERS, p_ratelimited=0.005),
                "variant": Profile(rate=20, seed=6, providers=(*PLAIN_PROVIDERS, UNPRICED),
                                   build_version="0.2.0", build_sha="0123abcd"),
                "dotted": Profile(rate=20, seed=8,
                                  providers=providers_from(pc.load(self.plano_config)))}

    def _rule_file(self, case: Case) -> list[str]:
        if not case.rules:
            return []
        cfg = self.config_of(case.name, **case.rules_config)
        groups = [g for data in rules_compiler.build_all(cfg).values() for g in data["groups"]]
        path = self.dir / f"rules-{case.name}.yaml"
        path.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
        if not case.extra_rules:
            return [str(path)]
        extra = self.dir / f"extra-rules-{case.name}.yaml"
        extra.write_text(yaml.safe_dump(dict(case.extra_rules), sort_keys=False))
        return [str(path), str(extra)]

    def config_of(self, name: str, **overrides) -> Config:
        return config.load(self.config_file(name, **overrides))

    def _prometheus(self, case: Case) -> Prometheus:
        member = self.members[case.sim]
        cfg = prometheus_config.config([member.envoy_address],
                                       [member.brightstaff_address],
                                       scrape_interval="1s", scrape_timeout="1s",
                                       rule_files=self._rule_file(case))
        cfg["global"]["evaluation_interval"] = "1s"
        case.shape(cfg, member)
        return Prometheus(self.binary, cfg, tsdb=self._backfill(case, member))

    def _backfill(self, case: Case, member: Member) -> Path | None:
        """An hour of ``case.history``-spaced samples up to now, under the live targets'
        job and instance, so the live scrapes continue the same series. Timestamps are
        off the grid Grafana's steps fall on, as real scrapes are."""
        if not case.history:
            return None
        steps = int(3600 // case.history)
        sim = Simulator(attr.evolve(self.profiles[case.sim], rate=2))  # a light history
        start = time.time() - steps * case.history + 0.37
        address = {"envoy": ("plano", member.envoy_address),
                   "brightstaff": ("brightstaff", member.brightstaff_address)}
        om = self.dir / f"{case.name}.om"
        write_openmetrics(om, history(sim, steps, case.history), 1, start, case.history,
                          lambda side, _n: address[side])
        tsdb = self.dir / f"tsdb-{case.name}"
        create_blocks(self.promtool, om, tsdb)
        return tsdb

    def start(self) -> Matrix:
        try:
            self.profiles = self._profiles()
            for name, profile in self.profiles.items():
                self.members[name] = Member.start(profile)
            for case in self.cases.values():
                case.prom = self._prometheus(case)
            with ThreadPoolExecutor(max_workers=len(self.cases)) as pool:
                list(pool.map(lambda c: c.prom.start(), self.cases.values()))
                list(pool.map(self._wait, self.cases.values()))
            return self
        except BaseException:
            self.stop()
            raise

    def _wait(self, case: Case) -> None:
        queries = list(case.ready)
        if case.rules:
            queries.append("count(plano:llm_billed_usd_per_token) > 0")
        for query in queries:
            case.prom.wait_for(query, timeout=120)
        if case.extra_rules:  # evaluated (and failed) at least once
            poll.until(lambda: any(r.get("health") == "err"
                                   for g in case.prom.api("rules")["groups"] for r in g["rules"]),
                       f"{case.name}: a failed rule evaluation", timeout=120)

    def stop(self) -> None:
        for case in self.cases.values():
            if case.prom:
                case.prom.stop()
        for member in reversed(list(self.members.values())):
            member.stop()


def _toml(data: Mapping, table: str = "") -> str:
    """Just enough TOML for a test config: scalars, then tables (quoted dotted keys)."""
    lines, tables = [], []
    for key, value in data.items():
        name = f'"{key}"' if ("/" in key or "." in key) else key
        if isinstance(value, Mapping):
            tables.append((f"{table}.{name}" if table else name, value))
        elif isinstance(value, bool):
            lines.append(f"{name} = {'true' if value else 'false'}")
        elif isinstance(value, str):
            lines.append(f"{name} = {json.dumps(value)}")
        else:
            lines.append(f"{name} = {value!r}")
    out = "\n".join(lines) + ("\n" if lines else "")
    for name, value in tables:
        out += f"\n[{name}]\n" + _toml(value, name)
    return out
