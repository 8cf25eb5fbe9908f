"""The options and helpers the commands share: ``--config`` loaded into ``cfg``, the
module and output folder options, and the one-line refusal of a user error."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from plano_grafana.build import outputs
from plano_grafana.errors import PlanoGrafanaError
from plano_grafana.model import config as configuration


class Group(click.Group):
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


def is_default(param: str) -> bool:
    """Whether the current command's ``param`` was left at its default."""
    source = click.get_current_context().get_parameter_source(param)
    return source is click.core.ParameterSource.DEFAULT


def echo_written(out_dir: Path, result: outputs.Written) -> None:
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
