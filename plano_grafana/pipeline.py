"""What the CLI's commands share: build → lint → (check) → plan → apply.

Each step is a function of the config and the step before, so the command layer only
parses arguments, calls one of these and prints. A step that needs something "up" the
data flow (a deploy needs compiled dashboards) asks for it here, never from a lower
module.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import attr

from plano_grafana.build import compiler, outputs, rules_compiler
from plano_grafana.build.dashboards import MODULES
from plano_grafana.errors import PlanoGrafanaError
from plano_grafana.lint import promtool
from plano_grafana.lint import run as lint
from plano_grafana.lint.finding import Finding
from plano_grafana.model import durations, validate
from plano_grafana.model.config import Config, Environment


def modules_for(extra: Iterable[str] = (), defaults: bool = True) -> tuple[str, ...]:
    """The package's dashboards (unless ``defaults`` is off) plus ``extra``, each once.

    ``--module`` adds to the shipped dashboards rather than replacing them; a team that
    deploys only its own modules turns ``defaults`` off.
    """
    wanted = (*(MODULES if defaults else ()), *extra)
    if not wanted:
        raise PlanoGrafanaError("no dashboard modules to build: --no-defaults needs --module")
    return tuple(dict.fromkeys(wanted))


def build(cfg: Config, modules: Iterable[str] = (), *, defaults: bool = True) -> dict[str, dict]:
    """Compile the dashboards under ``cfg``: ``<uid>.json`` -> dashboard JSON."""
    return compiler.build_all(cfg, modules_for(modules, defaults))


def build_checked(cfg: Config, modules: Iterable[str] = (), *, defaults: bool = True,
                  consequence: str = "nothing written") -> dict[str, dict]:
    """Compile and lint; refuse with the first finding before anything is written or sent.

    The PromQL rule runs when promtool is installed; ``lint``/``check`` require it.
    """
    dashboards = build(cfg, modules, defaults=defaults)
    _refuse(lint.dashboards(dashboards.values(), cfg, promql=promtool.path() is not None),
            "lint finding(s)", consequence)
    return dashboards


def read_dashboard(path: Path, cfg: Config) -> dict:
    """A dashboard JSON file the user names, in a shape the linter can walk: parsed (a
    byte order mark allowed), its shape checked (:func:`validate.dashboard_problem`), then
    one trial lint of it alone without promtool, so a wrong type deep inside is one line
    naming the file rather than a traceback."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise PlanoGrafanaError(f"{path}: not a dashboard JSON file: {exc}") from None
    problem = validate.dashboard_problem(data)
    if problem:
        raise PlanoGrafanaError(f"{path}: not a dashboard JSON file: {problem}")
    try:
        lint.dashboards([data], cfg, promql=False)
    except PlanoGrafanaError:
        raise
    except Exception as exc:  # a file the user names is input, never a traceback
        raise PlanoGrafanaError(f"{path}: not a dashboard JSON file the linter can read "
                                f"({type(exc).__name__}: {exc})") from None
    return data


def _refuse(findings: Sequence, what: str, consequence: str) -> None:
    """Stop before anything is written or sent, naming the first finding."""
    if findings:
        raise PlanoGrafanaError(f"{len(findings)} {what}, {consequence}; first: {findings[0]}")


@attr.s(frozen=True)
class CheckResult:
    dashboards: dict[str, dict] = attr.ib()
    diffs: list[str] = attr.ib()
    findings: list[Finding] = attr.ib()


def check(cfg: Config, out_dir: Path, modules: Iterable[str] = (), *,
          defaults: bool = True, rules_dir: Path | None = None,
          k8s_dir: Path | None = None) -> CheckResult:
    """A fresh build compared with ``out_dir``, and the lint findings; with ``rules_dir``
    the rule files too (drift of ``rules/*.yaml`` and the rule-file lint); with
    ``k8s_dir`` the Kubernetes folders (``deploy/kubernetes/``)."""
    dashboards = build(cfg, modules, defaults=defaults)
    diffs = compiler.drift(out_dir, dashboards)
    findings = lint.dashboards(dashboards.values(), cfg)
    files = rules_compiler.build_all(cfg) if rules_dir is not None or k8s_dir is not None else {}
    if rules_dir is not None:
        diffs += rules_compiler.drift(rules_dir, files)
        findings += lint.rule_files(files, cfg)
    if k8s_dir is not None:
        from plano_grafana.deploy import kubernetes as kube

        texts = kube.for_config(cfg, dashboards if defaults and not modules else build(cfg), files)
        diffs += outputs.drift(k8s_dir, texts, kube.KIND)
    return CheckResult(dashboards, diffs, findings)


