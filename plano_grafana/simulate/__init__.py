"""Simulate: a stand-in for Plano that serves its exact exposition format with known truth.

Traffic shapes (``profiles``), the traffic (``simulator``), its ground-truth log
(``truth``), the text format (``exposition``) and the HTTP endpoints (``servers``).

May import: ``plano_grafana.model`` (the catalogue, Plano's config) and the standard
library. Nothing from build, lint, deploy or preview: the simulator must not share the code
it is used to check.
"""
