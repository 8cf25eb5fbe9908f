#!/bin/sh
# Entrypoint of docker-compose.yml's simulator service: install plano-grafana, then serve
# the simulated Plano metrics (arguments go to `plano-grafana simulate`).
#
# The repository is mounted read-only at /src, and pip (setuptools) writes build metadata
# (plano_grafana.egg-info, build/) into the tree it installs from, so `pip install /src`
# fails there. Install instead from a writable copy of the files the package needs, with
# the dependencies from the hash-locked requirements/deploy.txt.
#
#   PLANO_SRC           where the repository is (default /src)
#   PLANO_REQUIREMENTS  lock file to install the dependencies from ("" to skip)
set -eu
src="${PLANO_SRC:-/src}"
requirements="${PLANO_REQUIREMENTS-$src/requirements/deploy.txt}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -R "$src/pyproject.toml" "$src/README.md" "$src/plano_grafana" "$work/"
chmod -R u+w "$work"  # a copy of a read-only tree is read-only too
if [ -n "$requirements" ]; then
  python -m pip install --quiet --no-cache-dir --disable-pip-version-check \
    --require-hashes --no-deps -r "$requirements"
fi
python -m pip install --quiet --no-cache-dir --disable-pip-version-check --no-deps "$work"
rm -rf "$work"
trap - EXIT
exec python -m plano_grafana simulate "$@"
