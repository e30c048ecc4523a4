# The README's two commands are `make demo` and `make test`; each installs
# what it needs first (Python 3.11+ and Node 20+ must be on the machine).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CDK := node_modules/.bin/cdk

# jsii warns on every run that Node 20 is past its end of life.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true
# The CDK CLI runs `python3 app.py` (cdk.json): make it the project's Python.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: install demo test lint unit synth bench upgrade clean

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt pyproject.toml requirements-nag2.txt requirements-nag3.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check pip==26.3
	PIP_CONSTRAINT=constraints.txt $(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	# Both cdk-nag majors, side by side: each test imports one of them.
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --target $(VENV)/cdk-nag-2 -r requirements-nag2.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --target $(VENV)/cdk-nag-3 -r requirements-nag3.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## demo: synthesize the example app with the CDK CLI and rehearse deploy and destroy
demo: install
	$(PY) -m tests.rehearsal.demo

## test: lint, then every test (construct, handler, rehearsal, wheel)
test: install lint
	$(PY) -m pytest

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	# The package, and the handler's modules as Lambda imports them (pyproject.toml).
	$(PY) -m mypy -p cdk_workspace_image -m index -m logic -m contract -m workspaces -m polling_helper

## bench: measure synth time, poll cost, API calls and asset size into bench/RESULTS.md
bench: install
	$(PY) -m bench.run

## synth: the example app's template, for a given source WorkSpace
synth: install
	$(CDK) synth -c workspace_id=$(or $(WORKSPACE_ID),ws-0123456789)

## upgrade: refresh the pins on purpose (then run make test and commit)
upgrade:
	rm -rf .upgrade-venv
	$(PYTHON) -m venv .upgrade-venv
	.upgrade-venv/bin/pip install --quiet pip==26.3
	.upgrade-venv/bin/pip install --quiet -r requirements-dev.txt
	.upgrade-venv/bin/pip freeze --exclude-editable > constraints.txt
	rm -rf .upgrade-venv
	npm install --no-audit --no-fund

clean:
	rm -rf $(VENV) node_modules cdk.out build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache
