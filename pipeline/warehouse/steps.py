"""Warehouse layer: a build in four steps, each a function so that tests can step in between.

``stage`` extracts every document and loads a temporary DuckDB file; ``gate`` runs the quality
gate on it; ``record`` writes build information and the Parquet exports beside it; ``publish``
swaps it in. ``build`` runs all four. A build that stops anywhere leaves the previous
``warehouse.duckdb`` and its Parquet files untouched; readers holding a read-only connection
keep their snapshot (the swap is a rename of a new file).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from pipeline import extract, marts
from pipeline.errors import BuildError
from pipeline.extract import DocResult
from pipeline.extract import run as extract_run
from pipeline.harmonise import OBSERVATION_COLUMNS, UNMAPPED_COLUMNS
from pipeline.quality import validate_warehouse
from pipeline.reference import (
    Catalog,
    GeoResolver,
    geo_2025_table,
    geo_table,
    indicator_table,
    load_catalog,
    unit_table,
)
from pipeline.settings import CURATED_DIR, RAW_DIR, REFERENCE_DIR, WAREHOUSE_NAME
from pipeline.sources import Source, discover
from pipeline.warehouse.schema import SCHEMA, TABLES
from pipeline.warehouse.tables import (
    build_info_table,
    correction_table,
    load,
    load_records,
    source_table,
)

Log = Callable[[str], None]


@dataclass
class BuildReport:
    warehouse: Path
    n_sources: int
    n_observations: int
    n_unmapped: int
    seconds: float
    validation_seconds: float
    per_source: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    n_extracted: int = 0
    n_cached: int = 0


@dataclass
class Staged:
    """A warehouse being built: a temporary DuckDB file and Parquet folder, not yet published."""

    path: Path
    parquet_dir: Path
    out_dir: Path
    raw_dir: Path
    sources: list[Source]
    catalog: Catalog
    per_source: list[dict]
    n_observations: int
    n_unmapped: int
    n_cached: int
    started: float
    log: Log = print
    validation_seconds: float = 0.0
    warnings: list[dict] = field(default_factory=list)

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.path), read_only=read_only)

    def discard(self) -> None:
        """Remove what is left of the staged files (after publishing, nothing is)."""
        for p in (self.path, Path(str(self.path) + ".wal")):
            p.unlink(missing_ok=True)
        shutil.rmtree(self.parquet_dir, ignore_errors=True)

    def report(self) -> BuildReport:
        return BuildReport(
            self.out_dir / WAREHOUSE_NAME,
            len(self.sources),
            self.n_observations,
            self.n_unmapped,
            time.perf_counter() - self.started,
            self.validation_seconds,
            self.per_source,
            self.warnings,
            len(self.sources) - self.n_cached,
            self.n_cached,
        )


def _correction_counts(sources: list[Source], results: list[DocResult]) -> Counter[tuple[str, str]]:
    ids = OBSERVATION_COLUMNS.index("correction_ids")
    counts: Counter[tuple[str, str]] = Counter()
    for s, res in zip(sources, results, strict=True):
        if s.corrections:
            for rec in res.observation_records:
                counts.update((s.source_id, c) for c in set(rec[ids]))
    return counts


def _source_line(p: dict, width: int) -> str:
    return (
        f"  {p['source_id']:<{width}}  {p['observations']:>4} observations"
        f"  {p['unmapped']:>3} unmapped  {p['corrections']} corrections"
        f"  [{p['layouts'] or '-'}]{'  (cached)' if p['cached'] else ''}"
    )


def _staged_paths(out_dir: Path) -> tuple[Path, Path]:
    fd, name = tempfile.mkstemp(prefix=".warehouse-", suffix=".duckdb.tmp", dir=out_dir)
    os.close(fd)
    Path(name).unlink()  # DuckDB creates the file itself
    return Path(name), Path(tempfile.mkdtemp(prefix=".parquet-", dir=out_dir))


def stage(
    raw_dir: Path = RAW_DIR,
    reference_dir: Path = REFERENCE_DIR,
    out_dir: Path = CURATED_DIR,
    *,
    log: Log = print,
    cache_dir: Path | None = None,
    workers: int | None = None,
) -> Staged:
    """Extract every document and load the tables and marts into a temporary DuckDB file."""
    t0 = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    catalog = load_catalog(reference_dir)
    geo = geo_table(reference_dir)
    sources = discover(raw_dir, GeoResolver.of(reference_dir, geo))
    log(
        f"chitieu build: {len(sources)} documents, "
        f"{len(catalog.indicators)} indicators in the catalog"
    )
    for note in (n for s in sources for n in s.notes):
        log(f"  note: {note}")
    results = extract.extract_all(
        sources, reference_dir, catalog, cache_dir=cache_dir, workers=workers, log=log
    )
    layouts, per_source = {}, []
    for s, res in zip(sources, results, strict=True):
        layouts[s.source_id] = res.layouts
        per_source.append(
            {
                "source_id": s.source_id,
                "observations": len(res.observation_records),
                "unmapped": len(res.unmapped_records),
                "layouts": ",".join(sorted(set(res.layouts))),
                "corrections": len(s.corrections),
                "cached": res.cached,
            }
        )
    width = max(len(p["source_id"]) for p in per_source)
    for p in per_source:
        log(_source_line(p, width))
    path, parquet_dir = _staged_paths(out_dir)
    staged = Staged(
        path,
        parquet_dir,
        out_dir,
        raw_dir,
        sources,
        catalog,
        per_source,
        sum(p["observations"] for p in per_source),
        sum(p["unmapped"] for p in per_source),
        sum(1 for r in results if r.cached),
        t0,
        log,
    )
    try:
        with staged.connect() as con:
            con.execute(SCHEMA)
            load(con, "geo", geo)
            load(con, "geo_2025", geo_2025_table(reference_dir))
            load(con, "unit", unit_table(catalog))
            load(con, "indicator", indicator_table(catalog))
            load(con, "source_document", source_table(sources, layouts))
            obs = (r.observation_records for r in results)  # one document at a time
            load_records(con, "observation", OBSERVATION_COLUMNS, obs)
            load_records(con, "unmapped", UNMAPPED_COLUMNS, (r.unmapped_records for r in results))
            counts = _correction_counts(sources, results)
            load(con, "correction", correction_table(sources, counts))
            marts.create_views(con)
            con.execute("CHECKPOINT")
    except BaseException:
        staged.discard()
        raise
    return staged


def gate(staged: Staged) -> None:
    """Run the quality gate on the staged file and record its results; stop on an error."""
    log = staged.log
    tv = time.perf_counter()
    log("  validating with Great Expectations ...")
    outcome = validate_warehouse(staged.path, staged.raw_dir)
    staged.validation_seconds = time.perf_counter() - tv
    staged.warnings = outcome.warnings
    with staged.connect() as con:
        load(con, "validation_result", pd.DataFrame(outcome.results))
    if outcome.errors:
        raise BuildError(outcome.summary())
    for w in staged.warnings:
        log(
            f"  warning: {w['suite']}: {w['expectation']}: "
            f"{w['n_unexpected']} rows — {w['details'][:160]}"
        )
    log(
        f"  quality gate: {len(outcome.results)} expectations, 0 errors, "
        f"{len(staged.warnings)} warnings ({staged.validation_seconds:.1f} s)"
    )


def record(staged: Staged) -> None:
    """Write `build_info` and export every table to Parquet beside the staged file."""
    stats = extract_run.last_stats
    info = build_info_table(
        catalog_hash=staged.catalog.hash,
        n_sources=len(staged.sources),
        n_observations=staged.n_observations,
        n_unmapped=staged.n_unmapped,
        n_indicators=len(staged.catalog.indicators),
        build_seconds=time.perf_counter() - staged.started,
        validation_seconds=staged.validation_seconds,
        n_extracted=stats.n_extracted,
        n_cached=stats.n_cached,
    )
    with staged.connect() as con:
        load(con, "build_info", info)
        for table in TABLES:
            target = staged.parquet_dir / f"{table}.parquet"
            con.execute(f"COPY {table} TO '{target}' (FORMAT parquet)")
        con.execute("CHECKPOINT")


def publish(staged: Staged) -> Path:
    """Swap the staged warehouse and its exports in; returns the warehouse's path."""
    final = staged.out_dir / WAREHOUSE_NAME
    os.replace(staged.path, final)
    for f in staged.parquet_dir.glob("*.parquet"):
        os.replace(f, staged.out_dir / f.name)
    seconds = time.perf_counter() - staged.started
    (staged.out_dir / "build_report.json").write_text(
        json.dumps(
            {
                "n_sources": len(staged.sources),
                "n_observations": staged.n_observations,
                "n_unmapped": staged.n_unmapped,
                "per_source": staged.per_source,
                "seconds": round(seconds, 3),
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    staged.log(
        f"  {staged.n_observations} observations, {staged.n_unmapped} unmapped lines "
        f"-> {final} ({seconds:.1f} s)"
    )
    return final


def build(*folders: Path, validate: bool = True, **options: object) -> BuildReport:
    """Build the warehouse: stage, gate, record, publish.

    ``folders`` and ``options`` are those of :func:`stage` (raw, reference and output folders;
    ``log``, ``cache_dir``, ``workers``); ``validate=False`` skips the gate (debugging only).
    """
    staged = stage(*folders, **options)
    try:
        if validate:
            gate(staged)
        record(staged)
        publish(staged)
        return staged.report()
    finally:
        staged.discard()
