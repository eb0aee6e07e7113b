"""Helpers shared by tests of several layers (fixtures live in conftest.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pipeline.settings import REFERENCE_DIR
from pipeline.warehouse import BuildReport, build

KT = "kon-tum-2024-health-strategy-plan"  # the seed with a corrections file


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def quiet_build(raw: Path, out: Path, cache: Path, **kw) -> BuildReport:
    """A build that prints nothing."""
    return build(raw, REFERENCE_DIR, out, log=lambda _m: None, cache_dir=cache, **kw)


PUBLISHED_SUFFIXES = (".duckdb", ".parquet", ".json")


def published(out: Path) -> dict[str, str]:
    """The published warehouse as a reader sees it: every stable name and its content's hash."""
    return {
        p.name: sha(p)
        for p in sorted(out.iterdir())
        if p.name.endswith(PUBLISHED_SUFFIXES) and p.exists()
    }
