"""Command line: parses arguments and dispatches to the library; no logic of its own.

Errors meant for the user (:class:`PlanoGrafanaError`) become one line on stderr and
the error's exit code, never a traceback.
"""

from __future__ import annotations

import errno
import sys
from pathlib import Path

import click

from plano_grafana import pipeline
from plano_grafana.build import compiler, outputs, rules_compiler
from plano_grafana.errors import PlanoGrafanaError
from plano_grafana.model import config as configuration
from plano_grafana.model import plano_config, upstream
from plano_grafana.params import DURATION, FOLDER, HTTP_URL, METRIC_PREFIX, PORT, RATE, SECONDS, TARGET


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except PlanoGrafanaError as exc:
            click.echo(f"plano-grafana: error: {exc}", err=True)
            sys.exit(exc.exit_code)


MODULES = click.option("--module", "modules", multiple=True, metavar="IMPORT.PATH",
                       help="Extra dashboard module to build besides the package's own "
                            "(repeatable).")
NO_DEFAULTS = click.option("--no-defaults", is_flag=True,
                           help="Build only the --module dashboards, not the package's own.")


def _is_default(param: str) -> bool:
    """Whether the current command's ``param`` was left at its default."""
    source = click.get_current_context().get_parameter_source(param)
    return source is click.core.ParameterSource.DEFAULT


def _echo_written(out_dir: Path, result: outputs.Written) -> None:
    """One line per file the artefact pipeline wrote or removed."""
    for name in result.written:
        click.echo(f"wrote {out_dir / name}")
    for name in result.removed:
        click.echo(f"removed {out_dir / name}")


def _load_config(ctx: click.Context, _param, value: Path | None) -> configuration.Config:
    try:
        return configuration.load(value, ctx.meta.get("plano_config"))
    except PlanoGrafanaError as exc:
        click.echo(f"plano-grafana: error: {exc}", err=True)
        ctx.exit(exc.exit_code)


def _remember_plano_config(ctx: click.Context, _param, value: Path | None) -> None:
    ctx.meta["plano_config"] = value


_CONFIG_FILE = click.option(
    "--config", "cfg", type=click.Path(dir_okay=False, path_type=Path), default=None,
    callback=_load_config, help=f"Config file (default: ./{configuration.DEFAULT_FILE} if present).")
_PLANO_CONFIG = click.option(
    "--plano-config", type=click.Path(dir_okay=False, path_type=Path), default=None,
    is_eager=True, expose_value=False, callback=_remember_plano_config,
    help="Plano's config file: its model_providers narrow the provider-cluster variable.")


def CONFIG(func):
    """``--config`` (loaded and validated into ``cfg``) and ``--plano-config``."""
    return _PLANO_CONFIG(_CONFIG_FILE(func))


RULES_OUT = click.option("--rules-out", "rules_dir",
                         type=click.Path(file_okay=False, path_type=Path), default=Path("rules"),
                         show_default=True, help="Folder of compiled rule files.")
OUT = click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
                   default=Path("dashboards"), show_default=True,
                   help="Folder of compiled dashboard JSON.")


@click.group(cls=_Group)
@click.version_option(package_name="plano-grafana",
                      message=f"%(prog)s %(version)s\n{upstream.summary()}")
def main() -> None:
    """Grafana dashboards for Plano, as code: build, lint, simulate and deploy.

    \b
    Shell completion (in ~/.bashrc; zsh_source in ~/.zshrc, fish_source for fish):
      eval "$(_PLANO_GRAFANA_COMPLETE=bash_source plano-grafana)"
    """


@main.command()
@OUT
@MODULES
@NO_DEFAULTS
@CONFIG
@click.option("--for-import", is_flag=True,
              help="Write Grafana's import format (__inputs with DS_PROMETHEUS, __requires) "
                   "for Dashboards > New > Import or the public catalogue; needs --out DIR.")
