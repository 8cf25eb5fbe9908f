"""Compile rule modules to deterministic Prometheus rule files, one file per module.

Every module listed in :data:`plano_grafana.rules.MODULES` (and any ``--module``) exposes
``groups(cfg) -> list[dict]``; its groups go to ``<module>.yaml``. Three forms of the
same groups:

* ``plain``: a Prometheus rule file (``groups:``), what ``rules/`` commits; Prometheus,
  Thanos Ruler and ``promtool`` read it as is.
* ``operator``: a ``PrometheusRule`` object (``monitoring.coreos.com/v1``) for the
  Prometheus Operator / kube-prometheus, named ``plano-<module>``.
* ``mimir``: the plain file with ``namespace: plano-<module>`` on top, the form
  ``mimirtool rules load`` reads (one ruler namespace per file; Prometheus itself would
  reject the extra key, hence a separate format).

Output is byte-identical on every run: rules keep a fixed key order, labels and
annotations are sorted, multi-line expressions are YAML literal blocks. Writes follow
:mod:`plano_grafana.compiler`: everything is built before anything is written, files are
replaced atomically, stale ``*.yaml`` files are removed.
"""

from __future__ import annotations

import difflib
import importlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import yaml

from plano_grafana import config, rules
from plano_grafana.config import Config
from plano_grafana.errors import PlanoGrafanaError

FORMATS = ("plain", "operator", "mimir")
API_VERSION = "monitoring.coreos.com/v1"
_RULE_KEYS = ("record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations")
_GROUP_KEYS = ("name", "interval", "limit", "rules")


class RuleBuildError(PlanoGrafanaError):
    """A rule module failed to import or returned something that is not rule groups."""


def file_name(module_path: str) -> str:
    return module_path.rsplit(".", 1)[-1] + ".yaml"


def _short(module_path: str) -> str:
    return module_path.rsplit(".", 1)[-1]


def _canonical_rule(rule: dict, where: str) -> dict:
    unknown = set(rule) - set(_RULE_KEYS)
    if unknown or ("record" in rule) == ("alert" in rule) or not rule.get("expr"):
        raise RuleBuildError(f"{where}: a rule needs exactly one of record/alert and an expr"
                             + (f"; unknown keys {sorted(unknown)}" if unknown else ""))
    out = {}
    for key in _RULE_KEYS:
        if key not in rule:
            continue
        value = rule[key]
        out[key] = dict(sorted(value.items())) if isinstance(value, dict) else value
    return out


def _canonical_group(group: dict, where: str) -> dict:
    if not isinstance(group, dict) or not group.get("name") or not group.get("rules"):
        raise RuleBuildError(f"{where}: each group needs a name and rules")
    unknown = set(group) - set(_GROUP_KEYS)
    if unknown:
        raise RuleBuildError(f"{where}: group {group['name']!r} has unknown keys {sorted(unknown)}")
    out = {k: group[k] for k in _GROUP_KEYS if k in group and k != "rules"}
    out["rules"] = [_canonical_rule(r, f"{where}: group {group['name']!r}") for r in group["rules"]]
    return out


def build_module(cfg: Config, module_path: str) -> dict:
    """``{"groups": [...]}`` of one module under ``cfg``; failures name the module."""
    where = f"rule module {_short(module_path)}"
    try:
        module = importlib.import_module(module_path)
        with config.use(cfg):
            groups = module.groups(cfg)
    except PlanoGrafanaError:
        raise
    except Exception as exc:  # a rule module is code: report, don't trace
        raise RuleBuildError(f"{where}: {type(exc).__name__}: {exc}") from exc
    if not isinstance(groups, list) or not groups:
        raise RuleBuildError(f"{where}: groups() must return a non-empty list of rule groups")
    return {"groups": [_canonical_group(g, where) for g in groups]}


def modules_for(extra: Iterable[str] = ()) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*rules.MODULES, *extra)))


def build_all(cfg: Config, modules: Iterable[str] | None = None) -> dict[str, dict]:
    """Every module compiled, keyed by file name; file and group names must be unique."""
    out: dict[str, dict] = {}
    owner: dict[str, str] = {}
    for module_path in modules_for() if modules is None else modules:
        name = file_name(module_path)
        if name in out:
            raise RuleBuildError(f"rule module {_short(module_path)}: a module named "
                                 f"{name[:-5]!r} is already compiled to {name}")
        data = build_module(cfg, module_path)
        for group in data["groups"]:
            if group["name"] in owner:
                raise RuleBuildError(f"rule module {_short(module_path)}: group "
                                     f"{group['name']!r} is also defined in {owner[group['name']]}")
            owner[group["name"]] = name
        out[name] = data
    return out


def document(name: str, data: dict, fmt: str = "plain") -> dict:
    """The YAML document of one rule file in ``fmt``."""
    stem = "plano-" + name.removesuffix(".yaml").replace("_", "-")
    if fmt == "plain":
        return data
    if fmt == "mimir":
        return {"namespace": stem, **data}
    if fmt == "operator":
        return {"apiVersion": API_VERSION, "kind": "PrometheusRule",
                "metadata": {"name": stem,
                             "labels": {"app.kubernetes.io/name": "plano-grafana",
                                        "app.kubernetes.io/part-of": "plano",
                                        "prometheus": "k8s", "role": "alert-rules"}},
                "spec": data}
    raise PlanoGrafanaError(f"unknown rule format {fmt!r} (one of {', '.join(FORMATS)})")


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def render(name: str, data: dict, fmt: str = "plain") -> str:
    header = (f"# Generated by plano-grafana from plano_grafana/rules/{name[:-5]}.py "
              "(plano-grafana rules); do not edit.\n")
    body = yaml.dump(document(name, data, fmt), Dumper=_Dumper, sort_keys=False,
                     allow_unicode=True, width=1_000_000, default_flow_style=False)
    return header + body


def write(out_dir: Path, files: dict[str, dict], fmt: str = "plain") -> list[str]:
    """Replace ``out_dir``'s rule files with ``files``; returns the names that changed."""
    texts = {name: render(name, data, fmt) for name, data in files.items()}
    out_dir.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, text in sorted(texts.items()):
        path = out_dir / name
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
        changed.append(name)
    for stale in sorted(out_dir.glob("*.yaml")):
        if stale.name not in texts:
            stale.unlink()
            changed.append(stale.name)
    return changed


def drift(out_dir: Path, files: dict[str, dict]) -> list[str]:
    """Unified diffs between ``out_dir`` and a fresh plain build; empty when up to date."""
    texts = {name: render(name, data) for name, data in files.items()}
    on_disk = {p.name for p in out_dir.glob("*.yaml")} if out_dir.is_dir() else set()
    diffs = []
    for name in sorted(set(texts) | on_disk):
        path = out_dir / name
        old = path.read_text(encoding="utf-8") if name in on_disk else ""
        new = texts.get(name, "")
        if old != new:
            diffs.append("".join(difflib.unified_diff(
                old.splitlines(keepends=True), new.splitlines(keepends=True),
                fromfile=f"{path} (committed)", tofile=f"{path} (fresh build)")))
    return diffs
