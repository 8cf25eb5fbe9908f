"""The one reader and writer of durations (``15s``, ``1m30s``, ``500ms``) in the package.

Every duration the package reads or writes is a Prometheus duration: the CLI's flags,
the rule windows, the ``$__interval``/``$__rate_interval``/step values the preview sends
to Prometheus, and the preview's "last 1h" label. Before this module there were three
parsers and three formatters that disagreed at the edges (one took ``1.5h``, one took
``30s1m``, one refused both); now all of them are these two functions.

The syntax is Prometheus' ``model.ParseDuration`` (prometheus/common ``model/time.go``,
``durationRE``): integers with the units ``y w d h m s ms``, each at most once and the
largest first, or the bare ``0``. :func:`text` writes the shortest such text, exact to the
millisecond, which :func:`seconds` reads back unchanged.
"""

from __future__ import annotations

import re

#: Prometheus' duration syntax (prometheus/common model/time.go, durationRE).
PATTERN = re.compile(
    r"^(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$")
#: Milliseconds of each unit, in the pattern's order.
_UNIT_MS = (("y", 365 * 86_400_000), ("w", 7 * 86_400_000), ("d", 86_400_000), ("h", 3_600_000),
            ("m", 60_000), ("s", 1000), ("ms", 1))
#: The units :func:`text` writes (Prometheus prints no ``y``/``w``: 14d stays ``14d``).
_WRITTEN = ("d", "h", "m", "s", "ms")


def milliseconds(value: str) -> int | None:
    """Milliseconds in a Prometheus duration, or None when ``value`` is not one."""
    if value == "0":
        return 0
    match = PATTERN.match(value)
    if not value or not match:
        return None
    counts = match.groups()[1::2]
    return sum(int(n) * ms for n, (_, ms) in zip(counts, _UNIT_MS, strict=True) if n)


def seconds(value: str) -> float:
    """Seconds in a Prometheus duration such as ``1h30m``; ValueError naming the text otherwise."""
    ms = milliseconds(value.strip())
    if ms is None:
        raise ValueError(f"{value!r} is not a Prometheus duration (e.g. 15s, 5m, 1h30m: integers "
                         "with units y w d h m s ms, largest first)")
    return ms / 1000


def text(value: float) -> str:
    """Prometheus duration text: ``90`` → ``1m30s``, ``3600`` → ``1h``, ``0.5`` → ``500ms``.

    Exact to the millisecond; a duration must be positive (a zero window is a bug).
    """
    ms = round(value * 1000)
    if ms <= 0:
        raise ValueError(f"a duration must be positive, got {value!r} s")
    out = []
    sizes = dict(_UNIT_MS)
    for unit in _WRITTEN:
        count, ms = divmod(ms, sizes[unit])
        if count:
            out.append(f"{count}{unit}")
    return "".join(out)
