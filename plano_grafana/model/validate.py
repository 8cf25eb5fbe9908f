"""The rules for every kind of value a user gives, in one place: flags, environment
variables and the config file all check a URL, a duration, a port, a rate, a folder or a
boolean with the same function, so a value one accepts the other does not refuse.

Each ``*_problem`` function returns why a value is refused, as one short clause the caller
prefixes with where the value came from (``--folder``, ``GRAFANA_VERIFY``,
``plano-grafana.toml: datasource.url``), or None when the value is good. Parsers return
the parsed value or None. Only the standard library and the model's one duration reader
(:mod:`plano_grafana.model.durations`, which imports nothing of the package) are used, so
the model (the config loader), deploy (Grafana's settings) and the command line can all
import this module.

The rules are the receiving side's, so a value that passes here is not refused there:

- uids follow Grafana's ``IsValidShortUID``/``IsShortUIDTooLong``
  (``pkg/util/shortid_generator.go``): ASCII letters, digits, ``-`` and ``_``, at most
  40 characters; the folder uids ``general`` and ``sharedwithme`` are reserved
  (``pkg/services/folder/model.go``). See docs/grafana-api.md.
- durations follow Prometheus' ``model.ParseDuration``, as
  :mod:`plano_grafana.model.durations` reads them; a flag's or key's must be above zero.
- scrape targets are Prometheus' ``host:port`` (no scheme, no path), as
  ``static_configs.targets`` takes them.
"""

from __future__ import annotations

import math
import re
from urllib.parse import urlsplit

from plano_grafana.model import durations

#: Grafana's uid rule (legacy short uid pattern) and its maximum length.
UID_PATTERN = re.compile(r"^[a-zA-Z0-9_-]*$")
UID_MAX_LENGTH = 40
#: Folder uids Grafana keeps for itself: the root folder and "Shared with me".
RESERVED_FOLDER_UIDS = ("general", "sharedwithme")
DURATION_RULE = "integers with units y w d h m s ms, largest first, e.g. 15s, 1m, 1m30s"
#: Words a boolean environment variable may hold (case-insensitive).
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")
_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)$")


#: What may start a Prometheus metric name (``[a-zA-Z_:][a-zA-Z0-9_:]*``), or nothing.
METRIC_PREFIX = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)?$")


def metric_prefix_problem(value: str) -> str | None:
    """Why ``value`` cannot be put in front of metric names (``[metrics]
    brightstaff_prefix``, ``simulate --metric-prefix``)."""
    if METRIC_PREFIX.match(value):
        return None
    return (f"{value!r} cannot start a Prometheus metric name (letters, digits, '_' and ':', "
            "not a digit first)")


# --- uids and folders -----------------------------------------------------------------

def uid_problem(uid: str) -> str | None:
    """Why Grafana would refuse ``uid`` as a folder, dashboard or datasource uid."""
    if not uid:
        return "the uid is empty"
    if not UID_PATTERN.match(uid):
        return ("Grafana uids may contain only letters a-z A-Z, digits, '-' and '_' "
                f"(IsValidShortUID), got {uid!r}")
    if len(uid) > UID_MAX_LENGTH:
        return f"Grafana uids are at most {UID_MAX_LENGTH} characters, got {len(uid)}"
    return None


def folder_uid_problem(uid: str) -> str | None:
    """:func:`uid_problem`, plus the folder uids Grafana reserves for itself."""
    problem = uid_problem(uid)
    if problem:
        return problem
    if uid.lower() in RESERVED_FOLDER_UIDS:
        return f"folder uid {uid!r} is reserved by Grafana ({', '.join(RESERVED_FOLDER_UIDS)})"
    return None


def folder_problem(value: str) -> str | None:
    """Why ``UID:TITLE`` is not a folder Grafana would create: exactly one ``:``, a uid
    Grafana accepts and does not reserve, a title that is not blank."""
    parts = value.split(":")
    if len(parts) > 2:
        return f"expected UID:TITLE with one ':', got {value!r}"
    problem = folder_uid_problem(parts[0])
    if problem:
        return problem if problem.startswith("folder uid") else f"folder uid: {problem}"
    if len(parts) == 1:
        return f"expected UID:TITLE (e.g. plano:Plano), got {value!r} without a title"
    if not parts[1].strip():
        return f"the folder title is empty in {value!r}"
    return None


# --- durations ------------------------------------------------------------------------

