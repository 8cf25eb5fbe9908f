"""Grafana's value formatting (``fieldConfig.defaults.unit``), so a preview reads like Grafana.

A reviewer compares units across panels ("400 µs" here, "0.0004" there is the bug this
catches), so the text must be Grafana's, not an approximation. The rules follow
``packages/grafana-data/src/valueFormats`` of Grafana ≥ 10.3: ``toFixed`` with the
automatic decimals of ``getDecimalsForValue`` when a panel sets none, ``scaledUnits``
(short, bytes, reqps, currency), the time ladders of ``toMilliSeconds``/``toSeconds``
(plural ``mins``/``hours``/``days`` above 1, as since Grafana 10.3), ``percentunit``,
and the ``prefix:``/``suffix:``/``count:``/``currency:`` custom units. JavaScript's number
printing and rounding (``Math.round`` rounds halves up) are reproduced where they show.
Unknown unit ids print as Grafana prints them: the number, a space and the id.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Callable, Sequence

#: (text, suffix, prefix): Grafana's ``FormattedValue``.
Formatted = tuple[str, str, str]
Formatter = Callable[[float, "int | None"], Formatted]


def _js_str(value: float) -> str:
    """``String(number)`` in JavaScript: shortest round-trip, no ``.0``, JS exponents."""
    if math.isnan(value):
        return "NaN"
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = "-" if exponent.startswith("-") else "+"
        return f"{mantissa}e{sign}{int(exponent.lstrip('+-'))}"
    return text


def _js_round(value: float) -> float:
    """``Math.round``: halves go up (towards +∞), unlike Python's banker's rounding."""
    return float(math.floor(value + 0.5))


def decimals_for(value: float) -> int:
    """Grafana's ``getDecimalsForValue`` (no axis context): about two significant digits."""
    magnitude = abs(value)
    log10 = math.floor(math.log(magnitude) / math.log(10))
    dec = -log10 + 1
    norm = magnitude / 10 ** -dec
    if norm > 2.25:  # "special case for 2.5, requires an extra decimal"
        dec += 1
    if math.fmod(value, 1) == 0:
        dec = 0
    return max(0, dec)


def to_fixed(value: float, decimals: int | None = None) -> str:
    """Grafana's ``toFixed``: rounds to ``decimals`` (automatic when None) and pads zeros."""
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if math.isnan(value):
        return "NaN"
    actual = decimals_for(value) if decimals is None and value != 0 else (decimals or 0)
    if value == 0:
        return f"{0:.{max(actual, 0)}f}"
    factor = 10 ** max(0, actual) if actual else 1
    formatted = _js_str(_js_round(value * factor) / factor)
    if "e" in formatted:
        return formatted
    point = formatted.find(".")
    precision = 0 if point == -1 else len(formatted) - point - 1
    if precision < actual:
        return (formatted if precision else formatted + ".") + "0" * (actual - precision)
    return formatted


def fixed_unit(unit: str, as_prefix: bool = False) -> Formatter:
    def fmt(value: float, decimals: int | None = None) -> Formatted:
        text = to_fixed(value, decimals)
        if not unit:
            return text, "", ""
        return (text, "", unit) if as_prefix else (text, " " + unit, "")
    return fmt


def scaled_units(factor: int, suffixes: Sequence[str], offset: int = 0) -> Formatter:
    """``scaledUnits``: one suffix per power of ``factor``, clamped to the list."""
    last = len(suffixes) - 1

    def fmt(value: float, decimals: int | None = None) -> Formatted:
        if math.isinf(value) or math.isnan(value):
            return to_fixed(value), "", ""
        index = 0 if value == 0 else math.floor(math.log10(abs(value)) / math.log10(factor))
        suffix = suffixes[min(max(offset + index, 0), last)]
        power = min(max(index, -offset), last - offset)
        return to_fixed(value / factor ** power, decimals), suffix, ""
    return fmt


def count_unit(symbol: str) -> Formatter:
    """``simpleCountUnit``: K/M/B/T then the symbol (``reqps`` is one of these)."""
    scaler = scaled_units(1000, ("", "K", "M", "B", "T"))

    def fmt(value: float, decimals: int | None = None) -> Formatted:
        text, suffix, _ = scaler(value, decimals)
        return text, f"{suffix} {symbol}", ""
    return fmt


def currency(symbol: str, as_suffix: bool = False) -> Formatter:
    scaler = scaled_units(1000, ("", "K", "M", "B", "T"))

    def fmt(value: float, decimals: int | None = None) -> Formatted:
        text, suffix, _ = scaler(abs(value), decimals)
        prefix = "" if as_suffix else symbol
        if as_suffix:
            suffix += symbol
        if value < 0:
            prefix = "-" + prefix
        return text, suffix, prefix
    return fmt


def binary_prefix(unit: str, offset: int = 0) -> Formatter:
    prefixes = ("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi")
    return scaled_units(1024, [f" {p}{unit}" for p in prefixes], offset)


_PLURAL = {" min", " hour", " day", " week", " year"}


def _scaled(value: float, decimals: int | None, ext: str) -> Formatted:
    """``toFixedScaled``: the time units take a plural above 1 (Grafana ≥ 10.3)."""
    suffix = ext + "s" if ext in _PLURAL and abs(value) > 1 else ext
    return to_fixed(value, decimals), suffix, ""


