"""One duration reader and writer (plano_grafana/model/durations.py) for the whole package.

The syntax is Prometheus' ``model.ParseDuration`` (prometheus/common ``model/time.go``):
integers, units ``y w d h m s ms`` each once and largest first, or the bare ``0``.
"""

from __future__ import annotations

import pytest

from plano_grafana.model import durations, validate, windows
from plano_grafana.preview import query

READ = [
    ("15s", 15), ("1m30s", 90), ("1h30m", 5400), ("2d", 172800), ("500ms", 0.5), ("1w", 604800),
    ("1y", 31536000), ("0", 0), (" 5m ", 300),
]
REFUSED = ["an hour", "", "1.5h", "15", "30s1m", "1m1m", "-5m", "5M", "1h 30m"]
WRITTEN = [(90, "1m30s"), (3600, "1h"), (0.5, "500ms"), (86400 * 14, "14d"), (75, "1m15s"),
           (3723.25, "1h2m3s250ms")]


@pytest.mark.parametrize(("text", "seconds"), READ)
def test_reads_prometheus_durations(text, seconds):
    assert durations.seconds(text) == seconds


@pytest.mark.parametrize("text", REFUSED)
def test_refuses_what_prometheus_refuses(text):
    with pytest.raises(ValueError, match="not a Prometheus duration"):
        durations.seconds(text)
    assert durations.milliseconds(text.strip()) is None or text.strip() == "0"


@pytest.mark.parametrize(("seconds", "text"), WRITTEN)
def test_writes_the_shortest_exact_text_and_reads_it_back(seconds, text):
    assert durations.text(seconds) == text
    assert durations.seconds(text) == seconds


@pytest.mark.parametrize("seconds", [0, -1, 0.0001])
def test_a_written_duration_is_positive(seconds):
    with pytest.raises(ValueError, match="positive"):
        durations.text(seconds)


def test_every_user_reads_and_writes_through_the_one_module():
    """validate (the flags' and the config's rules) reads through it; windows and the
    preview no longer carry their own parser, formatter or aliases of them."""
    assert validate.duration_ms is durations.milliseconds
    assert validate.seconds is durations.seconds
    assert not hasattr(windows, "duration") and not hasattr(windows, "parse_duration")
    assert not hasattr(query, "parse_duration") and not hasattr(query, "format_duration")
    import plano_grafana.preview as preview

    assert not hasattr(preview, "_human")
