"""A dashboard module with a typo, for the build error message test."""

from grafanalib import core as g

UID = "broken"


def build() -> g.Dashboard:
    dashboard = g.Dashboard(title="Broken", uid=UID)
    return dashboard.auto_panel_idz()  # BROKEN-LINE: the typo the error must point at
