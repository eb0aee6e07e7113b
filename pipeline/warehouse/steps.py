"""Warehouse layer: a build in four steps, each a function so that tests can step in between.

``stage`` extracts every document and loads a new DuckDB file in a build folder of its own;
``gate`` runs the quality gate on it; ``record`` writes build information, the Parquet exports
and the build report beside it; ``publish`` makes that folder current with one atomic switch
(``pipeline.warehouse.builds``). ``build`` runs all four. A build that stops anywhere, however
it stops, leaves the published warehouse and its Parquet files untouched; readers holding a
read-only connection keep their snapshot. Each step says in the log when it starts, so a
watcher (and the fault tests) can tell where a build is.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

import pipeline.warehouse.builds as publishing
from pipeline import extract, marts, settings
from pipeline.errors import BuildError, Interrupted, OutputError
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
from pipeline.settings import CURATED_DIR, RAW_DIR, REFERENCE_DIR, WAREHOUSE_NAME, relative
from pipeline.sources import Source, discover
from pipeline.sources.manifest import manifest, write_manifest
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
    build_id: str = ""


@dataclass
class Staged:
    """A warehouse being built: its own folder under ``builds/``, not yet published."""

    path: Path  # the DuckDB file
    parquet_dir: Path  # the build folder: the file, its exports and report
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
    build_id: str = ""
    manifest: str = ""  # of the raw folder as it was before it was read
    manifest_time: float = 0.0  # when that was
    lock_fd: int | None = None

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        # the file is created in a storage format older DuckDB clients read (and keeps it)
        config = {"storage_compatibility_version": settings.STORAGE_COMPATIBILITY_VERSION}
        return duckdb.connect(str(self.path), read_only=read_only, config=config)

    @property
    def published(self) -> bool:
        """Whether this build is the current one. Read from the folder, not from a flag set
        after the switch: a Ctrl-C between the two must not delete a published build."""
        return publishing.current_build(self.out_dir) == self.parquet_dir.resolve()

    def discard(self) -> None:
        """Remove the build folder unless it was published, and release the build lock."""
        if not self.published:
            shutil.rmtree(self.parquet_dir, ignore_errors=True)
        if self.lock_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.lock_fd)
            self.lock_fd = None

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
            self.build_id,
        )


@contextlib.contextmanager
def _writing(out_dir: Path) -> Iterator[None]:
    """Turn a failure to write the output (unwritable folder, full disk) into one message."""
    try:
        yield
    except OSError as e:
        where = relative(Path(e.filename)) if e.filename else relative(out_dir)
        raise OutputError(f"{where}: cannot write the new warehouse ({e.strerror or e})") from None
    except (duckdb.IOException, duckdb.FatalException) as e:
        # 'IO Error: Could not write file "<path>": No space left on device' -> the reason
        reason = str(e).splitlines()[0].rsplit('": ', 1)[-1]
        raise OutputError(
            f"{relative(out_dir)}: cannot write the new warehouse ({reason})"
        ) from None


def _source_line(p: dict, width: int) -> str:
    return (
        f"  {p['source_id']:<{width}}  {p['observations']:>4} observations"
        f"  {p['unmapped']:>3} unmapped  {p['corrections']} corrections"
        f"  [{p['layouts'] or '-'}]{'  (cached)' if p['cached'] else ''}"
    )


def _per_source(sources: list[Source], results: list[DocResult]) -> list[dict]:
    return [
        {
            "source_id": s.source_id,
            "observations": len(res.observation_records),
            "unmapped": len(res.unmapped_records),
            "layouts": ",".join(sorted(set(res.layouts))),
            "corrections": len(s.corrections),
            "cached": res.cached,
        }
        for s, res in zip(sources, results, strict=True)
    ]


def _correction_counts(sources: list[Source], results: list[DocResult]) -> Counter[tuple[str, str]]:
    ids = OBSERVATION_COLUMNS.index("correction_ids")
    counts: Counter[tuple[str, str]] = Counter()
    for s, res in zip(sources, results, strict=True):
        if s.corrections:
            for rec in res.observation_records:
                counts.update((s.source_id, c) for c in set(rec[ids]))
    return counts


def _create_staged_file(staged: Staged) -> None:
    """Create the build's DuckDB file with the declared schema (tables empty), through
    ``Staged.connect`` so that whatever configures the file's creation is set there."""
    with staged.connect() as con:
        con.execute(SCHEMA)


def _load(staged: Staged, reference_dir: Path, geo: pd.DataFrame, results: list[DocResult]) -> None:
    """Load every table and mart into the staged file, each with its declared column types."""
    sources = staged.sources
    layouts = {s.source_id: res.layouts for s, res in zip(sources, results, strict=True)}
    with staged.connect() as con:
        load(con, "geo", geo)
        load(con, "geo_2025", geo_2025_table(reference_dir))
        load(con, "unit", unit_table(staged.catalog))
        load(con, "indicator", indicator_table(staged.catalog))
        load(con, "source_document", source_table(sources, layouts))
        obs = (r.observation_records for r in results)  # one document at a time
        load_records(con, "observation", OBSERVATION_COLUMNS, obs)
        load_records(con, "unmapped", UNMAPPED_COLUMNS, (r.unmapped_records for r in results))
        load(con, "correction", correction_table(sources, _correction_counts(sources, results)))
        marts.create_views(con)
        con.execute("CHECKPOINT")


