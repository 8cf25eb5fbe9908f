"""House style of the committed dashboards: busy legends sorted, counts over a range whole.

- A time series whose queries split by label (a ``{{label}}`` legend: one series per
  provider, model, cluster ...) sorts its legend by ``Max``, descending: Grafana lists the
  series that moved first (``VizLegendTable.tsx``), not five rows of zeros above
  "… 16 more series".
- An instant stat or pie chart that counts over the selected range ("Rate-limited
  requests", 71.7 from ``increase()``'s extrapolation) is shown whole: Grafana's
  ``locale`` unit with 0 decimals, which writes ``72`` and ``6,690,000`` (``short`` with
  0 decimals would write ``7 Mil``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plano_grafana.preview.fields import display
from tests.conftest import REPO

PANELS = [
    (path.stem, panel)
    for path in sorted((Path(REPO) / "dashboards").glob("*.json"))
    for row in json.loads(path.read_text(encoding="utf-8"))["panels"]
    for panel in [row, *row.get("panels", [])]
]


def _panel(title: str) -> dict:
    return next(panel for _, panel in PANELS if panel.get("title") == title)


def _split_by_label(panel: dict) -> bool:
    """A query yields one series per label value: its legend names a label of its own
    (``{{fleet}}`` alone, the installation's prefix, does not make a panel busy)."""
    return any("{{" in t.get("legendFormat", "").replace("{{fleet}}", "") for t in panel.get("targets", []))


BUSY = [(uid, p) for uid, p in PANELS if p.get("type") == "timeseries" and _split_by_label(p)]
COUNTS = [(uid, p) for uid, p in PANELS if p.get("type") in ("stat", "piechart")
          and all(t.get("instant") for t in p.get("targets", []))
          and any("increase(" in t.get("expr", "") or "resets(" in t.get("expr", "")
                  for t in p.get("targets", []))
          and p["fieldConfig"]["defaults"].get("unit") not in ("currencyUSD",)]


def test_the_reported_panels_are_covered():
    assert "Timeouts, resets, connect failures and retries" in {p["title"] for _, p in BUSY}
    assert "Rate-limited requests" in {p["title"] for _, p in COUNTS}
    assert len(BUSY) > 10 and len(COUNTS) >= 5


@pytest.mark.parametrize(("uid", "panel"), BUSY, ids=[f"{u}: {p['title']}" for u, p in BUSY])
def test_busy_legends_sort_by_max_descending(uid, panel):
    legend = panel["options"]["legend"]
    assert (legend.get("sortBy"), legend.get("sortDesc")) == ("Max", True)
    assert "max" in legend["calcs"]  # sortBy names a column the legend shows


def test_panels_with_one_series_per_query_keep_their_order():
    quiet = [p for _, p in PANELS if p.get("type") == "timeseries" and not _split_by_label(p)]
    assert quiet and all("sortBy" not in p["options"]["legend"] for p in quiet)


@pytest.mark.parametrize(("uid", "panel"), COUNTS, ids=[f"{u}: {p['title']}" for u, p in COUNTS])
def test_counts_over_the_range_are_whole(uid, panel):
    defaults = panel["fieldConfig"]["defaults"]
    assert (defaults.get("unit"), defaults.get("decimals")) == ("locale", 0)


def test_rate_limited_requests_reads_as_a_whole_number():
    defaults = _panel("Rate-limited requests")["fieldConfig"]["defaults"]
    assert display(71.7, defaults["unit"], defaults["decimals"]) == "72"
    assert display(6_690_412.3, defaults["unit"], defaults["decimals"]) == "6,690,412"
