"""Per-document extraction: raw text -> observations + unmapped rows, cached and parallel.

Changing one document re-extracts that document only; an unchanged corpus extracts nothing
(``pipeline.extract.cache``). A build asks for the rows of the documents it needs, in order
(:class:`RowStream`): cached ones are read back, the others are extracted by a process pool
(one worker per core, two on the reference machine) once there are enough of them to pay for
it. Workers take documents in chunks, convert their rows to Arrow tables of the declared
column types, write their cache entries themselves and send the build the encoded tables; a
bounded number of chunks is in flight, so memory holds a few documents' rows, not a corpus's.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from pipeline.extract.arrow import DocRows, decode_rows, encode_rows, to_records, to_table
from pipeline.extract.cache import Cache, cache_key, environment_hash, write_entry
from pipeline.extract.result import DocResult, ExtractStats
from pipeline.extract.workers import Window, init_worker, peak_rss_kb, worker_count
from pipeline.harmonise import observation_records
from pipeline.reference import Catalog, load_catalog, load_resolver
from pipeline.settings import CACHE_DIR, CHUNK_DOCUMENTS, PARALLEL_THRESHOLD
from pipeline.sources import Source
from pipeline.sources.places import document_map
from pipeline.staging import Context, extract
from pipeline.text import fold, normalise

last_stats = ExtractStats()


def extract_one(source: Source, reference_dir: Path, catalog: Catalog | None = None) -> DocResult:
    """Observations and unmapped rows of one document."""
    catalog = catalog or load_catalog(reference_dir)
    doc = normalise(source.read_text())
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


def extract_rows(source: Source, reference_dir: Path, catalog: Catalog | None = None) -> DocRows:
    """:func:`extract_one` as Arrow tables of the warehouse's declared types."""
    res = extract_one(source, reference_dir, catalog)
    return DocRows(
        res.layouts,
        to_table("observation", res.observation_records),
        to_table("unmapped", res.unmapped_records),
    )


def rows_each(results: list[DocResult]) -> list[DocRows]:
    """The documents' rows as Arrow tables (:func:`extract_rows`), converted for all of them at
    once and sliced per document: converting a column costs about as much for a document's few
    dozen rows as for a chunk's few hundred."""
    whole = {
        "observation": to_table("observation", [r for x in results for r in x.observation_records]),
        "unmapped": to_table("unmapped", [r for x in results for r in x.unmapped_records]),
    }
    out, at = [], {"observation": 0, "unmapped": 0}
    for x in results:
        n = {"observation": len(x.observation_records), "unmapped": len(x.unmapped_records)}
        sliced = {t: whole[t].slice(at[t], n[t]) for t in whole}
        at = {t: at[t] + n[t] for t in at}
        out.append(DocRows(x.layouts, sliced["observation"], sliced["unmapped"]))
    return out


def as_result(rows: DocRows) -> DocResult:
    """Arrow rows back as records (tests and tools that read a :class:`DocResult`)."""
    return DocResult(
        to_records("observation", rows.observation),
        to_records("unmapped", rows.unmapped),
        rows.layouts,
        rows.cached,
    )


# What pool workers read. Forked workers inherit the parent's values (its compiled catalog and
# the documents' descriptions), so a job names documents by index; spawned workers load the
# catalog in the initializer and receive each document with its job.
_worker_catalog: Catalog | None = None
_worker_sources: list[Source] = []


def _init_worker(parent: int, reference_dir: Path | None) -> None:
    """In each pool worker: die with the build, leave Ctrl-C to it, load the catalog (spawn)."""
    global _worker_catalog
    init_worker(parent)
    if reference_dir is not None:
        _worker_catalog = load_catalog(reference_dir)


Job = tuple[list, list[str], Path, Path | None]


def _worker(job: Job) -> list[tuple[bytes, str | None]]:
    """Extract a chunk of documents: each one's encoded rows, and why its cache entry could not
    be written (None when it was, or when there is no cache)."""
    items, keys, reference_dir, cache_folder = job
    sources = [_worker_sources[i] if isinstance(i, int) else i for i in items]
    results = [extract_one(source, reference_dir, _worker_catalog) for source in sources]
    out = []
    for rows, key in zip(rows_each(results), keys, strict=True):
        payload = encode_rows(rows)
        problem = write_entry(cache_folder, key, payload) if cache_folder is not None else None
        out.append((payload, problem))
    return out


def _pool_context() -> multiprocessing.context.BaseContext:
    # fork: workers start in milliseconds with the catalog already compiled; elsewhere the
    # platform default (spawn) re-imports the package once per worker.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


