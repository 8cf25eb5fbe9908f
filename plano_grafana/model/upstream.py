"""The versions this package was checked against, named once for ``--version``, the
simulator and the docs.

The catalogue (:mod:`plano_grafana.model.catalogue`, docs/metrics.md) was read from
Plano's source at :data:`PLANO_COMMIT`, the release :data:`PLANO_RELEASE`. brightstaff's
own ``brightstaff_build_info`` does not carry that release: its ``version`` label is the
crate's ``CARGO_PKG_VERSION`` (``crates/brightstaff/Cargo.toml``: ``0.1.0``) and its
``git_sha`` is ``option_env!("GIT_SHA")``, which Plano's Dockerfile never sets, so a
released image reports ``unknown`` (``crates/brightstaff/src/metrics/mod.rs``,
``emit_build_info``).
"""

from __future__ import annotations

#: Plano's release and commit whose metrics the catalogue matches.
PLANO_RELEASE = "0.4.36"
PLANO_COMMIT = "003c36ae"
#: Envoy version of that release, whose stat names and histograms the catalogue follows.
ENVOY_VERSION = "1.37"
#: ``brightstaff_build_info``'s labels as Plano's released image reports them.
BRIGHTSTAFF_VERSION = "0.1.0"
BRIGHTSTAFF_GIT_SHA = "unknown"
#: Grafana releases the deploy's contract tests run against (CI's ``contract`` job; 13.2.1
#: on the ``/apis`` path). Here the suite runs against the test double, modelled on them.
GRAFANA_TESTED = ("11.6.0", "12.1.0", "13.2.1")


def summary() -> str:
    """What ``plano-grafana --version`` adds under the package's own version."""
    return (f"metrics catalogue: Plano {PLANO_RELEASE} (katanemo/plano {PLANO_COMMIT}), "
            f"Envoy {ENVOY_VERSION}, brightstaff build_info version {BRIGHTSTAFF_VERSION}\n"
            f"deploy contract tests (CI) against Grafana {', '.join(GRAFANA_TESTED)}")