def rules(cfg: Config, modules: Iterable[str] = (), *,
          consequence: str = "nothing written") -> dict[str, dict]:
    """Compile every rule module (``rules.MODULES`` plus ``modules``) under ``cfg`` and lint
    the files; refuse with the first finding. Returns file name -> rule groups."""
    files = rules_compiler.build_all(cfg, rules_compiler.modules_for(modules))
    _refuse(lint.rule_files(files, cfg, promtool=promtool.path() is not None),
            "rule lint finding(s)", consequence)
    return files


def kubernetes(cfg: Config) -> dict[str, str]:
    """The ``k8s`` folders (relative path -> text) from the linted dashboards and rules."""
    from plano_grafana.deploy import kubernetes as kube

    return kube.for_config(cfg, build_checked(cfg), rules(cfg))


@attr.s(frozen=True)
class Target:
    """Where a plan or deploy goes: which Grafana, folder, datasource URL and interval."""

    folder_uid: str = attr.ib()
    folder_title: str = attr.ib()
    #: None: nobody gave one, the datasource keeps its URL (a new one gets the default).
    prometheus_url: str | None = attr.ib()
    scrape_interval: str = attr.ib()
    environment: str = attr.ib(default="")
    #: The ``[environments.NAME]`` entry, resolved once by :func:`target` (None: no --env).
    env: Environment | None = attr.ib(default=None)


def target(cfg: Config, *, folder: str | None, prometheus_url: str | None,
           scrape_interval: str | None, environment: str | None) -> Target:
    """Command-line values over the environment's over the config's defaults.

    The datasource URL is the flag's or ``PROMETHEUS_URL`` (click reads both), else the
    environment's ``prometheus_url``, else None (the config's ``[datasource] url``, else
    the one in Grafana: see :func:`grafana_objects.datasource`)."""
    env = cfg.environment(environment) if environment else None
    folder = folder or (env.folder if env else "") or f"{cfg.folder.uid}:{cfg.folder.title}"
    folder_uid, _, folder_title = folder.partition(":")
    url = prometheus_url or (env.prometheus_url if env else "") or None
    return Target(folder_uid or cfg.folder.uid, folder_title or cfg.folder.title, url,
                  scrape_interval or durations.text(cfg.scrape_interval), environment or "",
                  env)


def grafana_settings(env: Environment | None):
    """Connection settings: the environment's variables, or GRAFANA_URL/GRAFANA_TOKEN."""
    from plano_grafana.deploy import grafana_api

    if env is not None:
        return grafana_api.settings_for(env.url_env, env.token_env)
    return grafana_api.Settings.from_env()


def effective_config(cfg: Config, env: Environment | None) -> Config:
    """The config with the environment's datasource uid and name, where it names them."""
    if env is not None:
        named = {k: v for k, v in (("uid", env.datasource), ("name", env.datasource_name)) if v}
        if named:
            return attr.evolve(cfg, datasource=attr.evolve(cfg.datasource, **named))
    return cfg


def plan(cfg: Config, dest: Target, *, modules: Sequence[str] = (), defaults: bool = True,
         prune: bool = False, message: str | None = None, workers: int = 8,
         backup_dir: Path | None = None, api: str = "auto", lock: bool = False, stop=None):
    """Compile and lint everything first (an invalid dashboard means no request at all),
    then read Grafana and classify every object. Returns (engine, desired, plan); the
    engine's apply backs up to ``backup_dir`` (None: no backups). ``api`` is the path
    (auto, classic, apis), ``lock`` the /apis manager lock, ``stop`` an Event that makes the
    apply start no further write."""
    from plano_grafana.deploy import grafana_api, sync

    cfg = effective_config(cfg, dest.env)
    dashboards = build_checked(cfg, modules, defaults=defaults,
                               consequence="nothing sent to Grafana")
    settings = grafana_settings(dest.env)
    desired = sync.Desired(
        {d["uid"]: d for d in dashboards.values()}, prometheus_url=dest.prometheus_url,
        scrape_interval=dest.scrape_interval, folder_uid=dest.folder_uid,
        folder_title=dest.folder_title, message=message or sync.default_message(), config=cfg,
        lock=lock)
    engine = sync.Engine(settings, grafana_api.connect(settings), workers=workers,
                         backup_dir=backup_dir, api_path=api, stop=stop)
    return engine, desired, engine.plan(desired, prune=prune)


def deploy_exit_code(result) -> int:
    """0 success; 1 a write failed, or Grafana will not let the API write an object
    (provisioned, or managed by another tool); 3 refused because something was changed in
    Grafana."""
    results = {c.result for c in result.changes}
    if results & {"failed", "provisioned"}:
        return 1
    if results & {"refused", "conflict"}:
        return 3
    return 0
