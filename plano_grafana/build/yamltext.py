"""The one YAML text form of generated files: rule files and Kubernetes objects.

Keys in the order given (the order a reader expects: ``apiVersion``, ``kind``,
``metadata``, ``spec``; ``record``, ``expr``, ``labels``), multi-line strings as literal
blocks (PromQL, a dashboard's JSON in a ConfigMap), no line folding, UTF-8 as is.

The text is emitted by libyaml when PyYAML was built with it (20x faster on the
Kubernetes objects, whose ConfigMaps hold whole dashboards), else by PyYAML's own
emitter; tests/test_yamltext.py holds the two to the same bytes on every generated file.
"""

from __future__ import annotations

import yaml


class PythonDumper(yaml.SafeDumper):
    """PyYAML's own emitter: the reference the libyaml one must match."""


class CDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    """libyaml's emitter, when PyYAML has it."""


def _str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


for _dumper in (PythonDumper, CDumper):
    _dumper.add_representer(str, _str)

DUMPER = CDumper if yaml.__with_libyaml__ else PythonDumper


def render(document, dumper: type = DUMPER) -> str:
    """Deterministic YAML text of one document."""
    return yaml.dump(document, Dumper=dumper, sort_keys=False, allow_unicode=True,
                     width=1_000_000, default_flow_style=False)
