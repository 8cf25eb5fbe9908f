"""A simulated Plano fleet scraped by a real Prometheus: the end-to-end tests' stage.

One or more simulators (each an "installation", optionally with static labels such as a
fleet label) serve Envoy's and brightstaff's endpoints on free ports; one Prometheus
scrapes them every second. :meth:`Stack.start` returns once every target is up; a test
then asks :meth:`Stack.ready` for the window it reads, which polls Prometheus until that
window is full of scrapes (no fixed settle time).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import attr

from plano_grafana.deploy import prometheus_config
from plano_grafana.simulate.profiles import Profile
from plano_grafana.simulate.servers import Servers
from plano_grafana.simulate.simulator import Simulator
from tests.support.prometheus import Prometheus


@attr.s
class Member:
    """One simulated Plano installation and the labels Prometheus adds to its series."""

    sim: Simulator = attr.ib()
    servers: Servers = attr.ib()
    labels: dict[str, str] = attr.ib(factory=dict)


def scrape_config(members: Sequence[Member], interval: str = "1s",
                  rule_files: Sequence[str] = (), extra: Mapping | None = None) -> dict:
    """The package's own Prometheus config, one static group per member with its labels."""
    cfg = prometheus_config.config([m.servers.envoy_address for m in members],
                                   [m.servers.brightstaff_address for m in members],
                                   scrape_interval=interval, scrape_timeout=interval)
    for job in cfg["scrape_configs"]:
        envoy = job["job_name"] == "plano"
        job["static_configs"] = [
            {"targets": [m.servers.envoy_address if envoy else m.servers.brightstaff_address],
             "labels": {"service": "plano", **m.labels}} for m in members]
    if rule_files:
        cfg["rule_files"] = list(rule_files)
    cfg.update(extra or {})
    return cfg


class Stack:
    """Simulators + Prometheus, started together and stopped in reverse order."""

    def __init__(self, prometheus_bin: str, profiles: Sequence[Profile] = (Profile(rate=120, seed=11),),
                 labels: Sequence[Mapping[str, str]] | None = None, *, promtool: str | None = None,
                 rule_files: Sequence[str | Path] = (), extra_config: Mapping | None = None,
                 scrape_configs: Callable[[list[Member]], list[dict]] | None = None):
        self.prometheus_bin = prometheus_bin
        self.profiles = list(profiles)
        self.labels = [dict(x) for x in (labels or [{}] * len(self.profiles))]
        self.promtool = promtool
        self.rule_files = [str(p) for p in rule_files]
        self.extra_config = extra_config
        #: Scrape jobs in place of the package's own, built once the members listen (the
        #: Kubernetes proof scrapes them as prometheus-operator's PodMonitor config would).
        self.scrape_configs = scrape_configs
        self.members: list[Member] = []
        self.prom: Prometheus | None = None

    @property
    def sim(self) -> Simulator:
        """The first (often the only) simulator."""
        return self.members[0].sim

    def start(self) -> Stack:
        try:
            for profile, labels in zip(self.profiles, self.labels, strict=True):
                sim = Simulator(profile).start()
                servers = Servers(sim, envoy_port=0, brightstaff_port=0).start()
                self.members.append(Member(sim, servers, labels))
            cfg = scrape_config(self.members, rule_files=self.rule_files, extra=self.extra_config)
            if self.scrape_configs:
                cfg["scrape_configs"] = self.scrape_configs(self.members)
            self.prom = Prometheus(self.prometheus_bin, cfg)
            if self.promtool:
                checked = subprocess.run([self.promtool, "check", "config",
                                          str(self.prom.config_path)],
                                         capture_output=True, text=True, timeout=60)
                if checked.returncode != 0:
                    raise RuntimeError(f"promtool check config: {checked.stdout}{checked.stderr}")
            self.prom.start()
            want = len(self.members)
            self.prom.wait_for(f"count(up{{job='brightstaff'}} == 1) == {want}")
            self.prom.wait_for(f"count(up{{job='plano'}} == 1) == {want}")
            return self
        except BaseException:
            self.stop()
            raise

    @property
    def targets(self) -> int:
        """Scrape targets: Envoy's and brightstaff's endpoint of every member."""
        return 2 * len(self.members)

    def ready(self, window: float) -> float:
        """An instant at which every target has been scraped for ``window`` seconds (polls
        Prometheus until it has; at once when it already had)."""
        assert self.prom is not None, "start the stack first"
        return self.prom.wait_for_window(self.targets, window)

    def stop(self) -> None:
        if self.prom:
            self.prom.stop()
        for member in reversed(self.members):
            member.servers.stop()
            member.sim.stop()
