"""Commands that compile and check artefacts: dashboards, rules, Kubernetes objects, lint,
the effective config and Plano's config as read."""

from __future__ import annotations

from pathlib import Path

import click

from plano_grafana import pipeline
from plano_grafana.build import compiler, outputs, rules_compiler
from plano_grafana.cli.options import (
    CONFIG,
    MODULES,
    NO_DEFAULTS,
    OUT,
    RULES_OUT,
    echo_written,
    is_default,
)
from plano_grafana.errors import PlanoGrafanaError
from plano_grafana.model import config as configuration
from plano_grafana.model import plano_config


@click.command()
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
    if for_import and is_default("out_dir"):
        raise PlanoGrafanaError("--for-import needs --out DIR: dashboards/ holds the committed "
                                "form that deploy, provisioning and check use")
    dashboards = pipeline.build_checked(cfg, modules, defaults=not no_defaults)
    if for_import:
        from plano_grafana.build.importable import for_import as importable

        dashboards = {name: importable(data) for name, data in dashboards.items()}
    result = compiler.write(out_dir, dashboards)
    echo_written(out_dir, result)
    click.echo(f"{len(dashboards)} dashboards, {len(result.written)} changed"
               + (f", {len(result.removed)} removed" if result.removed else ""))


@click.command()
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


@click.command()
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


@click.command()
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


@click.command()
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
    echo_written(out_dir, result)
    click.echo(f"{len(texts)} files in {len(kube.FOLDERS)} folders, {len(result.written)} changed"
               + (f", {len(result.removed)} removed" if result.removed else ""))


@click.command("config")
@CONFIG
def show_config(cfg) -> None:
    """Print the effective config (the file's values over the defaults) as TOML."""
    click.echo(configuration.to_toml(cfg), nl=False)


@click.command("plano-config", help=plano_config.report_help(),
              short_help="Show where the providers of Plano's config appear in the metrics.")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def plano_config_report(path: Path) -> None:
    click.echo(plano_config.report(plano_config.load(path)), nl=False)
