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

import json
import os
import time
from pathlib import Path

import duckdb
import pandas as pd

import pipeline.warehouse.builds as publishing
import pipeline.warehouse.exports as exports
import pipeline.warehouse.inputs as inputs
from pipeline.errors import BuildError, Interrupted
from pipeline.extract import run as extract_run
from pipeline.extract.cache import Cache, cache_key
from pipeline.extract.workers import forked_map, worker_count
from pipeline.quality import Reuse, preload_gx, validate_warehouse
from pipeline.reference import geo_table, load_catalog, load_resolver
from pipeline.settings import (
    CACHE_DIR,
    CURATED_DIR,
    RAW_DIR,
    REFERENCE_DIR,
    WAREHOUSE_NAME,
)
from pipeline.sources import Source, discover
from pipeline.sources.manifest import write_manifest
from pipeline.warehouse.load import load_staged
from pipeline.warehouse.staged import BuildReport, Log, Staged, writing
from pipeline.warehouse.tables import build_info_table, load

__all__ = ["BuildReport", "Staged", "build", "gate", "publish", "record", "stage"]


def _source_line(p: dict, width: int) -> str:
    return (
        f"  {p['source_id']:<{width}}  {p['observations']:>4} observations"
        f"  {p['unmapped']:>3} unmapped  {p['corrections']} corrections"
        f"  [{p['layouts'] or '-'}]{'  (cached)' if p['cached'] else ''}"
    )


def _copied(sources: list[Source], keys: list[str], previous: inputs.Previous | None) -> list[bool]:
    """Which documents' rows are taken from the previous warehouse: those it holds, when it was
    made by this build's code, reference data and libraries (its file is then copied and
    patched: see ``load``) and its tables still hold what its record says."""
    if previous is None or not previous.same_build or not previous.verified():
        return [False] * len(sources)
    return [previous.reusable(s.source_id, k) for s, k in zip(sources, keys, strict=True)]


def _kept(
    previous: inputs.Previous, listing: inputs.Listing, t0: float, log: Log, out_dir: Path
) -> Staged:
    """The published build, kept: nothing it was made from has changed."""
    record = previous.record
    report = json.loads((previous.folder / "build_report.json").read_text(encoding="utf-8"))
    log(
        f"chitieu build: {report['n_sources']} documents; nothing changed since build "
        f"{previous.build_id} (documents, sidecars, reference data, suites, code): keeping it"
    )
    per_source = [{**p, "cached": True} for p in report["per_source"]]
    staged = Staged(
        previous.warehouse,
        previous.folder,
        out_dir,
        Path(),
        [],
        None,
        per_source,
        report["n_observations"],
        report["n_unmapped"],
        len(per_source),
        t0,
        log,
        build_id=previous.build_id,
        manifest=listing.manifest,
        manifest_time=listing.taken_at,
        previous=previous,
        record=record,
        validated=record["validated"],
        kept=True,
    )
    staged.sources = [None] * report["n_sources"]  # counted by the report
    con = duckdb.connect(str(previous.warehouse), read_only=True)
    try:
        found = con.execute(
            "SELECT * FROM validation_result WHERE NOT success AND severity = 'warning'"
        )
        names = [d[0] for d in found.description]
        staged.warnings = [dict(zip(names, r, strict=True)) for r in found.fetchall()]
    finally:
        con.close()
    return staged


def stage(
    raw_dir: Path = RAW_DIR,
    reference_dir: Path = REFERENCE_DIR,
    out_dir: Path = CURATED_DIR,
    *,
    log: Log = print,
    cache_dir: Path | None = None,
    workers: int | None = None,
    validate: bool = True,
    keep_unchanged: bool = False,
) -> Staged:
    """Read the documents, and load the tables and marts into a new build folder: each
    document's rows copied from the published build when it holds them, read from the cache,
    or extracted. With ``keep_unchanged`` (as ``build`` does), a build whose inputs are exactly
    those of the published, validated build keeps it instead (``Staged.kept``)."""
    t0 = time.perf_counter()
    with writing(out_dir):
        lock_fd = publishing.lock(out_dir)  # one build at a time per output folder
    try:
        publishing.remove_leftovers(out_dir)  # of builds killed before this one
        env, build_hash = inputs.environment(reference_dir)
        previous = inputs.previous_build(out_dir, env, build_hash)
        listing = inputs.list_raw(raw_dir, previous, time.time())  # before reading: see publish
        if keep_unchanged and validate and inputs.unchanged(previous, listing):
            staged = _kept(previous, listing, t0, log, out_dir)
            staged.lock_fd = lock_fd
            return staged
        staged, geo, keys = _discovered(
            raw_dir, reference_dir, out_dir, log, previous, listing, (env, build_hash), workers
        )
        staged.started, staged.lock_fd, staged.workers = t0, lock_fd, workers
    except BaseException:
        os.close(lock_fd)
        raise
    try:
        _load(staged, reference_dir, geo, keys, cache_dir, workers, validate)
    except BaseException:
        staged.discard()
        raise
    return staged


