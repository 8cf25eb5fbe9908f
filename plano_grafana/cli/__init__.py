"""Command line: parses arguments and dispatches to the library; no logic of its own.

One module per kind of command (``artefacts``: build, check, rules, lint, k8s, config;
``grafana``: plan, deploy, provisioning, prometheus-config; ``observe``: preview, doctor,
simulate), the shared options in ``options``. Errors meant for the user
(:class:`~plano_grafana.errors.PlanoGrafanaError`) become one line on stderr and the
error's exit code, never a traceback.
"""

from __future__ import annotations

import click

from plano_grafana.cli import artefacts, grafana, observe
from plano_grafana.cli.options import Group
from plano_grafana.model import upstream


@click.group(cls=Group)
@click.version_option(package_name="plano-grafana",
                      message=f"%(prog)s %(version)s\n{upstream.summary()}")
def main() -> None:
    """Grafana dashboards for Plano, as code: build, lint, simulate and deploy.

    \b
    Shell completion (in ~/.bashrc; zsh_source in ~/.zshrc, fish_source for fish):
      eval "$(_PLANO_GRAFANA_COMPLETE=bash_source plano-grafana)"
    """


for _command in (artefacts.build, artefacts.check, artefacts.rules, artefacts.lint, artefacts.k8s,
                 artefacts.show_config, artefacts.plano_config_report, grafana.plan,
                 grafana.deploy, grafana.provisioning, grafana.prometheus_config,
                 observe.preview, observe.doctor, observe.simulate):
    main.add_command(_command)
