"""Command-line value types that reject bad input before anything is sent or written.

Each is a :class:`click.ParamType`, so a bad value ends the command as a usage error
(exit 2, one line naming the option) before the first request to Grafana. The rules
are the ones the receiving side applies, so a value that passes here is not refused
there for its shape:

- folder uids follow Grafana's ``IsValidShortUID``/``IsShortUIDTooLong``
  (``pkg/util/shortid_generator.go``): ASCII letters, digits, ``-`` and ``_``, at most
  40 characters; ``general`` and ``sharedwithme`` are reserved
  (``pkg/services/folder/model.go``). See docs/grafana-api.md.
- durations follow Prometheus' ``model.ParseDuration``, read by
  :mod:`plano_grafana.model.durations` (the package's one duration reader). A scrape
  interval must also be above zero.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import click

from plano_grafana.model import durations

#: Grafana's uid rule (legacy short uid pattern) and its maximum length.
UID_PATTERN = re.compile(r"^[a-zA-Z0-9_-]*$")
UID_MAX_LENGTH = 40
#: Folder uids Grafana keeps for itself: the root folder and "Shared with me".
RESERVED_FOLDER_UIDS = ("general", "sharedwithme")
def uid_problem(uid: str) -> str | None:
    """Why Grafana would refuse ``uid`` as a folder or dashboard uid, or None."""
    if not uid:
        return "the uid is empty"
    if not UID_PATTERN.match(uid):
        return ("Grafana uids may contain only letters a-z A-Z, digits, '-' and '_' "
                f"(IsValidShortUID), got {uid!r}")
    if len(uid) > UID_MAX_LENGTH:
        return f"Grafana uids are at most {UID_MAX_LENGTH} characters, got {len(uid)}"
    return None


#: Milliseconds of a Prometheus duration, or None when it is not one.
duration_ms = durations.milliseconds


def folder_problem(value: str) -> str | None:
    """Why ``UID:TITLE`` (or a bare ``UID``) is not a folder Grafana would create, or None."""
    parts = value.split(":")
    if len(parts) > 2:
        return f"expected UID:TITLE with one ':', got {value!r}"
    uid, title = parts[0], parts[1] if len(parts) == 2 else None
    problem = uid_problem(uid)
    if problem:
        return f"folder uid: {problem}"
    if uid.lower() in RESERVED_FOLDER_UIDS:
        return f"folder uid {uid!r} is reserved by Grafana ({', '.join(RESERVED_FOLDER_UIDS)})"
    if title is not None and not title.strip():
        return f"the folder title is empty in {value!r}"
    return None


class FolderType(click.ParamType):
    """``UID:TITLE`` (or ``UID`` for the config's title): a uid Grafana accepts, at most
    one colon, a non-empty title."""

    name = "UID:TITLE"

    def convert(self, value, param, ctx) -> str:
        text = str(value)
        problem = folder_problem(text)
        if problem:
            self.fail(problem, param, ctx)
        return text


class DurationType(click.ParamType):
    """A Prometheus duration above zero, such as ``15s`` or ``1m30s``; kept as text."""

    name = "DURATION"

    def convert(self, value, param, ctx) -> str:
        text = str(value).strip()
        ms = duration_ms(text)
        if ms is None:
            self.fail(f"{value!r} is not a Prometheus duration (e.g. 15s, 1m, 1m30s: "
                      "integers with units y w d h m s ms, largest first)", param, ctx)
        if ms == 0:
            self.fail(f"{value!r}: the interval must be above zero", param, ctx)
        return text


class HttpUrlType(click.ParamType):
    """An ``http://`` or ``https://`` URL with a host (and a valid port, if any).

    The value is echoed in the error only without its ``user:password@`` part.
    """

    name = "URL"

    def convert(self, value, param, ctx) -> str:
        text = str(value).strip()
        shown = repr(text.rsplit("@", 1)[-1] if "@" in text else text)
        try:
            parts = urlsplit(text)
            port = parts.port
        except ValueError:
            self.fail(f"{shown} is not a valid URL (bad port or address)", param, ctx)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            self.fail(f"expected an http:// or https:// URL with a host, such as "
                      f"http://prometheus:9090, got {shown}", param, ctx)
        if port == 0:
            self.fail(f"{shown}: port 0 is not a port to connect to", param, ctx)
        return text


FOLDER = FolderType()
DURATION = DurationType()
HTTP_URL = HttpUrlType()