def _discovered(
    raw_dir: Path,
    reference_dir: Path,
    out_dir: Path,
    log: Log,
    previous: inputs.Previous | None,
    listing: inputs.Listing,
    hashes: tuple[str, str],
    workers: int | None,
) -> tuple[Staged, pd.DataFrame, list[str]]:
    """The documents, checked (those unchanged since the published build as it recorded
    them), and the staged build they will fill."""
    catalog = load_catalog(reference_dir)
    resolver = load_resolver(reference_dir)  # the extraction's own, built once
    geo = geo_table(reference_dir)  # every map's places (the resolver holds one map's)
    known = inputs.known_sources(previous, listing, raw_dir)
    n = worker_count(workers)
    sources = discover(
        raw_dir,
        resolver,
        keep_text=False,
        known=known,
        map_reads=lambda fn, jobs: forked_map(fn, jobs, n),  # before DuckDB opens a file
    )
    log(
        f"chitieu build: {len(sources)} documents, "
        f"{len(catalog.indicators)} indicators in the catalog"
    )
    for note in (n for s in sources for n in s.notes):
        log(f"  note: {note}")
    keys = [
        inputs.key_of(previous, s, listing) or cache_key(s, reference_dir, hashes[0])
        for s in sources
    ]
    build_id = publishing.new_build_id()
    build_dir = out_dir / publishing.BUILDS / build_id
    staged = Staged(
        build_dir / WAREHOUSE_NAME,
        build_dir,
        out_dir,
        raw_dir,
        sources,
        catalog,
        [],
        0,
        0,
        0,
        0.0,
        log,
        build_id=build_id,
        manifest=listing.manifest,
        manifest_time=listing.taken_at,
        listing=listing,
        previous=previous,
    )
    staged.record = {
        "version": inputs.RECORD_VERSION,
        "build_id": build_id,
        "environment": hashes[0],
        "build": hashes[1],
        "validated": False,
        "listing": listing.entries,
        "manifest": listing.digest,
        "sources": [
            inputs.source_record(s, listing, k) for s, k in zip(sources, keys, strict=True)
        ],
    }
    return staged, geo, keys


def _load(
    staged: Staged,
    reference_dir: Path,
    geo: pd.DataFrame,
    keys: list[str],
    cache_dir: Path | None,
    workers: int | None,
    validate: bool,
) -> None:
    """Stream every document's rows into the staged file (see ``load.load_staged``)."""
    log, sources, previous = staged.log, staged.sources, staged.previous
    copied = _copied(sources, keys, previous)
    if (
        previous is not None
        and previous.same_build
        and previous.record["validated"]
        and any(copied)
    ):  # the gate validates the other documents' rows, and takes the rest from its results
        staged.fresh = {s.source_id for s, c in zip(sources, copied, strict=True) if not c}
    log(f"  loading build {staged.build_id} ...")
    if any(copied):
        log(
            f"  {sum(copied)} documents' rows taken from build {previous.build_id} "
            "(their files, the reference data and the code are those it read)"
        )
    cache = Cache(cache_dir if cache_dir is not None else CACHE_DIR, log)
    wanted = [i for i, c in enumerate(copied) if not c]
    stream = extract_run.RowStream(
        sources, wanted, reference_dir, staged.catalog, cache, keys, workers
    )
    with writing(staged.out_dir), stream:  # the pool starts (forks) before DuckDB opens a file
        if stream.pooled:
            log(f"  extracting {len(stream.todo)} documents in {stream.workers} worker processes")
        if validate and (staged.fresh is None or staged.fresh):
            preload_gx()  # imported in the background meanwhile (2 s)
        staged.parquet_dir.mkdir()
        load_staged(staged, reference_dir, geo, copied, stream)
        with staged.connect() as con:  # while Great Expectations is imported
            tables = staged.record["tables"] = inputs.fingerprints(
                con,
                previous=previous.record["tables"] if staged.deltas else None,
                deltas=staged.deltas,
            )
            staged.record["exports"] = exports.write_exports(
                con, staged.parquet_dir, tables, previous, exports.OF_TABLES
            )
    stream.stats.n_pruned = cache.prune(set(keys)) if wanted else 0  # the cache was read
    extract_run.last_stats = stream.stats
    width = max(len(p["source_id"]) for p in staged.per_source)
    for p in staged.per_source:
        log(_source_line(p, width))