def build(out_dir: Path, modules: tuple[str, ...], no_defaults: bool, cfg, for_import: bool) -> None:
    """Compile the dashboards to OUT/<uid>.json (linted first; nothing written on error).

    JSON files in OUT that plano-grafana wrote earlier and no module produces now are
    removed; any other file there is left alone.
    """
    if for_import and _is_default("out_dir"):
        raise PlanoGrafanaError("--for-import needs --out DIR: dashboards/ holds the committed "
                                "form that deploy, provisioning and check use")
    dashboards = pipeline.build_checked(cfg, modules, defaults=not no_defaults)
    if for_import:
        from plano_grafana.build.importable import for_import as importable

        dashboards = {name: importable(data) for name, data in dashboards.items()}
    result = compiler.write(out_dir, dashboards)
    _echo_written(out_dir, result)
    click.echo(f"{len(dashboards)} dashboards, {len(result.written)} changed"
               + (f", {len(result.removed)} removed" if result.removed else ""))


@main.command()
@OUT
@MODULES
@NO_DEFAULTS
@CONFIG
@RULES_OUT
@click.option("--k8s-out", "k8s_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("deploy/kubernetes"), show_default=True,
              help="Folder of the Kubernetes objects ('make k8s').")
def check(out_dir: Path, modules: tuple[str, ...], no_defaults: bool, cfg, rules_dir: Path,
          k8s_dir: Path) -> None:
    """Exit 1 with a diff when OUT, RULES-OUT or K8S-OUT differs from a fresh build; then
    lint."""
    result = pipeline.check(cfg, out_dir, modules, defaults=not no_defaults, rules_dir=rules_dir,
                            k8s_dir=k8s_dir)
    for diff in result.diffs:
        click.echo(diff, nl=False)
    for finding in result.findings:
        click.echo(str(finding), err=True)
    if result.diffs:
        raise PlanoGrafanaError(f"{len(result.diffs)} file(s) differ from a fresh build: run "
                                "'make dashboards' (it also builds rules/ and deploy/kubernetes/) "
                                "and commit the result")
    if result.findings:
        raise PlanoGrafanaError(f"{len(result.findings)} lint finding(s)")
    click.echo(f"{len(result.dashboards)} dashboards, {rules_dir}/ and {k8s_dir}/ up to date and "
               "lint-clean")


