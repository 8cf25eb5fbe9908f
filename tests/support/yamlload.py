"""YAML read back in tests with libyaml when PyYAML has it.

The Kubernetes outputs hold whole dashboards as block scalars; PyYAML's pure-Python
scanner took ~20 s of the fast suite's CPU reading them back. Same safe schema.
"""

from __future__ import annotations

from collections.abc import Iterator

import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(text: str):
    return yaml.load(text, Loader=LOADER)


def load_all(text: str) -> Iterator:
    return yaml.load_all(text, Loader=LOADER)
