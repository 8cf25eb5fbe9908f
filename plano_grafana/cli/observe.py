"""Commands that look at a running installation, or stand in for one: preview, doctor and
the simulator."""

from __future__ import annotations

import errno
import sys
from pathlib import Path

import click

from plano_grafana import pipeline
from plano_grafana.build import outputs, rules_compiler
from plano_grafana.cli.options import (
    CONFIG,
    MODULES,
    NO_DEFAULTS,
)
from plano_grafana.errors import PlanoGrafanaError
from plano_grafana.params import DURATION, HTTP_URL, METRIC_PREFIX, PORT, RATE, SECONDS


@click.command()
@click.option("--prometheus-url", type=HTTP_URL, required=True,
              help="Prometheus to run the dashboards' queries on.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("previews"), show_default=True, help="Folder for <uid>.png and previews.json.")
@click.option("--range", "range_seconds", type=SECONDS, default="1h", show_default=True,
              help="Time range ending now, as Grafana's time picker (5m, 1h, 1d).")
@click.option("--scrape-interval", "scrape_seconds", type=SECONDS, default="15s",
              show_default=True,
              help="Prometheus scrape interval (the datasource's timeInterval) for $__rate_interval.")
@click.option("--dashboard", "uids", multiple=True, metavar="UID", help="Only this dashboard (repeatable).")
@MODULES
@NO_DEFAULTS
@CONFIG
def preview(prometheus_url, out_dir, range_seconds, scrape_seconds, uids, modules, no_defaults,
            cfg) -> None:
    """Render each dashboard to OUT/<uid>.png from a real Prometheus (no Grafana needed)."""
    from plano_grafana import preview as pv

    dashboards = pipeline.build(cfg, modules, defaults=not no_defaults).values()
    with outputs.prepared(out_dir):  # an unwritable OUT is one line before any query runs
        summaries = pv.preview(dashboards, prometheus_url, out_dir, range_seconds=range_seconds,
                               scrape_seconds=scrape_seconds, uids=uids,
                               on_done=lambda s: click.echo(s.line()))
    failed = [f"{s.uid}: {line}" for s in summaries for line in s.failed]
    for line in failed:
        click.echo(f"plano-grafana: warning: panel failed: {line}", err=True)
    if failed:
        click.echo(f"plano-grafana: warning: {len(failed)} panel(s) drawn as failed", err=True)


@click.command()
@click.option("--prometheus-url", required=True, type=HTTP_URL, help="The Prometheus to diagnose.")
@click.option("--dashboard", "uids", multiple=True, metavar="UID", help="Only this dashboard (repeatable).")
@click.option("--range", "range_", type=DURATION, default="1h", show_default=True,
              help="Time range ending now that panels and rates are judged over.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@CONFIG
def doctor(prometheus_url, uids, range_, fmt, cfg) -> None:
    """Say why panels are empty: targets, families, causes, versions, rules, data, panels.

    Exit 0 without an error-level finding, 1 with one, 2 when Prometheus cannot be reached.
    """
    from plano_grafana import doctor as dr
    from plano_grafana.doctor import report
    from plano_grafana.model import durations

    dashboards = pipeline.build(cfg).values()
    result = dr.diagnose(dashboards, rules_compiler.build_all(cfg), cfg, prometheus_url, uids=uids,
                         range_seconds=durations.seconds(range_))
    click.echo(report.as_json(result) if fmt == "json" else report.text(result), nl=False)
    sys.exit(result.exit_code)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--envoy-port", type=PORT, default=19901, show_default=True,
              help="Envoy admin port (/stats?format=prometheus), 19901 as in Plano's docs.")
@click.option("--brightstaff-port", type=PORT, default=9092, show_default=True,
              help="brightstaff metrics port (/metrics).")
@click.option("--rate", type=RATE, default=20.0, show_default=True,
              help="Client requests per second (0 or more).")
@click.option("--seed", default=7, show_default=True, help="Random seed of the traffic.")
@click.option("--duration", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Stop after this many seconds.")
@click.option("--plano-config", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Simulate the providers and models of this Plano config file.")
@click.option("--metric-prefix", type=METRIC_PREFIX, default="",
              help="Prefix on every brightstaff metric name, as a renaming collector adds "
                   "([metrics] brightstaff_prefix reads it).")
def simulate(host: str, envoy_port: int, brightstaff_port: int, rate: float, seed: int,
             duration: float | None, plano_config: Path | None, metric_prefix: str) -> None:
    """Serve simulated Plano metrics (Envoy admin and brightstaff) from seeded traffic."""
    import time

    from plano_grafana.simulate.profiles import Profile, providers_from
    from plano_grafana.simulate.servers import Servers
    from plano_grafana.simulate.simulator import Simulator

    profile = Profile(rate=rate, seed=seed)
    if plano_config:
        from plano_grafana.model import plano_config as pc

        profile = Profile(rate=rate, seed=seed, providers=providers_from(pc.load(plano_config)))
    sim = Simulator(profile).start()
    try:
        servers = Servers(sim, host, envoy_port, brightstaff_port, metric_prefix).start()
    except OSError as exc:  # servers.ListenError names the address, port and endpoint
        sim.stop()
        hint = " (choose another with --envoy-port/--brightstaff-port)" \
            if exc.errno == errno.EADDRINUSE else ""
        raise PlanoGrafanaError(f"{exc.strerror}{hint}") from None
    click.echo(f"Envoy admin: http://{servers.envoy_address}/stats?format=prometheus")
    click.echo(f"brightstaff: http://{servers.brightstaff_address}/metrics")
    click.echo(f"truth:       http://{servers.envoy_address}/truth?window=60")
    try:
        deadline = time.monotonic() + duration if duration else None
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        servers.stop()
        sim.stop()
