"""The effective config as TOML text (``plano-grafana config``)."""

from __future__ import annotations

from typing import Any

import attr

from plano_grafana.model.config.schema import Config, Environment, Price, Slo, Threshold


def to_toml(cfg: Config) -> str:
    """The effective config as TOML text, defaults included (``plano-grafana config``)."""
    lines = [f"# effective config (from {cfg.source})", f"recording_rules = {_tv(cfg.recording_rules)}",
             f"scrape_interval = {_tv(cfg.scrape_interval)}",
             f"tags = {_tv(list(cfg.tags))}", f"prices_file = {_tv(cfg.prices_file)}",
             f"plano_config = {_tv(cfg.plano_config)}", f"runbook_url = {_tv(cfg.runbook_url)}",
             f"prompt_excludes_cache = {_tv(list(cfg.prompt_excludes_cache))}", ""]
    for name, section in (("selectors", cfg.selectors), ("fleet", cfg.fleet), ("metrics", cfg.metrics),
                          ("datasource", cfg.datasource), ("folder", cfg.folder)):
        lines.append(f"[{name}]")
        lines += [f"{f.name} = {_tv(getattr(section, f.name))}" for f in attr.fields(type(section))]
        lines.append("")
    lines.append("[slo]")
    simple = [f for f in attr.fields(Slo) if not isinstance(getattr(cfg.slo, f.name), Threshold)]
    lines += [f"{f.name} = {_tv(getattr(cfg.slo, f.name))}" for f in simple]
    lines.append("")
    for f in attr.fields(Slo):
        value = getattr(cfg.slo, f.name)
        if isinstance(value, Threshold):
            lines += [f"[slo.{f.name}]", f"warn = {_tv(value.warn)}",
                      f"critical = {_tv(value.critical)}", ""]
    for name, env in sorted(cfg.environments.items()):
        lines.append(f"[environments.{name}]")
        lines += [f"{f.name} = {_tv(getattr(env, f.name))}" for f in attr.fields(Environment)]
        lines.append("")
    for key, price in sorted(cfg.prices.items()):
        lines.append(f'[prices."{key}"]')
        lines += [f"{f.name} = {_tv(getattr(price, f.name))}" for f in attr.fields(Price)]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _tv(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_tv(v) for v in value) + "]"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)

