"""The one YAML text form of generated files: rule files and Kubernetes objects.

Keys in the order given (the order a reader expects: ``apiVersion``, ``kind``,
``metadata``, ``spec``; ``record``, ``expr``, ``labels``), multi-line strings as literal
blocks (PromQL, a dashboard's JSON in a ConfigMap), no line folding, UTF-8 as is.
"""

from __future__ import annotations

import yaml


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def render(document) -> str:
    """Deterministic YAML text of one document."""
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     width=1_000_000, default_flow_style=False)
