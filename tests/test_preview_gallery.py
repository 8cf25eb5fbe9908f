"""The README gallery (docs/img/) is caught stale like a stale dashboards/*.json.

Pictures of random data can never be compared pixel by pixel, so each picture is
recorded in docs/img/previews.json with the fingerprint of what it shows (title,
layout, panel kinds, titles, units, thresholds, queries, legends, variables). A
dashboard change that alters any of these fails here until ``make gallery`` is rerun.
"""

from __future__ import annotations

import copy
from pathlib import Path

from plano_grafana.preview import gallery
from tests.conftest import REPO

IMAGES = Path(REPO) / "docs/img"


def test_every_dashboard_has_a_fresh_picture(compiled):
    manifest = gallery.read_manifest(IMAGES)
    stale = []
    for dashboard in compiled.values():
        uid = dashboard["uid"]
        entry = manifest.get(uid)
        if entry is None or not (IMAGES / entry["file"]).is_file():
            stale.append(f"{uid}: no picture in docs/img")
        elif entry["fingerprint"] != gallery.fingerprint(dashboard):
            stale.append(f"{uid}: docs/img/{entry['file']} shows an older version of the dashboard")
    gone = sorted(set(manifest) - {d["uid"] for d in compiled.values()})
    stale += [f"{uid}: picture of a dashboard that no longer exists" for uid in gone]
    assert not stale, "run 'make gallery' and commit docs/img:\n" + "\n".join(stale)


def test_gallery_stays_small():
    sizes = {p.name: p.stat().st_size for p in IMAGES.glob("*.png")}
    assert sizes and sum(sizes.values()) < 2_000_000, sizes


def test_fingerprint_follows_what_the_picture_shows(compiled):
    base = next(iter(compiled.values()))
    same = copy.deepcopy(base)
    panel = next(p for p in same["panels"] if p["type"] != "row")
    panel["description"] = "reworded, not drawn"
    panel["id"] = 999
    assert gallery.fingerprint(same) == gallery.fingerprint(base)
    for change in (lambda p: p.update(title=p["title"] + "!"),
                   lambda p: p["gridPos"].update(w=p["gridPos"]["w"] - 1),
                   lambda p: p["fieldConfig"]["defaults"].update(unit="none"),
                   lambda p: p["targets"][0].update(expr=p["targets"][0]["expr"] + " * 2")):
        other = copy.deepcopy(base)
        change(next(p for p in other["panels"] if p["type"] != "row"))
        assert gallery.fingerprint(other) != gallery.fingerprint(base)