def gate(staged: Staged) -> None:
    """Run the quality gate on the staged file and record its results; stop on an error.

    When the published build was validated by the same suites and this one copied rows from it,
    only the other documents' rows are validated row by row (``Staged.fresh``); checks across
    the whole tables (keys) always see every row (``pipeline.quality``).
    """
    if staged.kept:
        return
    log = staged.log
    tv = time.perf_counter()
    log("  validating with Great Expectations ...")
    reuse = None
    if staged.fresh is not None and staged.previous is not None:
        unexpected = staged.previous.record.get("gate", {})
        reuse = Reuse(staged.previous.warehouse, staged.fresh, unexpected)
    outcome = validate_warehouse(staged.path, staged.raw_dir, reuse, staged.workers)
    staged.validation_seconds = time.perf_counter() - tv
    staged.gate_helper_peak_rss_kb = outcome.helper_peak_rss_kb
    staged.warnings = outcome.warnings
    with writing(staged.out_dir), staged.connect() as con:
        load(con, "validation_result", pd.DataFrame(outcome.results))
    if outcome.errors:
        raise BuildError(outcome.summary())
    staged.validated = True
    staged.record["gate"] = outcome.unexpected
    for w in staged.warnings:
        log(
            f"  warning: {w['suite']}: {w['expectation']}: "
            f"{w['n_unexpected']} rows — {w['details'][:160]}"
        )
    log(
        f"  quality gate: {len(outcome.results)} expectations, 0 errors, "
        f"{len(staged.warnings)} warnings ({staged.validation_seconds:.1f} s)"
    )


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
    """Write `build_info`, the Parquet exports, the build report and the record of the build's
    inputs (``inputs.json``) into the build folder."""
    if staged.kept:
        return
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
        n_cached=staged.n_cached,  # from the cache or copied from the previous build
        build_id=staged.build_id,
    )
    with writing(staged.out_dir):
        with staged.connect() as con:
            load(con, "build_info", info)
            con.execute("CHECKPOINT")
            staged.record["exports"] |= exports.write_exports(
                con, staged.parquet_dir, {}, None, exports.OF_THE_BUILD
            )
        staged.record["validated"] = staged.validated
        inputs.write_record(staged.parquet_dir / inputs.RECORD, staged.record)
        _write_report(staged)
        publishing.seal(staged.parquet_dir)


def publish(staged: Staged) -> Path:
    """Make the build current (one atomic switch); returns the warehouse's stable path."""
    out_dir, final = staged.out_dir, staged.out_dir / WAREHOUSE_NAME
    if staged.kept:
        with writing(out_dir):
            write_manifest(out_dir / publishing.MANIFEST, staged.manifest, staged.manifest_time)
        return final
    staged.log(f"  publishing build {staged.build_id} ...")
    with writing(out_dir):
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
    ``log``, ``cache_dir``, ``workers``); ``validate=False`` skips the gate (debugging only). A
    validated build whose inputs are those of the published build keeps it (the report says
    ``kept``). An interruption (Ctrl-C) is re-raised as :class:`Interrupted`, which says whether
    the new warehouse had been published.
    """
    staged = stage(*folders, validate=validate, keep_unchanged=True, **options)
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
