"""Warehouse layer: load every table into a staged DuckDB file, validate it, then swap it in.

The schema below is public API (docs/warehouse.md): columns are only ever added. A build that
fails anywhere leaves the previous ``warehouse.duckdb`` and its Parquet files untouched; readers
holding a read-only connection keep their snapshot (the swap is a rename of a new file).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from pipeline import __version__
from pipeline.harmonise import observation_frame, unmapped_frame
from pipeline.raw import RAW_DIR, Source, discover
from pipeline.reference import (
    REFERENCE_DIR,
    GeoResolver,
    geo_2025_table,
    geo_table,
    indicator_table,
    load_catalog,
    unit_table,
)
from pipeline.staging import EXTRACTOR_VERSION

ROOT = Path(__file__).resolve().parent.parent
CURATED_DIR = ROOT / "data" / "curated"
WAREHOUSE_NAME = "warehouse.duckdb"

SCHEMA = """
CREATE TABLE geo (
  geo_code VARCHAR, name_vi VARCHAR, name_en VARCHAR, level VARCHAR, parent_code VARCHAR,
  region_vi VARCHAR, region_en VARCHAR, successor_code_2025 VARCHAR, successor_name_2025 VARCHAR,
  full_name_vi VARCHAR, full_name_en VARCHAR, kind VARCHAR);
CREATE TABLE geo_2025 (
  code VARCHAR, name_vi VARCHAR, name_en VARCHAR, kind VARCHAR, full_name_vi VARCHAR,
  full_name_en VARCHAR);
CREATE TABLE unit (
  unit_code VARCHAR, symbol VARCHAR, name_vi VARCHAR, name_en VARCHAR, per INTEGER, kind VARCHAR);
CREATE TABLE indicator (
  indicator_code VARCHAR, name_vi VARCHAR, name_en VARCHAR, domain VARCHAR, unit_code VARCHAR,
  direction VARCHAR, definition VARCHAR, sdg_code VARCHAR, min_plausible DOUBLE,
  max_plausible DOUBLE, aliases_vi VARCHAR);
CREATE TABLE source_document (
  source_id VARCHAR, geo_code VARCHAR, title VARCHAR, issuer VARCHAR,
  issued_on VARCHAR, doc_number VARCHAR, url VARCHAR, file_name VARCHAR, sha256 VARCHAR,
  n_lines INTEGER, title_en VARCHAR, default_year INTEGER, layouts VARCHAR[],
  n_corrections INTEGER, extractor_version VARCHAR);
CREATE TABLE observation (
  observation_id VARCHAR, source_id VARCHAR, geo_code VARCHAR, indicator_code VARCHAR,
  year INTEGER, kind VARCHAR, is_estimate BOOLEAN, comparator VARCHAR, value DOUBLE,
  unit_code VARCHAR, value_reported VARCHAR, unit_reported VARCHAR, label_reported VARCHAR,
  line_start INTEGER, line_end INTEGER, quote VARCHAR, condition VARCHAR, flags VARCHAR[],
  flag_detail VARCHAR, value_upper DOUBLE, reader VARCHAR, correction_ids VARCHAR[]);
CREATE TABLE unmapped (
  source_id VARCHAR, line_start INTEGER, line_end INTEGER, text VARCHAR, reason VARCHAR,
  reason_code VARCHAR);
CREATE TABLE correction (
  correction_id VARCHAR, source_id VARCHAR, action VARCHAR, reason VARCHAR, quote VARCHAR,
  status VARCHAR, n_observations INTEGER);
CREATE TABLE build_info (
  built_at TIMESTAMP, git_commit VARCHAR, package_version VARCHAR, n_sources INTEGER,
  n_observations INTEGER, n_unmapped INTEGER, extractor_version VARCHAR, catalog_hash VARCHAR,
  n_indicators INTEGER, duckdb_version VARCHAR, python_version VARCHAR,
  build_seconds DOUBLE, validation_seconds DOUBLE, n_extracted INTEGER, n_cached INTEGER);
CREATE TABLE validation_result (
  suite VARCHAR, expectation VARCHAR, severity VARCHAR, success BOOLEAN, n_unexpected INTEGER,
  details VARCHAR);
