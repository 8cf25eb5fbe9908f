"""Grafana's value formatting and query intervals, table-tested against Grafana's own rules.

Expected strings come from Grafana's source, ``packages/grafana-data/src/valueFormats``:
rows marked "Grafana test" are copied from its ``valueFormats.test.ts`` table; the others
follow the function named beside them (``toSeconds``, ``toMilliSeconds``,
``toPercentUnit``, ``scaledUnits``, ``simpleCountUnit``, ``binaryPrefix``, ``toFixed`` with
``getDecimalsForValue`` when a panel sets no decimals; time units plural above 1 since
Grafana 10.3, PR #77337). Intervals follow ``promlib/models/query.go`` and ``gtime``.
"""

from __future__ import annotations

import pytest

from plano_grafana.preview import units
from plano_grafana.preview.query import (
    Series,
    decumulate,
    intervals,
    legend,
    round_interval,
)

FORMATS = [
    # value, unit, decimals, Grafana's text, where the rule comes from
    (0.0004, "s", None, "400 µs", "toSeconds: below 1 ms in µs"),
    (71.7, "locale", 0, "72", "locale: toLocaleString, maximumFractionDigits 0"),
    (6690000.4, "locale", 0, "6,690,000", "locale: en-US grouping, no scaling"),
    (-2.5, "locale", 0, "-3", "locale: halves round away from zero (halfExpand)"),
    (1234.56789, "locale", None, "1,234.568", "locale: toLocaleString's default 3 digits"),
    (0.0123, "s", None, "12.3 ms", "toSeconds: below 1 s in ms"),
    (0, "s", None, "0 s", "toSeconds: zero stays in seconds"),
    (42, "s", None, "42 s", "toSeconds"),
    (90, "s", None, "1.50 mins", "toSeconds → toFixedScaled, plural above 1"),
    (1500, "ms", None, "1.50 s", "toMilliSeconds: 1 s … 1 min in s"),
    (250, "ms", None, "250 ms", "toMilliSeconds"),
    (0.5, "ms", None, "0.500 ms", "toMilliSeconds, getDecimalsForValue(0.5) = 3"),
    (180000, "ms", None, "3 mins", "toMilliSeconds: minutes, plural"),
    (0.0024, "ms", 4, "0.0024 ms", "Grafana test"),
    (100, "ms", 0, "100 ms", "Grafana test"),
    (1250, "ms", 2, "1.25 s", "Grafana test"),
    (1200, "ms", 0, "1 s", "Grafana test"),
    (0.123, "percentunit", None, "12.3%", "toPercentUnit"),
    (0.05, "percentunit", None, "5%", "toPercentUnit"),
    (0.0368, "percentunit", 2, "3.68%", "toPercentUnit, panel decimals"),
    (1, "percentunit", None, "100%", "toPercentUnit"),
    (12.5, "reqps", None, "12.5 reqps", "simpleCountUnit('reqps')"),
    (1500, "reqps", None, "1.50K reqps", "simpleCountUnit: K, M, B, T"),
    (0, "short", None, "0", "scaledUnits, zero"),
    (950, "short", None, "950", "scaledUnits(1000, ['', ' K', ' Mil', …])"),
    (123456, "short", None, "123 K", "scaledUnits"),
    (9876543, "short", 2, "9.88 Mil", "Grafana test"),
    (1536, "bytes", None, "1.50 KiB", "binaryPrefix('B')"),
    (10000000, "kbytes", 3, "9.537 GiB", "Grafana test"),
    (42, "none", None, "42", "toFixedUnit('')"),
    (3.14159, "none", None, "3.14", "toFixed, getDecimalsForValue"),
    (1532.82, "a", 0, "1533 a", "Grafana test: unknown ids are a suffix"),
    (1532.82, "prefix:b", None, "b1533", "Grafana test"),
    (1532.82, "suffix:d", None, "1533 d", "Grafana test"),
    (66.04, "suffix:tok/s", None, "66.0 tok/s", "suffix: custom unit"),
    (66.04, "suffix: tok/s", None, "66.0  tok/s", "suffix: keeps the space after the colon"),
    (1234567, "count:xpm", 2, "1.23M xpm", "Grafana test"),
    (1234, "count:x/min", 2, "1.23K x/min", "Grafana test"),
    (1234567, "currency:@", 2, "@1.23M", "Grafana test"),
    (1532.82, "currencyUSD", 2, "$1.53K", "Grafana test"),
]


@pytest.mark.parametrize(("value", "unit", "decimals", "expected", "source"), FORMATS,
                         ids=[f"{r[1]}-{r[0]}" for r in FORMATS])
def test_format_value_as_grafana(value, unit, decimals, expected, source):
    assert units.format_value(value, unit, decimals) == expected, source


def test_to_fixed_rounds_halves_up_like_javascript():
    assert units.to_fixed(100.5) == "101"       # Grafana test; Python's round() gives 100
    assert units.to_fixed(100.4, 2) == "100.40"  # Grafana test
    assert units.to_fixed(186.123, -2) == "186"  # Grafana test: negative decimals act as 0
    assert units.to_fixed(float("nan")) == "NaN"


@pytest.mark.parametrize(("range_s", "points", "scrape", "interval", "rate"), [
    (3600, 790, 15, 15, 60),     # 4.6 s per pixel < scrape: interval = scrape; rate = 4 × scrape
    (86400, 1000, 15, 60, 75),   # 86.4 s rounds to 1m; rate = interval + scrape
    (60, 800, 1, 1, 4),          # the tests' 1 s scrape
    (21600, 700, 15, 30, 60),    # 30.9 s rounds to 30 s
])
def test_intervals_as_grafana(range_s, points, scrape, interval, rate):
    spans = intervals(range_s, points, scrape)
    assert (spans.interval, spans.rate_interval) == (interval, rate)
    assert spans.step >= spans.interval


def test_round_interval_steps():
    assert [round_interval(s) for s in (0.9, 1.6, 8, 13, 40, 100, 500)] == [1, 2, 10, 15, 30, 120, 600]


def test_legend_format():
    labels = {"__name__": "x", "provider": "openai", "model": "gpt-4o"}
    assert legend("{{provider}}/{{ model }} p95", labels, "expr") == "openai/gpt-4o p95"
    assert legend("", labels, "expr") == 'x{model="gpt-4o", provider="openai"}'
    assert legend("", {}, "sum(rate(x[1m]))") == "sum(rate(x[1m]))"


def test_heatmap_buckets_are_decumulated_and_sorted():
    def bucket(le, values):
        return Series(le, {"le": le}, (1.0, 2.0), values)
    out = decumulate([bucket("+Inf", (10.0, 12.0)), bucket("1", (2.0, 3.0)), bucket("5", (7.0, 9.0))])
    assert [s.labels["le"] for s in out] == ["1", "5", "+Inf"]
    assert [s.values for s in out] == [(2.0, 3.0), (5.0, 6.0), (3.0, 3.0)]
