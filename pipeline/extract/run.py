"""Per-document extraction: raw text -> observations + unmapped rows, cached and parallel.

Changing one document re-extracts that document only; an unchanged corpus extracts nothing
(``pipeline.extract.cache``). Documents not in the cache are extracted by a process pool (one
worker per core, two on the reference machine) once there are enough of them to pay for it.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from pipeline.extract.cache import Cache, cache_key, environment_hash
from pipeline.extract.result import DocResult, ExtractStats
from pipeline.extract.workers import die_with_parent, stop_workers
from pipeline.harmonise import observation_records
from pipeline.reference import Catalog, load_catalog, load_resolver
from pipeline.settings import CACHE_DIR, CHUNKS_PER_WORKER, PARALLEL_THRESHOLD
from pipeline.sources import Source
from pipeline.sources.places import document_map
from pipeline.staging import Context, extract
from pipeline.text import fold, normalise

last_stats = ExtractStats()


def extract_one(source: Source, reference_dir: Path, catalog: Catalog | None = None) -> DocResult:
    """Observations and unmapped rows of one document."""
    catalog = catalog or load_catalog(reference_dir)
    doc = normalise(source.text)
    title_year = catalog.grammar.year_in(fold(" ".join(str(source.meta["title"]).split())))
    issued = str(source.meta.get("issued_on") or "")[:4]
    issued_year = int(issued) if issued.isdigit() else None
    context = Context(
        title_year,
        source.default_year,
        issued_year,
        geo_code=source.geo_code,
        # issue #12: places on the document's map; a table's spec, sidecar and file
        places=load_resolver(reference_dir).on_map(document_map(source.meta)),
        table=source.meta.get("table"),
        sidecar=source.meta,
        file=source.path,
    )
    ex = extract(doc, catalog, context)
    obs, unm = observation_records(source, doc, ex, catalog)
    return DocResult(obs, unm, ex.layouts)


# What pool workers read. Forked workers inherit the parent's values (its compiled catalog and
# the documents already read), so a job is just an index; spawned workers load the catalog in
# the initializer and receive each document with its job.
_worker_catalog: Catalog | None = None
_worker_sources: list[Source] = []


def _init_worker(parent: int, reference_dir: Path | None) -> None:
    """In each pool worker: die with the build, leave Ctrl-C to it, load the catalog (spawn)."""
    global _worker_catalog
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the pool; no traceback here
    if reference_dir is not None:
        _worker_catalog = load_catalog(reference_dir)


def _worker(args: tuple[int | Source, Path]) -> DocResult:
    job, reference_dir = args
    source = _worker_sources[job] if isinstance(job, int) else job
    return extract_one(source, reference_dir, _worker_catalog)


def _extract_in_pool(
    sources: list[Source], reference_dir: Path, catalog: Catalog, workers: int
) -> list[DocResult]:
    global _worker_catalog, _worker_sources
    context = _pool_context()
    forked = context.get_start_method() == "fork"
    chunk = max(1, len(sources) // (workers * CHUNKS_PER_WORKER))
    if forked:
        _worker_catalog, _worker_sources = catalog, sources
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(os.getpid(), None if forked else reference_dir),
    )
    try:
        jobs = [(i if forked else s, reference_dir) for i, s in enumerate(sources)]
        results = list(pool.map(_worker, jobs, chunksize=chunk))
    except BaseException:
        stop_workers(pool)  # interrupted or failed: do not wait for the other documents
        raise
    finally:
        _worker_catalog, _worker_sources = None, []
    pool.shutdown()
    return results


def _pool_context() -> multiprocessing.context.BaseContext:
    # fork: workers start in milliseconds with the catalog already compiled; elsewhere the
    # platform default (spawn) re-imports the package once per worker.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


def _children_max_rss_kb() -> int:
    try:
        import resource
    except ImportError:  # not on Windows
        return 0
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KB on Linux


def _cpu_seconds() -> float:
    """User + system CPU of this process and its reaped children (the pool, once shut down)."""
    try:
        import resource
    except ImportError:
        return 0.0
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def extract_all(
    sources: list[Source],
    reference_dir: Path,
    catalog: Catalog,
    cache_dir: Path | None = None,
    workers: int | None = None,
    log: Callable[[str], None] | None = None,
) -> list[DocResult]:
    """Results in the order of ``sources``; cached ones are read, the rest extracted.

    ``log`` hears about cache entries discarded and a cache that cannot be used (silent if
    None) and about the process pool starting.
    """
    global last_stats
    t0 = time.perf_counter()
    log = log or (lambda _m: None)
    cache = Cache(cache_dir if cache_dir is not None else CACHE_DIR, log)
    env = environment_hash(reference_dir)
    keys = [cache_key(s, reference_dir, env) for s in sources]
    results: list[DocResult | None] = [
        cache.get(k, s.source_id) for k, s in zip(keys, sources, strict=True)
    ]
    todo = [i for i, r in enumerate(results) if r is None]
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    workers = max(1, min(workers, len(todo)))
    t1, cpu1 = time.perf_counter(), _cpu_seconds()
    if len(todo) >= PARALLEL_THRESHOLD and workers > 1:
        log(f"  extracting {len(todo)} documents in {workers} worker processes ...")
        fresh = _extract_in_pool([sources[i] for i in todo], reference_dir, catalog, workers)
        pool_rss = _children_max_rss_kb()  # the workers have exited and been reaped
    else:
        workers, pool_rss = 1, 0
        fresh = [extract_one(sources[i], reference_dir, catalog) for i in todo]
    t2, cpu2 = time.perf_counter(), _cpu_seconds()
    for i, res in zip(todo, fresh, strict=True):
        results[i] = res
        cache.put(keys[i], res)
    last_stats = ExtractStats(
        n_sources=len(sources),
        n_extracted=len(todo),
        n_cached=len(sources) - len(todo),
        workers=workers,
        seconds=time.perf_counter() - t0,
        extract_seconds=t2 - t1,
        pool_peak_rss_kb=pool_rss,
        cpu_seconds=cpu2 - cpu1,
        n_pruned=cache.prune(set(keys)),
        n_discarded=cache.n_discarded,
    )
    return [r for r in results if r is not None]
