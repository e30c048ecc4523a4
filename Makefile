# The README's two commands are `make demo` and `make test`; each installs
# what it needs first (Python 3.11+ and Node 20+ must be on the machine; Node
# 22 or later is what jsii supports).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CDK := node_modules/.bin/cdk

# jsii supports Node 22 and 24 and warns on every run under an older one:
# `make install` says so once instead (see node-check).
JSII_MIN_NODE := 22
NODE_MAJOR := $(shell node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
export CDK_DISABLE_CLI_TELEMETRY := true
PIP_QUIET := --quiet --disable-pip-version-check
# The CDK CLI runs `python3 app.py` (cdk.json): make it the project's Python.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
# The Lambda runtime's boto3 is whatever AWS bundled: the rehearsal also runs
# the handler on these, each from a folder of its own (docs/runtime-sdk.md).
RUNTIME_SDKS := 1.40.0 1.43.0
# The handler's modules, top-level as Lambda imports them: mypy checks each.
HANDLER_MODULES := index images sources updated bundles common polling_helper state trust \
  workspaces sdk stacks retention contract actions properties updates polls discard tagging retries \
  reasons source_updates bundle_decisions

.PHONY: install node-check demo test lint docs dist synth bench bench-poll bench-throttling model pins integ integ-snapshots upgrade clean

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements-dev.lock requirements-nag2.txt requirements-nag3.txt pyproject.toml \
  $(RUNTIME_SDKS:%=requirements-sdk-%.txt)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install $(PIP_QUIET) pip==26.3
	# Every package pinned and checked against its hash; then this library, from here.
	$(PY) -m pip install $(PIP_QUIET) --require-hashes --no-deps -r requirements-dev.lock
	$(PY) -m pip install $(PIP_QUIET) --no-deps --no-build-isolation -e .
	# Both cdk-nag majors, side by side: each nag test imports one of them.
	$(PY) -m pip install $(PIP_QUIET) --require-hashes --no-deps --target $(VENV)/cdk-nag-2 -r requirements-nag2.txt
	$(PY) -m pip install $(PIP_QUIET) --require-hashes --no-deps --target $(VENV)/cdk-nag-3 -r requirements-nag3.txt
	# Older runtime SDKs (boto3, botocore and their dependencies), one folder each.
	for version in $(RUNTIME_SDKS); do \
	  rm -rf $(VENV)/runtime-sdk/$$version; \
	  $(PY) -m pip install $(PIP_QUIET) --require-hashes --no-deps \
	    --target $(VENV)/runtime-sdk/$$version -r requirements-sdk-$$version.txt || exit 1; \
	done
	touch $@

node_modules/.installed: package.json package-lock.json
	@$(MAKE) --no-print-directory node-check
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# One line, once per install, rather than jsii's banner on every synth.
node-check:
	@test "$(NODE_MAJOR)" -ge $(JSII_MIN_NODE) 2>/dev/null \
	  || echo "make install: Node $$(node --version) is older than jsii supports ($(JSII_MIN_NODE) or later);" \
	     "every CDK synth will print jsii's end-of-life warning until you upgrade Node."

## demo: synthesize the example app with the CDK CLI and rehearse deploy and destroy
# install has said it once if Node is too old; the demo's output stays the demo's.
demo: install
	JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=$(NODE_MAJOR) $(PY) -m tests.rehearsal.demo

## test: lint, then every test (construct, handler, rehearsal, wheel, integ snapshots)
test: install lint
	$(PY) -m pytest

## integ: deploy tests/integ/integ_*.py to a real account, assert, destroy (docs/integ.md)
# Without INTEG_WORKSPACE_ID, credentials or a bootstrapped account it says what
# it needs and deploys nothing. INTEG_TESTS="integ_image_bundle.py" runs fewer.
integ: install
	$(PY) tests/integ/runner.py deploy $(INTEG_TESTS)

## integ-snapshots: rewrite tests/integ/*.snapshot offline after a change to the templates
integ-snapshots: install
	$(PY) tests/integ/runner.py snapshots

## docs: regenerate docs/API.md from the docstrings (a test fails when it is stale)
docs: install
	$(VENV)/bin/griffe2md cdk_workspace_image --format-md --output docs/API.md

## dist: build the sdist and the wheel into dist/, and check them with twine
dist: install
	rm -rf dist
	$(PY) -m build --quiet --no-isolation --outdir dist .
	$(VENV)/bin/twine check --strict dist/*

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	# The package, and the handler's modules as Lambda imports them (pyproject.toml).
	$(PY) -m mypy -p cdk_workspace_image $(HANDLER_MODULES:%=-m %)

## bench: measure synth time, poll cost, API calls, asset size and throttling into bench/RESULTS.md
bench: install
	$(PY) -m bench.run

## model: write the WorkSpaces and SSM API models that the handler ships, from the pinned botocore
model: install
	$(PY) -m tools.workspaces_model

## pins: write crhelper's hashes that bundling checks, from the lock and the installed wheel
pins: install
	$(PY) -m tools.pins

## bench-poll: only section 2 of bench/RESULTS.md (one cold poll against a bare boto3 call)
bench-poll: install
	$(PY) -m bench.run poll

## bench-throttling: only section 6 of bench/RESULTS.md (40 images and 10 bundles at 1 call/s)
bench-throttling: install
	$(PY) -m bench.run throttling

## synth: the example app's template, for a given source WorkSpace
synth: install
	$(CDK) synth -c workspace_id=$(or $(WORKSPACE_ID),ws-0123456789)

## upgrade: refresh the locks on purpose (edit the pins in requirements-dev.in first), then make model pins test
upgrade:
	rm -rf .upgrade-venv
	$(PYTHON) -m venv .upgrade-venv
	.upgrade-venv/bin/pip install $(PIP_QUIET) pip-tools
	.upgrade-venv/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	  --no-emit-index-url --no-emit-find-links --no-emit-trusted-host \
	  --output-file requirements-dev.lock requirements-dev.in
	for major in 2 3; do \
	  version=$$(sed -n 's/^cdk-nag==\([^ ]*\).*/\1/p' requirements-nag$$major.txt); \
	  dir=$$(mktemp -d); .upgrade-venv/bin/pip download $(PIP_QUIET) --no-deps -d $$dir cdk-nag==$$version; \
	  hash=$$(.upgrade-venv/bin/pip hash $$dir/* | sed -n 's/^--hash=//p'); \
	  sed -i "s/--hash=sha256:[0-9a-f]*/--hash=$$hash/" requirements-nag$$major.txt; \
	done
	for version in $(RUNTIME_SDKS); do \
	  printf 'boto3==%s\nbotocore==%s\n' $$version $$version \
	  | .upgrade-venv/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	    --no-emit-index-url --no-emit-find-links --no-emit-trusted-host \
	    --output-file requirements-sdk-$$version.txt - || exit 1; \
	done
	rm -rf .upgrade-venv
	npm install --no-audit --no-fund

clean:
	rm -rf $(VENV) node_modules cdk.out build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache
