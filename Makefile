# chitieu — the front door. `make build` and `make test` are all a fresh clone needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
WAREHOUSE := data/curated/warehouse.duckdb
# names and hashes of everything in data/raw, rewritten only when they change (see below)
MANIFEST  := data/curated/.raw-manifest

# Everything the warehouse is derived from: raw documents and sidecars (through the manifest),
# reference data, expectation suites and the package itself. A change to any of them rebuilds;
# nothing else does.
BUILD_INPUTS := $(MANIFEST) $(wildcard data/reference/*) \
                $(wildcard expectations/*.json) pyproject.toml \
                $(shell find pipeline -type f -not -path '*/__pycache__/*')

.PHONY: build bytecode test lint docs notebooks lab sql bench clean lock help FORCE

# The warehouse is a symlink into the build that published it (data/curated/current): make must
# never delete it, even when a build is interrupted after publishing.
.PRECIOUS: $(WAREHOUSE) $(MANIFEST)

help:
	@echo "make build      create .venv (first use) and build $(WAREHOUSE) + Parquet"
	@echo "make test       build, then run the test suite (unit, integration, notebooks)"
	@echo "make docs       render Great Expectations Data Docs to reports/data-docs/"
	@echo "make notebooks  execute notebooks in place, export figures and HTML to reports/"
	@echo "make lab        JupyterLab on notebooks/ (LAB_ARGS=\"--ip=0.0.0.0 --no-browser\" in a container)"
	@echo "make sql Q=\"select ...\" [ARGS=--csv|--json]   a read-only query, result on stdout"
	@echo "make bench      synthetic 100 / 1,000-document benchmark, every layout (SIZES=\"1000 10000\")"
	@echo "make lint       ruff"
	@echo "make clean      remove build outputs (keeps .venv)"

# The venv is created from the lock file (exact versions the project was tested with),
# then the package itself is installed editable without touching those pins.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

build: $(WAREHOUSE)

# make compares times, so it cannot see a document deleted, renamed or copied in with its old
# time. The manifest lists data/raw by name and content hash; it is recomputed on every
# `make build` but rewritten only when it changed, so it is newer than the warehouse exactly
# when data/raw changed since the last build. (It also keeps file names with spaces out of
# make's prerequisites: the build then names them.)
$(MANIFEST): $(STAMP) FORCE
	@$(BIN)/python -m pipeline.sources.manifest $@

# Bytecode of the package (and the tests, benchmarks) kept beside it in __pycache__, which git
# ignores. A machine may set PYTHONDONTWRITEBYTECODE; Python then compiles pipeline/ again in
# every process that imports it (0.1 s each: a notebook kernel, each `chitieu` run, each process
# a test starts). compileall writes whatever the variable says, and only what changed. Only an
# optimisation: where it cannot write, the build goes on (and reports a broken file itself).
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q $(wildcard pipeline benchmarks tests) >/dev/null 2>&1 || true

# BUILD_FLAGS: e.g. --no-validate (debugging only)
$(WAREHOUSE): $(STAMP) $(BUILD_INPUTS) | bytecode
	$(BIN)/python -m pipeline build $(BUILD_FLAGS)

# Two workers (pytest-xdist; the CI machine has two cores), handed a test or two at a time so
# that slow tests (started first) and quick ones balance; expensive read-only fixtures are
# built once per run (tests/conftest.py). PYTEST_ARGS="-n 0" runs in one process.
PYTEST_ARGS ?= -n 2 --maxschedchunk 2
test: build
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check pipeline tests benchmarks
	$(BIN)/ruff format --check pipeline tests benchmarks

docs: build
	$(BIN)/python -m pipeline docs

notebooks: build
	$(BIN)/python -m pipeline notebooks

# JupyterLab refuses to start as root (as in most containers) unless told to; a user needs no flag.
LAB_USER_ID ?= $(shell id -u)
lab: build
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(LAB_USER_ID)),--allow-root) $(LAB_ARGS)

# make sql Q="select ..." [ARGS=--csv|--json]: the build (if anything changed) logs to stderr,
# so stdout holds the result only. Q is read from the environment: quote it for the shell only.
sql: $(STAMP)
	@test -n "$$Q" || { echo 'usage: make sql Q="select ..." [ARGS=--csv|--json]' >&2; exit 2; }
	@$(MAKE) --no-print-directory build >&2
	@$(BIN)/chitieu sql "$$Q" $(ARGS)

# make bench SIZES="1000 10000" measures other corpus sizes
bench: $(STAMP)
	$(BIN)/python -m benchmarks $(if $(SIZES),--sizes $(SIZES))

# Regenerate the lock from pyproject in a throwaway venv (needs the package registry).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip setuptools wheel
	.lock-venv/bin/python -m pip install --quiet .
	.lock-venv/bin/python -m pip freeze --all --exclude chitieu > requirements.lock
	rm -rf .lock-venv

# Build outputs: every build folder, the symlinks to the current one, the manifest, leftovers of
# interrupted builds (of this layout and the one before), the extraction cache, Data Docs.
clean:
	rm -rf data/curated/builds data/curated/current data/curated/*.duckdb data/curated/*.parquet data/curated/*.arrow \
	       data/curated/build_report.json data/curated/.raw-manifest* data/curated/.*.link.* \
	       data/curated/.warehouse-*.duckdb.tmp* data/curated/.parquet-* data/curated/*.tmp* \
	       .cache reports/data-docs
	find . -name __pycache__ -prune -exec rm -rf {} +