def stage(
    raw_dir: Path = RAW_DIR,
    reference_dir: Path = REFERENCE_DIR,
    out_dir: Path = CURATED_DIR,
    *,
    log: Log = print,
    cache_dir: Path | None = None,
    workers: int | None = None,
) -> Staged:
    """Extract every document and load the tables and marts into a new build folder."""
    t0 = time.perf_counter()
    with _writing(out_dir):
        lock_fd = publishing.lock(out_dir)  # one build at a time per output folder
    try:
        publishing.remove_leftovers(out_dir)  # of builds killed before this one
        listed_at, listing = time.time(), manifest(raw_dir)  # before reading: see publish
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
        per_source = _per_source(sources, results)
        width = max(len(p["source_id"]) for p in per_source)
        for p in per_source:
            log(_source_line(p, width))
        build_id = publishing.new_build_id()
        build_dir = out_dir / publishing.BUILDS / build_id
        staged = Staged(
            build_dir / WAREHOUSE_NAME,
            build_dir,
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
            build_id=build_id,
            manifest=listing,
            manifest_time=listed_at,
            lock_fd=lock_fd,
        )
    except BaseException:
        os.close(lock_fd)
        raise
    try:
        log(f"  loading build {build_id} ...")
        with _writing(out_dir):
            build_dir.mkdir()
            _create_staged_file(staged)
            _load(staged, reference_dir, geo, results)
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
    with _writing(staged.out_dir), staged.connect() as con:
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


def _export_parquet(con: duckdb.DuckDBPyConnection, directory: Path) -> None:
    """One Parquet file per table and view (`gap` included), beside the warehouse file in the
    build folder."""
    for table in (*TABLES, *marts.VIEWS):
        target = directory / f"{table}.parquet"
        con.execute(f"COPY {table} TO '{target}' (FORMAT parquet)")


def _write_report(staged: Staged) -> None:
    report = {
        "build_id": staged.build_id,
        "n_sources": len(staged.sources),
        "n_observations": staged.n_observations,
        "n_unmapped": staged.n_unmapped,
        "per_source": staged.per_source,
        "seconds": round(time.perf_counter() - staged.started, 3),
    }
    path = staged.parquet_dir / "build_report.json"
    path.write_text(json.dumps(report, indent=2), encoding="utf-8")


def record(staged: Staged) -> None:
    """Write `build_info`, the Parquet exports and the build report into the build folder."""
    staged.log("  recording build information and Parquet exports ...")
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
        build_id=staged.build_id,
    )
    with _writing(staged.out_dir):
        with staged.connect() as con:
            load(con, "build_info", info)
            con.execute("CHECKPOINT")
            _export_parquet(con, staged.parquet_dir)
        _write_report(staged)
        publishing.seal(staged.parquet_dir)


def publish(staged: Staged) -> Path:
    """Make the build current (one atomic switch); returns the warehouse's stable path."""
    out_dir, final = staged.out_dir, staged.out_dir / WAREHOUSE_NAME
    staged.log(f"  publishing build {staged.build_id} ...")
    with _writing(out_dir):
        # make's record of what this build read, dated before it was read: an edit meanwhile
        # makes the next `make build` rebuild (pipeline/sources/manifest.py)
        write_manifest(out_dir / publishing.MANIFEST, staged.manifest, staged.manifest_time)
        previous = publishing.switch(out_dir, staged.parquet_dir)
    seconds = time.perf_counter() - staged.started
    staged.log(
        f"  {staged.n_observations} observations, {staged.n_unmapped} unmapped lines "
        f"-> {final} (build {staged.build_id}, {seconds:.1f} s)"
    )
    keep = (previous,) if previous is not None else ()
    publishing.remove_leftovers(out_dir, keep)  # the previous build stays for its readers
    return final


def build(*folders: Path, validate: bool = True, **options: object) -> BuildReport:
    """Build the warehouse: stage, gate, record, publish.

    ``folders`` and ``options`` are those of :func:`stage` (raw, reference and output folders;
    ``log``, ``cache_dir``, ``workers``); ``validate=False`` skips the gate (debugging only).
    An interruption (Ctrl-C) is re-raised as :class:`Interrupted`, which says whether the new
    warehouse had been published.
    """
    staged = stage(*folders, **options)
    try:
        if validate:
            gate(staged)
        record(staged)
        publish(staged)
        return staged.report()
    except KeyboardInterrupt:
        raise Interrupted(staged.published) from None
    finally:
        staged.discard()