@main.command()
@click.option("--out", "rules_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("rules"), show_default=True, help="Folder of compiled rule files.")
@click.option("--format", "fmt", type=click.Choice(rules_compiler.FORMATS), default="plain",
              show_default=True, help="plain Prometheus rule files, operator PrometheusRule "
                                      "objects, or mimir (mimirtool rules load) files.")
@click.option("--module", "modules", multiple=True, metavar="IMPORT.PATH",
              help="Extra rule module besides the package's own (repeatable).")
@CONFIG
def rules(rules_dir: Path, fmt: str, modules: tuple[str, ...], cfg) -> None:
    """Compile recording rules and alerts to OUT/<module>.yaml (linted first; nothing
    written on error)."""
    files = pipeline.rules(cfg, modules)
    changed = rules_compiler.write(rules_dir, files, fmt)
    for name in changed:
        click.echo(f"wrote {rules_dir / name}")
    count = sum(len(g["rules"]) for data in files.values() for g in data["groups"])
    click.echo(f"{len(files)} rule files ({count} rules, {fmt}), {len(changed)} changed")


@main.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--no-promql", is_flag=True, help="Skip the promtool PromQL parse.")
@CONFIG
def lint(files: tuple[Path, ...], no_promql: bool, cfg) -> None:
    """Lint compiled dashboards (FILES, or a fresh build when none are given)."""
    from plano_grafana.lint import registry
    from plano_grafana.lint import run as linter

    dashboards = ([pipeline.read_dashboard(f, cfg) for f in files] if files
                  else list(pipeline.build(cfg).values()))
    findings = linter.dashboards(dashboards, cfg, promql=not no_promql)
    for finding in findings:
        click.echo(str(finding))
    if findings:
        raise PlanoGrafanaError(f"{len(findings)} lint finding(s)")
    rules = len(registry.names("dashboard", "dashboards"))
    click.echo(f"{len(dashboards)} dashboards lint-clean ({rules} rules)")


@main.command()
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


@main.command("prometheus-config")
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

    if docker and _is_default("brightstaff_targets"):  # Envoy's default is 19901 already
        brightstaff_targets = [pc.DOCKER_BRIGHTSTAFF_TARGET]
    rule_files = [pc.rule_glob(rules_dir, output)] if rules_dir else []
    text = pc.render(pc.config(envoy_targets, brightstaff_targets, scrape_interval,
                               rule_files=rule_files), docker=docker)
    if output:
        outputs.write_text(output, text)
    else:
        click.echo(text, nl=False)


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


@main.command()
@_grafana_options
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 0 when nothing would change, 2 when changes are pending, 1 on error.")
def plan(modules, no_defaults, cfg, environment, folder, prometheus_url, scrape_interval, fmt,
         prune, workers, api_path, detailed_exitcode) -> None:
    """Compare code with Grafana and show what deploy would do. Writes nothing.

    Credentials come from GRAFANA_URL, GRAFANA_TOKEN (or GRAFANA_USER/GRAFANA_PASSWORD),
    or from the variables the --env environment names.
    """
    from plano_grafana.deploy import report

    dest = _target(cfg, environment, folder, prometheus_url, scrape_interval)
    _, _, result = pipeline.plan(cfg, dest, modules=modules, defaults=not no_defaults,
                                 prune=prune, workers=workers, api=api_path)
    click.echo(report.FORMATS[fmt](result, applied=False), nl=False)
    if result.errors or result.blocked:
        sys.exit(1)
    if detailed_exitcode and (result.pending or result.drifted):
        sys.exit(2)


@main.command()
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
    (SIGINT/SIGTERM: the writes in flight finish, what was done is reported).
    """
    import threading

    from plano_grafana.deploy import report, signals

    dest = _target(cfg, environment, folder, prometheus_url, scrape_interval)
    stop = threading.Event()
    engine, desired, result = pipeline.plan(cfg, dest, modules=modules,
                                            defaults=not no_defaults, prune=prune,
                                            message=message, workers=workers,
                                            backup_dir=backup_dir, api=api_path, lock=lock,
                                            stop=stop)
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


@main.command()
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
    from plano_grafana.model.windows import duration

    dashboards = pipeline.build_checked(cfg)
    scrape_interval = scrape_interval or duration(cfg.scrape_interval)
    texts = prov.files(dashboards, prometheus_url, scrape_interval, list(envoy_targets),
                       list(brightstaff_targets), cfg)
    result = prov.write(out_dir, texts)
    _echo_written(out_dir, result)


@main.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("deploy/kubernetes"), show_default=True,
              help="Folder for sidecar/, grafana-operator/, prometheus-operator/ and plano/.")
@CONFIG
def k8s(out_dir: Path, cfg) -> None:
    """Write the dashboards and rules as Kubernetes objects, in kustomize folders: Grafana
    sidecar ConfigMaps, grafana-operator GrafanaDashboards, PrometheusRules and a PodMonitor,
    and the patch that declares Plano's metrics ports (linted first; nothing written on
    error). README "Plano on Kubernetes" says which folder to apply for which stack."""
    from plano_grafana.deploy import kubernetes as kube

    texts = pipeline.kubernetes(cfg)
    result = outputs.write(out_dir, texts, kube.KIND)
    _echo_written(out_dir, result)
    click.echo(f"{len(texts)} files in {len(kube.FOLDERS)} folders, {len(result.written)} changed"
               + (f", {len(result.removed)} removed" if result.removed else ""))


@main.command("config")
@CONFIG
def show_config(cfg) -> None:
    """Print the effective config (the file's values over the defaults) as TOML."""
    click.echo(configuration.to_toml(cfg), nl=False)


@main.command("plano-config", help=plano_config.report_help(),
              short_help="Show where the providers of Plano's config appear in the metrics.")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def plano_config_report(path: Path) -> None:
    click.echo(plano_config.report(plano_config.load(path)), nl=False)


@main.command()
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


@main.command()
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
