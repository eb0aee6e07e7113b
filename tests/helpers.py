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


PUBLISHED_SUFFIXES = (".duckdb", ".parquet", ".arrow", ".json")


def published(out: Path) -> dict[str, str]:
    """The published warehouse as a reader sees it: every stable name and its content's hash."""
    return {
        p.name: sha(p)
        for p in sorted(out.iterdir())
        if p.name.endswith(PUBLISHED_SUFFIXES) and p.exists()
    }


def consistent(out: Path) -> str:
    """Check that the warehouse and its Parquet files come from one build; its build id.

    The build id in the warehouse's ``build_info``, in ``build_info.parquet``, in the build
    report and the name of the current build folder agree, and every table has as many rows in
    the warehouse as in its Parquet file.
    """
    import json

    import duckdb

    from pipeline.warehouse.schema import TABLES

    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    try:
        build_id = con.execute("SELECT build_id FROM build_info").fetchone()[0]
        mem = duckdb.connect()
        parquet_id = mem.execute(f"SELECT build_id FROM '{out / 'build_info.parquet'}'").fetchone()[
            0
        ]
        assert parquet_id == build_id
        for table in TABLES:
            n = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            m = mem.execute(f"SELECT count(*) FROM '{out / f'{table}.parquet'}'").fetchone()[0]
            assert n == m, table
    finally:
        con.close()
    report = json.loads((out / "build_report.json").read_text(encoding="utf-8"))
    assert report["build_id"] == build_id
    assert (out / "current").resolve().name == build_id
    return build_id


def synthetic_corpus(
    n: int, raw: Path, every: int = 100, templates: list | None = None
) -> list[str]:
    """``n`` synthetic documents (``benchmarks.corpus``, from ``templates``: the conftest's
    ``bench_templates``, else loaded here) in ``raw``, every ``every``-th with a corrections
    file overriding one figure: 1 % of the documents by default, each of them carrying one
    corrected row after many without. Returns the corrected source ids."""
    import yaml

    from benchmarks.corpus import generate_corpus
    from pipeline.extract import extract_one
    from pipeline.reference import GeoResolver, load_catalog
    from pipeline.sources import discover

    corpus = generate_corpus(n, raw, templates=templates)
    catalog = load_catalog(REFERENCE_DIR)
    sources = {s.source_id: s for s in discover(raw, GeoResolver.of(REFERENCE_DIR))}
    corrected = []
    for doc in corpus.documents[every - 1 :: every]:
        s = sources[doc.source_id]
        obs = extract_one(s, REFERENCE_DIR, catalog).observations
        r = obs[obs["value"].notna()].iloc[-1]
        fix = {
            "id": f"{s.source_id}-fix",
            "quote": r["quote"],
            "match": {"indicator": r["indicator_code"], "year": str(r["year"]), "kind": r["kind"]},
            "action": "override",
            "set": {"value": str(r["value"])},
            "reason": "synthetic: the printed figure is restated as itself",
        }
        (raw / f"{s.source_id}.corrections.yaml").write_text(
            yaml.safe_dump({"corrections": [fix]}, allow_unicode=True), encoding="utf-8"
        )
        corrected.append(s.source_id)
    return corrected