def _cpu_seconds(who: str = "self") -> float:
    """User + system CPU of this process, or of its reaped children (the pool, once shut down)."""
    try:
        import resource
    except ImportError:
        return 0.0
    r = resource.getrusage(resource.RUSAGE_SELF if who == "self" else resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class RowStream:
    """The rows of the documents ``wanted`` (indices into ``sources``, ascending), in order.

    Use as a context manager: entering starts the pool (forked workers are created then, so a
    build enters before it opens its DuckDB file), iterating yields ``(index, DocRows)``, and
    leaving stops the pool (at once if the build failed or was interrupted).
    """

    def __init__(
        self,
        sources: list[Source],
        wanted: list[int],
        reference_dir: Path,
        catalog: Catalog,
        cache: Cache,
        keys: list[str],
        workers: int | None = None,
    ) -> None:
        self.sources, self.wanted, self.keys = sources, wanted, keys
        self.reference_dir, self.catalog, self.cache = reference_dir, catalog, cache
        present = cache.entries()
        self.todo = [i for i in wanted if keys[i] not in present]
        self.workers = max(1, min(worker_count(workers), len(self.todo)))
        self.pooled = len(self.todo) >= PARALLEL_THRESHOLD and self.workers > 1
        self.stats = ExtractStats(n_sources=len(sources), workers=self.workers)
        self._window: Window | None = None
        self._t0 = self._cpu0 = 0.0

    def __enter__(self) -> RowStream:
        global _worker_catalog, _worker_sources
        self._t0, self._cpu0 = time.perf_counter(), _cpu_seconds("children")
        if self.pooled:
            context = _pool_context()
            forked = context.get_start_method() == "fork"
            if forked:
                _worker_catalog, _worker_sources = self.catalog, self.sources
            folder = self.cache.folder if self.cache.usable else None
            size = max(1, min(CHUNK_DOCUMENTS, -(-len(self.todo) // (4 * self.workers))))
            jobs = (
                (
                    [i if forked else self.sources[i] for i in chunk],
                    [self.keys[i] for i in chunk],
                    self.reference_dir,
                    folder,
                )
                for chunk in (self.todo[a : a + size] for a in range(0, len(self.todo), size))
            )
            gc.freeze()  # workers inherit the heap: its pages stay shared, GC never writes them
            try:
                self._window = Window(
                    _worker,
                    jobs,
                    self.workers,
                    context,
                    initializer=_init_worker,
                    initargs=(os.getpid(), None if forked else self.reference_dir),
                )
            finally:
                gc.unfreeze()
                _worker_catalog, _worker_sources = None, []
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        window, self._window = self._window, None
        if window is not None:
            window.close(abandon=exc_type is not None)
        self._finish(window is not None)

    def _finish(self, pooled: bool) -> None:
        s = self.stats
        s.seconds = time.perf_counter() - self._t0
        if pooled:
            s.pool_peak_rss_kb = peak_rss_kb("children")  # the workers have exited, been reaped
            s.cpu_seconds += _cpu_seconds("children") - self._cpu0
        else:
            s.workers = 1
        s.n_discarded = self.cache.n_discarded

    def __iter__(self) -> Iterator[tuple[int, DocRows]]:
        todo = set(self.todo)
        results = self._window.results() if self._window is not None else None
        pending: list[tuple[bytes, str | None]] = []
        for i in self.wanted:
            rows = None
            if i in todo and results is not None:
                if not pending:
                    pending = list(reversed(next(results)))
                payload, problem = pending.pop()
                if problem:
                    self.cache.give_up(problem)
                rows = decode_rows(payload)
            elif i not in todo:
                rows = self.cache.get(self.keys[i], self.sources[i].source_id)
            if rows is None:  # not pooled, or a damaged entry: extracted here
                rows = self._extract_here(i)
            else:
                self.stats.n_cached += rows.cached
            self.stats.n_extracted += not rows.cached
            yield i, rows

    def _extract_here(self, i: int) -> DocRows:
        cpu = _cpu_seconds()
        payload = encode_rows(extract_rows(self.sources[i], self.reference_dir, self.catalog))
        self.cache.put(self.keys[i], payload)
        self.stats.cpu_seconds += _cpu_seconds() - cpu
        return decode_rows(payload)


def document_keys(sources: list[Source], reference_dir: Path) -> list[str]:
    """The cache key of each document (:func:`pipeline.extract.cache.cache_key`)."""
    env = environment_hash(reference_dir)
    return [cache_key(s, reference_dir, env) for s in sources]


def extract_all(
    sources: list[Source],
    reference_dir: Path,
    catalog: Catalog,
    cache_dir: Path | None = None,
    workers: int | None = None,
    log: Callable[[str], None] | None = None,
) -> list[DocResult]:
    """Every document's rows as records, in the order of ``sources`` (cached ones read, the
    rest extracted, as a build does it). ``log`` hears about cache entries discarded and a cache
    that cannot be used (silent if None)."""
    global last_stats
    log = log or (lambda _m: None)
    cache = Cache(cache_dir if cache_dir is not None else CACHE_DIR, log)
    keys = document_keys(sources, reference_dir)
    stream = RowStream(
        sources, list(range(len(sources))), reference_dir, catalog, cache, keys, workers
    )
    with stream:
        if stream.pooled:
            log(f"  extracting {len(stream.todo)} documents in {stream.workers} worker processes")
        results = [as_result(rows) for _i, rows in stream]
    stream.stats.n_pruned = cache.prune(set(keys)) if stream.stats.n_extracted else 0
    last_stats = stream.stats
    return results
