"""Shared fixtures: real DuckDB warehouses built from real (or synthetic) documents."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipeline.settings import RAW_DIR, REFERENCE_DIR
from pipeline.warehouse import build


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The five seed documents built into a private warehouse (validated), once per session."""
    out = tmp_path_factory.mktemp("curated")
    cache = tmp_path_factory.mktemp("cache")
    build(RAW_DIR, REFERENCE_DIR, out, log=lambda _m: None, cache_dir=cache)
    return out / "warehouse.duckdb"


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


@pytest.fixture()
def good(tmp_path: Path, raw_copy: Path):
    """A warehouse built from a copy of the seeds, plus its hash: the 'previous' warehouse."""
    from tests.helpers import quiet_build, sha

    out, cache = tmp_path / "curated", tmp_path / "cache"
    quiet_build(raw_copy, out, cache, validate=False)
    wh = out / "warehouse.duckdb"
    return raw_copy, out, cache, wh, sha(wh)
