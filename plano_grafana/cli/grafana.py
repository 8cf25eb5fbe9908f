"""Commands that talk to Grafana or write what Grafana and Prometheus read: plan, deploy,
file provisioning and the Prometheus scrape config."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from plano_grafana import pipeline
from plano_grafana.build import outputs
from plano_grafana.cli.options import (
    CONFIG,
    MODULES,
    NO_DEFAULTS,
    echo_written,
    is_default,
)
from plano_grafana.params import DURATION, FOLDER, HTTP_URL, TARGET

GRAFANA_OPTIONS = [
    MODULES,
    NO_DEFAULTS,
    CONFIG,
    click.option("--env", "environment", default=None, metavar="NAME",
                 help="Environment from the config's [environments.NAME]: its Grafana URL and "
                      "token variables, folder, Prometheus URL and datasource."),
    click.option("--folder", type=FOLDER, default=None,
                 help="Target folder as UID:TITLE (default: the config's, plano:Plano); the "
                      "uid as Grafana allows: letters, digits, '-', '_', at most 40."),
    click.option("--prometheus-url", type=HTTP_URL, envvar="PROMETHEUS_URL", default=None,
                 help="URL the Grafana datasource points at ($PROMETHEUS_URL; else the "
                      "environment's or the config's; else the datasource keeps its URL, and "
                      "a new one gets http://prometheus:9090)."),
    click.option("--scrape-interval", type=DURATION, default=None,
                 help="Prometheus scrape interval (a Prometheus duration, e.g. 15s), set as "
                      "the datasource's timeInterval (default: the config's scrape_interval, "
                      "15s)."),
    click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]),
                 default="text", show_default=True),
    click.option("--prune", is_flag=True,
                 help="Also delete dashboards this deployment made in the target folder that "
                      "are no longer in code (changed in Grafana since: only with --force)."),
    click.option("--workers", type=click.IntRange(1, 32), default=8, show_default=True,
                 help="Requests to Grafana in flight at once."),
    click.option("--api", "api_path", type=click.Choice(["auto", "classic", "apis"]),
                 default="auto", show_default=True,
                 help="Dashboard API: apis (Grafana 13's /apis/dashboard.grafana.app/v1), "
                      "classic (/api), or auto (apis when GET /apis lists that group at v1)."),
]


def _grafana_options(func):
    for option in reversed(GRAFANA_OPTIONS):
        func = option(func)
    return func


def _target(cfg, environment, folder, prometheus_url, scrape_interval) -> pipeline.Target:
    return pipeline.target(cfg, folder=folder, prometheus_url=prometheus_url,
                           scrape_interval=scrape_interval, environment=environment)


def _planned(cfg, dest: pipeline.Target, stop, **kwargs):
    """``pipeline.plan``, abandoned at once on SIGINT/SIGTERM with one line and exit 130:
    nothing is written before the plan is whole, so that is all there is to report."""
    from plano_grafana.deploy import signals

    try:
        with signals.abandoning(stop):
            return pipeline.plan(cfg, dest, stop=stop, **kwargs)
    except signals.Interrupted as exc:
        click.echo(f"plano-grafana: interrupted ({exc}) while reading Grafana and planning; "
                   "nothing was written", err=True)
        sys.exit(signals.EXIT_INTERRUPTED)


@click.command()
@_grafana_options
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 0 when nothing would change, 2 when changes are pending, 1 on error.")
def plan(modules, no_defaults, cfg, environment, folder, prometheus_url, scrape_interval, fmt,
         prune, workers, api_path, detailed_exitcode) -> None:
    """Compare code with Grafana and show what deploy would do. Writes nothing.

    Credentials come from GRAFANA_URL, GRAFANA_TOKEN (or GRAFANA_USER/GRAFANA_PASSWORD),
    or from the variables the --env environment names.
    """
    import threading

    from plano_grafana.deploy import report

    dest = _target(cfg, environment, folder, prometheus_url, scrape_interval)
    _, _, result = _planned(cfg, dest, threading.Event(), modules=modules,
                            defaults=not no_defaults, prune=prune, workers=workers,
                            api=api_path)
    click.echo(report.FORMATS[fmt](result, applied=False), nl=False)
    if result.errors or result.blocked:
        sys.exit(1)
    if detailed_exitcode and (result.pending or result.drifted):
        sys.exit(2)


@click.command()
@_grafana_options
@click.option("--dry-run", is_flag=True, help="Only plan (same as 'plan').")
@click.option("--force", is_flag=True,
              help="Overwrite dashboards that were edited in Grafana (deletes only with --prune).")
@click.option("--message", default=None, help="Version message (default: names the git commit).")
@click.option("--backup-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path(".plano-grafana/backups"), show_default=True,
              help="Grafana's copy of each dashboard is saved to DIR/<UTC timestamp>/<uid>.json "
                   "before it is overwritten or deleted.")
@click.option("--lock", is_flag=True,
              help="On the /apis path, mark dashboards grafana.app/managerAllowsEdits=false, "
                   "so Grafana's UI will not save them (default: edits allowed, reported as "
                   "drift).")
def deploy(modules, no_defaults, cfg, environment, folder, prometheus_url, scrape_interval, fmt,
           prune, workers, api_path, dry_run, force, message, backup_dir, lock) -> None:
    """Apply the plan: create or update what differs, skip what is unchanged.

    Credentials come from GRAFANA_URL, GRAFANA_TOKEN (or GRAFANA_USER/GRAFANA_PASSWORD),
    or from the variables the --env environment names.
    Exit codes: 0 success, 1 error (including a dashboard Grafana provisions or another
    tool manages), 3 refused because a dashboard was changed in Grafana, 130 interrupted
    (SIGINT/SIGTERM: while planning nothing is written; once writing, the writes in flight
    finish and what was done is reported).
    """
    import threading

    from plano_grafana.deploy import report, signals

    dest = _target(cfg, environment, folder, prometheus_url, scrape_interval)
    stop = threading.Event()
    engine, desired, result = _planned(cfg, dest, stop, modules=modules,
                                       defaults=not no_defaults, prune=prune, message=message,
                                       workers=workers, backup_dir=backup_dir, api=api_path,
                                       lock=lock)
    if dry_run:
        click.echo(report.FORMATS[fmt](result, applied=False), nl=False)
        return
    # On a terminal each object's line appears as it is done; files and pipes (and the
    # json/markdown formats) get the whole report at the end.
    live = fmt == "text" and sys.stdout.isatty()
    on_done = (lambda change: click.echo(report.line(change, applied=True))) if live else None
    with signals.stopping(stop):
        result = engine.apply(result, desired, force=force, on_done=on_done)
    if live:
        click.echo(report.text(result, applied=True, lines=False), nl=False)
    else:
        click.echo(report.FORMATS[fmt](result, applied=True), nl=False)
    if result.backup_dir:
        click.echo(f"plano-grafana: Grafana's copies of what was overwritten or deleted are in "
                   f"{result.backup_dir}", err=True)
    code = pipeline.deploy_exit_code(result)
    blocked = [c.name for c in result.changes if c.result == "provisioned"]
    if blocked:
        click.echo(f"plano-grafana: not written, Grafana does not allow it through the API "
                   f"(provisioned or managed by another tool): {', '.join(blocked)}", err=True)
    if code == 3:
        click.echo("plano-grafana: refused to overwrite changes made in Grafana; review the "
                   "diff, then re-run with --force to overwrite them", err=True)
    if result.interrupted:
        click.echo(f"plano-grafana: {report.interrupted(result)}", err=True)
        code = signals.EXIT_INTERRUPTED
    sys.exit(code)


@click.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("provisioning"), show_default=True)
@click.option("--prometheus-url", type=HTTP_URL, envvar="PROMETHEUS_URL",
              default=None,
              help="URL the datasource points at ($PROMETHEUS_URL; default: the config's "
                   "[datasource] url, else http://prometheus:9090).")
@click.option("--scrape-interval", type=DURATION, default=None,
              help="Prometheus duration, e.g. 15s or 1m (default: the config's scrape_interval).")
@click.option("--envoy-target", "envoy_targets", type=TARGET, multiple=True,
              default=["simulator:19901"],
              show_default=True, help="Plano Envoy admin host:port for the Prometheus config.")
@click.option("--brightstaff-target", "brightstaff_targets", type=TARGET, multiple=True,
              default=["simulator:9092"], show_default=True)
@CONFIG
def provisioning(out_dir, prometheus_url, scrape_interval, envoy_targets, brightstaff_targets,
                 cfg):
    """Write Grafana provisioning files (datasource, dashboard provider, JSON) and a
    Prometheus config, for docker-compose.yml or your own Grafana."""
    from plano_grafana.deploy import provisioning as prov
    from plano_grafana.model import durations

    dashboards = pipeline.build_checked(cfg)
    scrape_interval = scrape_interval or durations.text(cfg.scrape_interval)
    texts = prov.files(dashboards, prometheus_url, scrape_interval, list(envoy_targets),
                       list(brightstaff_targets), cfg)
    result = prov.write(out_dir, texts)
    echo_written(out_dir, result)


@click.command("prometheus-config")
@click.option("--envoy-target", "envoy_targets", type=TARGET, multiple=True,
              default=["host.docker.internal:19901"], show_default=True,
              help="host:port of Plano's Envoy admin (repeatable).")
@click.option("--brightstaff-target", "brightstaff_targets", type=TARGET, multiple=True,
              default=["host.docker.internal:9092"], show_default=True,
              help="host:port of brightstaff's metrics (repeatable).")
@click.option("--scrape-interval", type=DURATION, default="15s", show_default=True,
              help="Prometheus duration, e.g. 15s or 1m.")
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, metavar="DIR",
              help="Also evaluate the rule files DIR/*.yaml (e.g. rules/, from "
                   "'plano-grafana rules'): Spend and the SLO panels read their series.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write here instead of standard output.")
@click.option("--docker", is_flag=True,
              help="Plano started by 'planoai up --docker': Envoy's admin on the host's 19901, "
                   "brightstaff on 19092, which you publish with '-p 19092:9092' (README).")
def prometheus_config(envoy_targets, brightstaff_targets, scrape_interval, rules_dir,
                      output, docker) -> None:
    """Print a Prometheus config that scrapes Plano (the seed's sample plus brightstaff)."""
    from plano_grafana.deploy import prometheus_config as pc

    if docker and is_default("brightstaff_targets"):  # Envoy's default is 19901 already
        brightstaff_targets = [pc.DOCKER_BRIGHTSTAFF_TARGET]
    rule_files = [pc.rule_glob(rules_dir, output)] if rules_dir else []
    text = pc.render(pc.config(envoy_targets, brightstaff_targets, scrape_interval,
                               rule_files=rule_files), docker=docker)
    if output:
        outputs.write_text(output, text)
    else:
        click.echo(text, nl=False)
