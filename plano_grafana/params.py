"""Command-line value types that reject bad input before anything is sent or written.

Each is a :class:`click.ParamType` over one rule of :mod:`plano_grafana.model.validate` (the
same rule the config loader and Grafana's settings apply), so a bad value ends the
command as a usage error (exit 2, one line naming the option) before the first request
to Grafana, the first scrape or the first file written.
"""

from __future__ import annotations

from collections.abc import Callable

import click

from plano_grafana.model import validate


class _Checked(click.ParamType):
    """A value ``problem`` accepts, converted by ``convert_value``."""

    problem: Callable[[str], str | None]

    def convert_value(self, text: str):
        return text

    def convert(self, value, param, ctx):
        text = str(value).strip()
        problem = type(self).problem(text)
        if problem:
            self.fail(problem, param, ctx)
        return self.convert_value(text)


class FolderType(_Checked):
    """``UID:TITLE``: a uid Grafana accepts and does not reserve, exactly one colon, a
    non-empty title."""

    name = "UID:TITLE"
    problem = staticmethod(validate.folder_problem)


class DurationType(_Checked):
    """A Prometheus duration above zero, such as ``15s`` or ``1m30s``; kept as text."""

    name = "DURATION"
    problem = staticmethod(validate.duration_problem)


class SecondsType(DurationType):
    """A Prometheus duration above zero, converted to seconds (a float)."""

    def convert_value(self, text: str) -> float:
        return validate.seconds(text)


class HttpUrlType(_Checked):
    """An ``http://`` or ``https://`` URL with a host (and a valid port, if any); the
    value is echoed in the error only without its ``user:password@`` part."""

    name = "URL"
    problem = staticmethod(validate.url_problem)


class TargetType(_Checked):
    """A Prometheus scrape target, ``host:port``."""

    name = "HOST:PORT"
    problem = staticmethod(validate.target_problem)


class PortType(click.ParamType):
    """A TCP port to listen on: 0 to 65535, 0 meaning any free port."""

    name = "PORT"

    def convert(self, value, param, ctx) -> int:
        try:
            port = int(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a port number", param, ctx)
        problem = validate.port_problem(port, listen=True)
        if problem:
            self.fail(problem, param, ctx)
        return port


class RateType(click.ParamType):
    """Requests per second: a finite number, not negative."""

    name = "RATE"

    def convert(self, value, param, ctx) -> float:
        try:
            rate = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        problem = validate.rate_problem(rate)
        if problem:
            self.fail(problem, param, ctx)
        return rate


class MetricPrefixType(_Checked):
    """A prefix for metric names (``simulate --metric-prefix``), as ``[metrics]
    brightstaff_prefix`` takes it."""

    name = "PREFIX"
    problem = staticmethod(validate.metric_prefix_problem)


FOLDER = FolderType()
DURATION = DurationType()
SECONDS = SecondsType()
HTTP_URL = HttpUrlType()
TARGET = TargetType()
PORT = PortType()
RATE = RateType()
METRIC_PREFIX = MetricPrefixType()
