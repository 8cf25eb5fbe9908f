"""Typed access to a parsed TOML document: every error is one line naming file and key."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import attr

from plano_grafana.model import validate
from plano_grafana.model.config.schema import (
    DEFAULT,
    DEFAULT_RUNBOOK_URL,
    ENV_VAR_RE,
    LABEL_RE,
    MATCHER_RE,
    RESERVED_LABELS,
    ConfigError,
    Environment,
    Price,
    Slo,
    Threshold,
)


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "an array", dict: "a table"}.get(type(value), type(value).__name__)


class Reader:
    """Typed access to a TOML dict; every error names the file and the dotted key."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, key: str, message: str):
        name = f"{where}.{key}" if where else key
        raise ConfigError(f"{self.source}: {name}: {message}")

    def keys(self, table: Mapping, where: str, allowed: set[str]) -> None:
        for key in table:
            if key not in allowed:
                name = f"[{where}] " if where else ""
                raise ConfigError(f"{self.source}: {name}unknown key {key!r} "
                                  f"(expected one of: {', '.join(sorted(allowed))})")

    def table(self, data: Mapping, key: str, where: str = "") -> Mapping:
        value = data.get(key, {})
        if not isinstance(value, dict):
            self.fail(where, key, f"expected a table, got {_type_name(value)}")
        return value

    def string(self, data: Mapping, where: str, key: str, default: str, *,
               required: bool = False) -> str:
        value = data.get(key, default)
        if not isinstance(value, str):
            self.fail(where, key, f"expected a string, got {_type_name(value)}")
        if required and not value.strip():
            self.fail(where, key, "must not be empty")
        return value

    def boolean(self, data: Mapping, where: str, key: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.fail(where, key, f"expected true or false, got {_type_name(value)}")
        return value

    def number(self, data: Mapping, where: str, key: str, default: float, *,
               lo: float = 0.0, hi: float = math.inf, open_lo: bool = False,
               open_hi: bool = False) -> float:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(where, key, f"expected a number, got {_type_name(value)}")
        value = float(value)
        too_low = value <= lo if open_lo else value < lo
        too_high = value >= hi if open_hi else value > hi
        if too_low or too_high or math.isnan(value):
            left = "(" if open_lo else "["
            right = ")" if open_hi else "]"
            self.fail(where, key, f"expected a number in {left}{lo:g}, {hi:g}{right}, got {value:g}")
        return value

    def uid(self, data: Mapping, where: str, key: str, default: str, *,
            folder: bool = False) -> str:
        """A uid by Grafana's rule (:mod:`plano_grafana.model.validate`, as ``--folder`` checks
        it); a ``folder`` uid also not one Grafana reserves."""
        value = self.string(data, where, key, default, required=True)
        problem = (validate.folder_uid_problem if folder else validate.uid_problem)(value)
        if problem:
            self.fail(where, key, problem)
        return value

    def checked(self, data: Mapping, where: str, key: str, rule: Callable[[str], str | None],
                default: str = "") -> str:
        """A string a :mod:`plano_grafana.model.validate` rule accepts ("" when absent)."""
        value = self.string(data, where, key, default)
        problem = rule(value) if value else None
        if problem:
            self.fail(where, key, problem)
        return value

    def duration(self, data: Mapping, where: str, key: str, default: float, *,
                 hi: float) -> float:
        """Seconds, from a Prometheus duration such as ``"15s"`` (as the flags take it) or
        a number of seconds."""
        value = data.get(key, default)
        if isinstance(value, str):
            problem = validate.duration_problem(value)
            if problem:
                self.fail(where, key, problem)
            seconds = validate.seconds(value)
            if seconds > hi:
                self.fail(where, key, f"{value!r} is longer than {hi:g}s")
            return seconds
        return self.number(data, where, key, default, lo=0.001, hi=hi)

    def labels(self, data: Mapping, where: str, key: str, default: tuple[str, ...]
               ) -> tuple[str, ...]:
        """An array of label values (non-empty strings)."""
        value = data.get(key, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.fail(where, key, "expected an array of non-empty strings")
        return tuple(value)

    def matchers(self, data: Mapping, where: str, key: str) -> str:
        value = self.string(data, where, key, "")
        if value and not all(MATCHER_RE.match(part) for part in split_matchers(value)):
            self.fail(where, key, f"{value!r} is not a list of PromQL label matchers "
                                  "like 'namespace=\"plano\"'")
        return ",".join(part.strip() for part in split_matchers(value)) if value else ""

    def fleet_label(self, fleet: Mapping) -> str:
        label = self.string(fleet, "fleet", "label", "")
        if not label:
            return ""
        if not LABEL_RE.match(label):
            self.fail("fleet", "label", f"{label!r} is not a Prometheus label name")
        if label in RESERVED_LABELS or label.startswith("__"):
            hint = (" ('cluster' is Envoy's upstream cluster, i.e. the provider; use e.g. "
                    "'k8s_cluster')" if label == "cluster" else "")
            self.fail("fleet", "label", f"{label!r} collides with a label or variable the "
                                        f"dashboards already use{hint}")
        return label

    def runbook_url(self, data: Mapping) -> str:
        value = self.string(data, "", "runbook_url", DEFAULT_RUNBOOK_URL, required=True)
        if "#" in value or any(ch.isspace() for ch in value):
            self.fail("", "runbook_url", f"{value!r}: give the page without an anchor or "
                                         "spaces; each alert adds #<its name>")
        return value

    def tags(self, data: Mapping) -> tuple[str, ...]:
        value = data.get("tags", [])
        if not isinstance(value, list) or not all(isinstance(t, str) and t for t in value):
            self.fail("", "tags", "expected an array of non-empty strings")
        return tuple(value)

    def slo(self, table: Mapping) -> Slo:
        thresholds = [f.name for f in attr.fields(Slo) if f.type in ("Threshold", Threshold)]
        objectives = {"availability_objective", "ttft_objective", "ttft_threshold_seconds"}
        self.keys(table, "slo", set(thresholds) | objectives)
        values: dict[str, Any] = {}
        for name in thresholds:
            default = getattr(DEFAULT.slo, name)
            sub = self.table(table, name, "slo")
            where = f"slo.{name}"
            self.keys(sub, where, {"warn", "critical"})
            warn = self.number(sub, where, "warn", default.warn)
            critical = self.number(sub, where, "critical", default.critical)
            if (critical < warn) != default.lower_is_worse and critical != warn:
                order = "below" if default.lower_is_worse else "above"
                self.fail(where, "critical", f"must be {order} warn ({warn:g}): "
                                             f"{'lower' if default.lower_is_worse else 'higher'} "
                                             "is worse for this quantity")
            values[name] = Threshold(warn, critical)
        for name in ("availability_objective", "ttft_objective"):
            values[name] = self.number(table, "slo", name, getattr(DEFAULT.slo, name),
                                       lo=0, hi=1, open_lo=True, open_hi=True)
        values["ttft_threshold_seconds"] = self.number(
            table, "slo", "ttft_threshold_seconds", DEFAULT.slo.ttft_threshold_seconds,
            open_lo=True)
        return Slo(**values)

    def environments(self, table: Mapping) -> dict[str, Environment]:
        out = {}
        for name in sorted(table):
            where = f"environments.{name}"
            env = self.table(table, name, "environments")
            self.keys(env, where, {"url_env", "token_env", "folder", "prometheus_url",
                                   "datasource", "datasource_name"})
            for key in ("url_env", "token_env"):
                value = self.string(env, where, key, "", required=True)
                if not ENV_VAR_RE.match(value):
                    self.fail(where, key, f"{value!r} is not an environment variable name "
                                          "(it names the variable, never holds the secret)")
            # the rules --folder, --prometheus-url and Grafana's uids follow (validate.py)
            folder = self.checked(env, where, "folder", validate.folder_problem)
            datasource = self.checked(env, where, "datasource", validate.uid_problem)
            prom = self.checked(env, where, "prometheus_url", validate.url_problem)
            datasource_name = self.string(env, where, "datasource_name", "").strip()
            out[name] = Environment(env["url_env"], env["token_env"], folder, prom, datasource,
                                    datasource_name)
        return out

    def prices(self, table: Mapping) -> dict[str, Price]:
        out = {}
        for key in sorted(table):
            where = f"prices.{key!r}" if "/" in key or "." in key else f"prices.{key}"
            if "/" not in key:
                raise ConfigError(f"{self.source}: [prices] key {key!r}: expected "
                                  "\"provider/model\" (as brightstaff labels them)")
            entry = self.table(table, key, "prices")
            self.keys(entry, where, {"input", "output", "cache_read", "cache_write"})
            for needed in ("input", "output"):
                if needed not in entry:
                    self.fail(where, needed, "missing (USD per million tokens)")
            input_, output = (self.number(entry, where, k, 0.0) for k in ("input", "output"))
            # an omitted cache rate is the uncached input price (no discount known), as in
            # the default table and models.dev: never a silent $0 for cached tokens
            out[key] = Price(input_, output,
                             self.number(entry, where, "cache_read", input_),
                             self.number(entry, where, "cache_write", input_))
        return out


def split_matchers(text: str) -> list[str]:
    """Split ``a="x,y", b=~"z"`` at the commas that are outside quotes."""
    parts, buf, quoted, escaped = [], [], False, False
    for ch in text:
        if escaped:
            buf.append(ch)
            escaped = False
        elif ch == "\\":
            buf.append(ch)
            escaped = True
        elif ch == '"':
            buf.append(ch)
            quoted = not quoted
        elif ch == "," and not quoted:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    return [p for p in parts if p.strip()]


