"""Check 3, versions: brightstaff's ``build_info`` against the release the catalogue matches.

What the labels hold, from Plano's source at 003c36ae (crates/brightstaff/src/metrics/
mod.rs, ``emit_build_info``): ``version`` is ``CARGO_PKG_VERSION``, the brightstaff
crate's own version (crates/brightstaff/Cargo.toml: 0.1.0 since brightstaff was added),
never Plano's release; ``git_sha`` is the ``GIT_SHA`` variable at build time, or
``unknown``, which is what Plano's Dockerfile and release workflow (they do not set it)
produce. So ``git_sha`` is the key when a build sets it; ``version`` only says the crate
moved on; with ``unknown`` the metrics cannot tell which release runs.
"""

from __future__ import annotations

from plano_grafana.doctor import names
from plano_grafana.doctor.context import Context
from plano_grafana.doctor.findings import Finding
from plano_grafana.model import catalogue as c
from plano_grafana.model import upstream

_UNKNOWN = upstream.BRIGHTSTAFF_GIT_SHA  # what a build without GIT_SHA reports
_MATCHES = f"Plano {upstream.PLANO_RELEASE}, katanemo/plano {upstream.PLANO_COMMIT}"
_DOCS = "docs/metrics.md says which names and labels the catalogue read from which source file"


def _same_commit(sha: str) -> bool:
    sha, want = sha.lower(), upstream.PLANO_COMMIT.lower()
    return len(sha) >= 7 and (sha.startswith(want) or want.startswith(sha))


def check(ctx: Context) -> list[Finding]:
    name = names.family_name(c.BS_BUILD_INFO, ctx.cfg)
    selector = names.selector(ctx.cfg, names.BRIGHTSTAFF)
    rows = ctx.query(f"group by (version, git_sha) ({name}{{{selector}}})")
    builds = sorted({(r["metric"].get("version", ""), r["metric"].get("git_sha", "")) for r in rows})
    findings = []
    for version, sha in builds:
        label = f"brightstaff_build_info version={version!r} git_sha={sha!r}"
        if sha and sha != _UNKNOWN and not _same_commit(sha):
            findings.append(Finding("versions", "warning", f"{label}: built from another commit "
                                    f"than the catalogue matches ({_MATCHES})",
                                    f"compare the metrics this build exports with the "
                                    f"catalogue: {_DOCS}"))
        elif version != upstream.BRIGHTSTAFF_VERSION:
            findings.append(Finding("versions", "warning", f"{label}: the brightstaff crate is no "
                                    f"longer {upstream.BRIGHTSTAFF_VERSION}, the version of "
                                    f"{_MATCHES}: another Plano release",
                                    f"compare its metrics with the catalogue: {_DOCS}"))
        elif _same_commit(sha):
            findings.append(Finding("versions", "info", f"{label}: the build the catalogue "
                                    f"matches ({_MATCHES})"))
        else:
            findings.append(Finding(
                "versions", "info",
                f"{label}: version is the brightstaff crate's, not Plano's release, and the "
                "build did not set GIT_SHA (Plano's images do not), so the metrics cannot say "
                f"which release runs; the catalogue matches {_MATCHES}",
                "check the release with `planoai --version` or the image tag"))
    return findings  # no build_info at all: targets and families say why
