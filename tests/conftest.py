"""Shared fixtures: real DuckDB warehouses built from real (or synthetic) documents.

`make test` runs the suite in parallel (pytest-xdist, ``-n 2 --maxschedchunk 2``). What is
expensive to build and only read is built once per run, not once per worker: see
:func:`shared_folder`. Tests that change a warehouse work on their own copy.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from pipeline.settings import RAW_DIR, REFERENCE_DIR
from pipeline.warehouse import build


def _import_jsonschema_without_iri_grammars() -> None:
    """jsonschema (which nbformat and GX import) compiles 38 Lark grammars at import to check
    IRIs, 1.5 s in every test process; nothing here checks IRIs. As in pipeline.quality.gx,
    the grammars are left out (the nbmake plugin, which would import them first, is off:
    ``-p no:nbmake`` in pyproject's addopts)."""
    if "jsonschema" in sys.modules or "rfc3987_syntax" in sys.modules:
        return
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # `import` raises
    try:
        import jsonschema  # noqa: F401
    finally:
        del sys.modules["rfc3987_syntax"]


_import_jsonschema_without_iri_grammars()


def shared_folder(factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """A folder ``make`` fills once per test run, shared by all xdist workers (a plain run
    makes its own). Whoever comes first makes it under a lock; the others wait and reuse it.
    Use it for what tests only read: a test that writes must copy it first."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        folder = factory.mktemp(name)
        make(folder)
        return folder
    root = factory.getbasetemp().parent  # the run's temporary folder, one per `pytest -n`
    folder, done = root / name, root / f"{name}.done"
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a failed attempt left
            folder.mkdir()
            make(folder)
            done.touch()
    return folder


def _quiet(raw: Path, out: Path, cache: Path, **kw) -> None:
    build(raw, REFERENCE_DIR, out, log=lambda _m: None, cache_dir=cache, **kw)


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The five seed documents built into a private warehouse (validated), once per run.

    Shared by every test (and every worker): open it read-only; copy it to change it."""

    def make(folder: Path) -> None:
        _quiet(RAW_DIR, folder / "curated", folder / "cache")

    return shared_folder(tmp_path_factory, "seed-build", make) / "curated" / "warehouse.duckdb"


@pytest.fixture()
def checkout_make(tmp_path_factory: pytest.TempPathFactory):
    """Held by tests that run a `make` target which first builds the checkout's own warehouse
    (`make sql`, `make lab`): under xdist two of them at once, on a checkout whose warehouse is
    out of date, would be two builds of data/curated, and the second would stop ("another
    build is writing")."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    with (root / "checkout-make.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture()
def con(seed_build: Path):
    c = duckdb.connect(str(seed_build), read_only=True)
    yield c
    c.close()


@pytest.fixture()
def raw_copy(tmp_path: Path) -> Path:
    """A writable copy of data/raw for tests that add or break documents."""
    dst = tmp_path / "raw"
    shutil.copytree(RAW_DIR, dst)
    return dst


@pytest.fixture(scope="session")
def good_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of data/raw built without the gate (``raw``, ``curated``, ``cache``): what
    :func:`good` copies, so that each test starts from a published build without building."""

    def make(folder: Path) -> None:
        shutil.copytree(RAW_DIR, folder / "raw")
        _quiet(folder / "raw", folder / "curated", folder / "cache", validate=False)

    return shared_folder(tmp_path_factory, "good", make)


@pytest.fixture()
def good(tmp_path: Path, raw_copy: Path, good_template: Path):
    """A warehouse built from a copy of the seeds, plus its hash: the 'previous' warehouse.

    ``raw_copy``, and the test's own copy of :func:`good_template`'s output folder and warm
    extraction cache (symlinks and times kept): the raw folder, the output folder, the cache,
    the warehouse and its hash."""
    from tests.helpers import sha

    out, cache = tmp_path / "curated", tmp_path / "cache"
    shutil.copytree(good_template / "curated", out, symlinks=True)
    shutil.copytree(good_template / "cache", cache, symlinks=True)
    wh = out / "warehouse.duckdb"
    return raw_copy, out, cache, wh, sha(wh)


@pytest.fixture(scope="session")
def templates_pickle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The benchmark corpus's templates (``benchmarks.corpus.load_templates()``: every seed and
    statistics page analysed, and each of its variants extracted to check it, ~5 CPU-seconds),
    made once per run and pickled for every worker."""

    def make(folder: Path) -> None:
        from benchmarks.corpus import load_templates

        (folder / "templates.pickle").write_bytes(pickle.dumps(load_templates()))

    return shared_folder(tmp_path_factory, "templates", make) / "templates.pickle"


@pytest.fixture()
def bench_templates(templates_pickle: Path) -> list:
    """The templates of :func:`templates_pickle`, a fresh copy for each test: what
    ``generate_corpus(..., templates=bench_templates)`` draws from."""
    return pickle.loads(templates_pickle.read_bytes())


# ------------------------------------------------------------------------- parallel runs


def _seconds(item: pytest.Item) -> float:
    """What a test marked ``slow`` takes, about (``slow(seconds=…)``; 5 unless it says)."""
    slow = item.get_closest_marker("slow")
    return 0 if slow is None else slow.kwargs.get("seconds", 5)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under xdist, tests marked ``slow`` (a notebook, a large build: seconds each) are handed
    out first, the longest first, so that the many quick tests fill the gaps at the end instead
    of one long test finishing alone. (Each worker starts with two tests: the first two, which
    build the incremental corpus, and the next two, which need only the seed warehouse, never
    wait for each other's fixtures.)"""
    if os.environ.get("PYTEST_XDIST_WORKER"):  # every worker sorts alike: xdist checks it
        items.sort(key=lambda item: -_seconds(item))