"""

TABLES = [
    "geo",
    "geo_2025",
    "unit",
    "indicator",
    "source_document",
    "observation",
    "unmapped",
    "correction",
    "build_info",
    "validation_result",
]


class BuildError(RuntimeError):
    """The build stopped; the previous warehouse is untouched."""


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


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def source_table(sources: list[Source], layouts: dict[str, list[str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "source_id": s.source_id,
                "geo_code": s.geo_code,
                "title": " ".join(str(s.meta["title"]).split()),
                "title_en": s.meta.get("title_en"),
                "issuer": s.meta.get("issuer"),
                "issued_on": s.meta.get("issued_on"),
                "doc_number": s.meta.get("doc_number"),
                "url": s.meta.get("url"),
                "file_name": s.path.name,
                "sha256": s.sha256,
                "n_lines": s.n_lines,
                "default_year": s.meta.get("default_year"),
                "layouts": sorted(set(layouts.get(s.source_id, []))),
                "n_corrections": len(s.corrections),
                "extractor_version": EXTRACTOR_VERSION,
            }
            for s in sources
        ]
    ).astype({"default_year": "Int64"})


def correction_table(sources: list[Source], obs: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for s in sources:
        for c in s.corrections:
            n = int(
                sum(
                    str(c["id"]) in ids
                    for ids in obs.loc[obs["source_id"] == s.source_id, "correction_ids"]
                )
            )
            rows.append(
                {
                    "correction_id": str(c["id"]),
                    "source_id": s.source_id,
                    "action": c["action"],
                    "reason": c["reason"],
                    "quote": c["quote"],
                    "status": c.get("status", "active"),
                    "n_observations": n,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "correction_id",
            "source_id",
            "action",
            "reason",
            "quote",
            "status",
            "n_observations",
        ],
    )


def _load(con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame) -> None:
    cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    df = df.reindex(columns=cols)
    con.register("_df", df)
    con.execute(f"INSERT INTO {table} SELECT {', '.join(cols)} FROM _df")
    con.unregister("_df")


def build(
    raw_dir: Path = RAW_DIR,
    reference_dir: Path = REFERENCE_DIR,
    out_dir: Path = CURATED_DIR,
    *,
    validate: bool = True,
    log: Callable[[str], None] = print,
    cache_dir: Path | None = None,
    workers: int | None = None,
    _fail_after_load: bool = False,
    _tamper: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> BuildReport:
    """Build the warehouse from ``raw_dir`` into ``out_dir``; atomic."""
    from pipeline import extract as extract_mod  # per-document extraction with its cache
    from pipeline import validate as validate_mod  # cheap: Great Expectations loads on demand

    t0 = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    catalog = load_catalog(reference_dir)
    geo = geo_table(reference_dir)
    sources = discover(raw_dir, GeoResolver(geo))
    log(
        f"chitieu build: {len(sources)} documents, "
        f"{len(catalog.indicators)} indicators in the catalog"
    )
    results = extract_mod.extract_all(
        sources, reference_dir, catalog, cache_dir=cache_dir, workers=workers
    )
    obs_records: list[tuple] = []
    unm_records: list[tuple] = []
    layouts, per_source = {}, []
    for s, res in zip(sources, results, strict=True):
        obs_records.extend(res.observation_records)
        unm_records.extend(res.unmapped_records)
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
    obs, unm = observation_frame(obs_records), unmapped_frame(unm_records)
    n_cached = sum(1 for r in results if r.cached)
    width = max(len(p["source_id"]) for p in per_source)
    for p in per_source:
        log(
            f"  {p['source_id']:<{width}}  {p['observations']:>4} observations"
            f"  {p['unmapped']:>3} unmapped  {p['corrections']} corrections"
            f"  [{p['layouts'] or '-'}]{'  (cached)' if p['cached'] else ''}"
        )

    fd, tmp_name = tempfile.mkstemp(prefix=".warehouse-", suffix=".duckdb.tmp", dir=out_dir)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    parquet_tmp = Path(tempfile.mkdtemp(prefix=".parquet-", dir=out_dir))
    try:
        con = duckdb.connect(str(tmp))
        try:
            con.execute(SCHEMA)
            _load(con, "geo", geo)
            _load(con, "geo_2025", geo_2025_table(reference_dir))
            _load(con, "unit", unit_table(catalog))
            _load(con, "indicator", indicator_table(catalog))
            _load(con, "source_document", source_table(sources, layouts))
            _load(con, "observation", obs)
            _load(con, "unmapped", unm)
            _load(con, "correction", correction_table(sources, obs))
            if _tamper is not None:  # tests inject defects here to prove the gate catches them
                _tamper(con)
            from pipeline import marts

            marts.create_views(con)
            if _fail_after_load:
                raise BuildError("simulated failure after loading (test hook)")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        validation_seconds = 0.0
        warnings: list[dict] = []
        if validate:
            tv = time.perf_counter()
            log("  validating with Great Expectations ...")
            outcome = validate_mod.validate_warehouse(tmp, raw_dir)
            validation_seconds = time.perf_counter() - tv
            warnings = [
                r for r in outcome.results if r["severity"] == "warning" and not r["success"]
            ]
            con = duckdb.connect(str(tmp))
            try:
                _load(con, "validation_result", pd.DataFrame(outcome.results))
            finally:
                con.close()
            if outcome.errors:
                raise BuildError(outcome.summary())
            for w in warnings:
                log(
                    f"  warning: {w['suite']}: {w['expectation']}: "
                    f"{w['n_unexpected']} rows — {w['details'][:160]}"
                )
            log(
                f"  quality gate: {len(outcome.results)} expectations, 0 errors, "
                f"{len(warnings)} warnings ({validation_seconds:.1f} s)"
            )
        seconds = time.perf_counter() - t0
        con = duckdb.connect(str(tmp))
        try:
            info = pd.DataFrame(
                [
                    {
                        "built_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
                        "git_commit": _git_commit(),
                        "package_version": __version__,
                        "extractor_version": EXTRACTOR_VERSION,
                        "catalog_hash": catalog.hash,
                        "n_sources": len(sources),
                        "n_observations": len(obs),
                        "n_unmapped": len(unm),
                        "n_indicators": len(catalog.indicators),
                        "duckdb_version": duckdb.__version__,
                        "python_version": platform.python_version(),
                        "build_seconds": seconds,
                        "validation_seconds": validation_seconds,
                        "n_extracted": len(sources) - n_cached,
                        "n_cached": n_cached,
                    }
                ]
            )
            _load(con, "build_info", info)
            for table in TABLES:
                con.execute(
                    f"COPY {table} TO '{parquet_tmp / (table + '.parquet')}' (FORMAT parquet)"
                )
            con.execute("CHECKPOINT")
        finally:
            con.close()
        final = out_dir / WAREHOUSE_NAME
        os.replace(tmp, final)
        for f in parquet_tmp.glob("*.parquet"):
            os.replace(f, out_dir / f.name)
        (out_dir / "build_report.json").write_text(
            json.dumps(
                {
                    "n_sources": len(sources),
                    "n_observations": len(obs),
                    "n_unmapped": len(unm),
                    "per_source": per_source,
                    "seconds": round(seconds, 3),
                },
                indent=2,
            ),
            encoding="utf-8",
        )
        log(f"  {len(obs)} observations, {len(unm)} unmapped lines -> {final} ({seconds:.1f} s)")
        return BuildReport(
            final,
            len(sources),
            len(obs),
            len(unm),
            seconds,
            validation_seconds,
            per_source,
            warnings,
            len(sources) - n_cached,
            n_cached,
        )
    finally:
        for p in (tmp, Path(str(tmp) + ".wal")):
            if p.exists():
                p.unlink()
        shutil.rmtree(parquet_tmp, ignore_errors=True)


def connect(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """Read-only connection to the built warehouse (what notebooks and the CLI use)."""
    path = path or Path(os.environ.get("CHITIEU_WAREHOUSE", CURATED_DIR / WAREHOUSE_NAME))
    if not Path(path).exists():
        raise FileNotFoundError(f"{path} does not exist yet: run `make build`")
    return duckdb.connect(str(path), read_only=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use: python -m pipeline build")