def _ladder(steps: Sequence[tuple[float, float, str]], first: str, last: tuple[float, str]) -> Formatter:
    """A time unit: below ``steps[0][0]`` plain with ``first``; else scaled by the step."""
    def fmt(value: float, decimals: int | None = None) -> Formatted:
        magnitude = abs(value)
        if magnitude < steps[0][0]:
            return to_fixed(value, decimals), first, ""
        for limit, divisor, ext in steps[1:]:
            if magnitude < limit:
                return _scaled(value / divisor, decimals, ext)
        return _scaled(value / last[0], decimals, last[1])
    return fmt


def _seconds(value: float, decimals: int | None = None) -> Formatted:
    """``toSeconds``: ns/µs/ms below a second, then min/hour/day/week/year."""
    if value == 0:
        return "0", " s", ""
    magnitude = abs(value)
    if magnitude < 1e-6:
        return _scaled(value * 1e9, decimals, " ns")
    if magnitude < 1e-3:
        return _scaled(value * 1e6, decimals, " µs")
    if magnitude < 1:
        return _scaled(value * 1e3, decimals, " ms")
    if magnitude < 60:
        return to_fixed(value, decimals), " s", ""
    for limit, divisor, ext in ((3600, 60, " min"), (86400, 3600, " hour"),
                                (604800, 86400, " day"), (31536000, 604800, " week")):
        if magnitude < limit:
            return _scaled(value / divisor, decimals, ext)
    return _scaled(value / 3.15569e7, decimals, " year")


_milliseconds = _ladder(((1000, 1, " ms"), (60000, 1000, " s"), (3600000, 60000, " min"),
                         (86400000, 3600000, " hour"), (31536000000, 86400000, " day")),
                        " ms", (31536000000, " year"))
_microseconds = _ladder(((1000, 1, " µs"), (1000000, 1000, " ms")), " µs", (1000000, " s"))
_nanoseconds = _ladder(((1000, 1, " ns"), (1e6, 1e3, " µs"), (1e9, 1e6, " ms"), (6e10, 1e9, " s"),
                        (3.6e12, 6e10, " min"), (8.64e13, 3.6e12, " hour")), " ns", (8.64e13, " day"))
_minutes = _ladder(((60, 1, " min"), (1440, 60, " hour"), (10080, 1440, " day"),
                    (604800, 10080, " week")), " min", (5.25948e5, " year"))
_hours = _ladder(((24, 1, " hour"), (168, 24, " day"), (8760, 168, " week")), " hour", (8760, " year"))
_days = _ladder(((7, 1, " day"), (365, 7, " week")), " day", (365, " year"))


def _percent(scale: float) -> Formatter:
    def fmt(value: float, decimals: int | None = None) -> Formatted:
        return to_fixed(scale * value, decimals), "%", ""
    return fmt


def _locale(value: float, decimals: int | None = None) -> Formatted:
    """``locale`` (``symbolFormatters.ts``): ``toLocaleString(undefined, {maximumFractionDigits:
    decimals})`` as an en-US browser writes it: thousands grouped, halves rounded away from
    zero, trailing zeros dropped, at most 3 fraction digits when no decimals are set."""
    if math.isinf(value) or math.isnan(value):
        return to_fixed(value), "", ""
    digits = 3 if decimals is None else max(int(decimals), 0)
    exact = decimal.Decimal(repr(value)).quantize(decimal.Decimal(1).scaleb(-digits), decimal.ROUND_HALF_UP)
    text = f"{exact:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return ("0" if text in ("-0", "") else text), "", ""


_THROUGHPUT = ("cps", "ops", "reqps", "rps", "wps", "iops", "cpm", "opm", "rpm", "wpm")

#: The unit ids this package's dashboards use, and their neighbours.
FORMATS: dict[str, Formatter] = {
    "none": fixed_unit(""),
    "locale": _locale,
    "short": scaled_units(1000, ("", " K", " Mil", " Bil", " Tri", " Quadr", " Quint", " Sext", " Sept")),
    "percent": _percent(1),
    "percentunit": _percent(100),
    "ns": _nanoseconds, "µs": _microseconds, "ms": _milliseconds, "s": _seconds,
    "m": _minutes, "h": _hours, "d": _days,
    "bytes": binary_prefix("B"), "kbytes": binary_prefix("B", 1), "mbytes": binary_prefix("B", 2),
    "gbytes": binary_prefix("B", 3), "bits": binary_prefix("b"),
    "currencyUSD": currency("$"), "currencyEUR": currency("€"), "currencyGBP": currency("£"),
    **{unit: count_unit(unit) for unit in _THROUGHPUT},
}


def formatter(unit: str | None) -> Formatter:
    """Grafana's ``getValueFormat``: known ids, then ``prefix:``/``suffix:``/``count:``/
    ``currency:``, else the id itself as a suffix."""
    if not unit:
        return FORMATS["none"]
    if unit in FORMATS:
        return FORMATS[unit]
    key, sep, sub = unit.partition(":")
    if sep and key:
        if key == "prefix":
            return fixed_unit(sub, as_prefix=True)
        if key == "suffix":
            return fixed_unit(sub)
        if key == "count":
            return count_unit(sub)
        if key == "currency":
            return currency(sub)
    return fixed_unit(unit)


def format_value(value: float | None, unit: str | None = None, decimals: int | None = None) -> str:
    """The text Grafana shows for ``value`` in ``unit`` (``formattedValueToString``)."""
    if value is None:
        return ""
    text, suffix, prefix = formatter(unit)(float(value), decimals)
    return f"{prefix}{text}{suffix}"