#: Milliseconds of a Prometheus duration, or None: the package's one duration reader.
duration_ms = durations.milliseconds


def duration_problem(text: str) -> str | None:
    """Why ``text`` is not a Prometheus duration above zero."""
    ms = duration_ms(text.strip())
    if ms is None:
        return f"{text!r} is not a Prometheus duration ({DURATION_RULE})"
    if ms == 0:
        return f"{text!r}: the duration must be above zero"
    return None


#: Seconds of a duration :func:`duration_problem` accepted.
seconds = durations.seconds


# --- URLs, ports and scrape targets ---------------------------------------------------

def shown_url(text: str) -> str:
    """``text`` without a ``user:password@`` part, quoted, for an error message."""
    return repr(text.rsplit("@", 1)[-1] if "@" in text else text)


def url_problem(text: str) -> str | None:
    """Why ``text`` is not an ``http://`` or ``https://`` URL with a host and a valid
    port. The message never repeats a ``user:password@`` part."""
    shown = shown_url(text)
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        return f"{shown} is not a valid URL (bad port or address)"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ("expected an http:// or https:// URL with a host, such as "
                f"http://prometheus:9090, got {shown}")
    if port == 0:
        return f"{shown}: port 0 is not a port to connect to"
    return None


def port_problem(port: int, *, listen: bool = False) -> str | None:
    """Why ``port`` is not a TCP port (0 is allowed where we ``listen``: any free one)."""
    low = 0 if listen else 1
    if not low <= port <= 65535:
        free = " (0: any free port)" if listen else ""
        return f"{port} is not a TCP port: expected {low} to 65535{free}"
    return None


def target_problem(text: str) -> str | None:
    """Why ``text`` is not a Prometheus scrape target ``host:port``."""
    if "://" in text or "/" in text:
        return (f"{text!r}: give host:port only (no scheme or path), such as "
                "prometheus:9090; Prometheus adds the scheme and metrics path")
    host, sep, port = text.rpartition(":")
    if not sep or not host or not _HOST.match(host):
        return f"{text!r} is not host:port, such as simulator:19901"
    if not port.isdigit():
        return f"{text!r}: the port {port!r} is not a number"
    return port_problem(int(port))


# --- numbers and booleans -------------------------------------------------------------

def rate_problem(rate: float) -> str | None:
    """Why ``rate`` (events per second) is not a rate: finite and not negative."""
    if math.isnan(rate) or math.isinf(rate) or rate < 0:
        return f"{rate:g} is not a rate: expected a number of requests per second >= 0"
    return None


def boolean(text: str) -> bool | None:
    """``text`` as a boolean (1/0, true/false, yes/no, on/off), or None."""
    word = text.strip().lower()
    return True if word in TRUE_WORDS else False if word in FALSE_WORDS else None


def boolean_problem(text: str) -> str | None:
    """Why ``text`` is not one of the boolean words."""
    if boolean(text) is None:
        return f"{text!r} is not a boolean: expected one of {', '.join(TRUE_WORDS + FALSE_WORDS)}"
    return None


def positive_number(text: str) -> float | None:
    """``text`` as a finite number above zero, or None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


def whole_number(text: str) -> int | None:
    """``text`` as an integer of zero or more, or None."""
    return int(text) if text.strip().isdigit() else None


def positive_integer(text: str) -> int | None:
    """``text`` as an integer above zero, or None."""
    number = whole_number(text)
    return number if number else None


# --- files the user names --------------------------------------------------------------

def dashboard_problem(data: object) -> str | None:
    """Why ``data`` (parsed JSON) lacks the shape of Grafana's dashboard JSON that the
    linter walks: an object whose ``panels`` (and rows' ``panels``) and ``targets`` are
    lists of objects, and whose ``templating.list`` is a list of objects."""
    if not isinstance(data, dict):
        return f"expected a JSON object, got {type(data).__name__}"
    templating = data.get("templating", {})
    if not isinstance(templating, dict) or not _objects(templating.get("list", [])):
        return "'templating.list' must be a list of objects"
    stack = [("panels", data.get("panels", []))]
    while stack:
        where, panels = stack.pop()
        if not _objects(panels):
            return f"{where!r} must be a list of objects"
        for i, panel in enumerate(panels):
            if not _objects(panel.get("targets", [])):
                return f"'{where}[{i}].targets' must be a list of objects"
            stack.append((f"{where}[{i}].panels", panel.get("panels", [])))
    return None


def _objects(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)
