"""Per-document extraction: raw text -> observations + unmapped rows, cached and parallel.

The cache key is everything the result depends on: the document's bytes, its sidecar and
corrections, the reference data (catalog, lexicon, units), the extractor version and the
extractor's own source code. Changing one document re-extracts that document only; an unchanged
corpus extracts nothing. Documents not in the cache are extracted by a process pool (one worker
per core, two on the reference machine) once there are enough of them to pay for it. Entries no
build has used for CACHE_MAX_AGE_DAYS are deleted.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import pickle
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.harmonise import observation_frame, observation_records, unmapped_frame
from pipeline.raw import Source
from pipeline.reference import Catalog, load_catalog
from pipeline.staging import EXTRACTOR_VERSION, Context, extract
from pipeline.text import fold, normalise

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = ROOT / ".cache" / "extract"
_STAGING = Path(__file__).resolve().parent / "staging"
_CODE_FILES = (
    "text.py",
    "grammar.py",
    *sorted(p.relative_to(_STAGING.parent).as_posix() for p in _STAGING.rglob("*.py")),
    "harmonise.py",
    "reference.py",
    "extract.py",
)
_REFERENCE_FILES = ("indicators.yaml", "lexicon.yaml", "units.yaml")
PARALLEL_THRESHOLD = 16  # below this, process start-up costs more than it saves
CACHE_MAX_AGE_DAYS = 30  # cache entries no build has used for this long are deleted
CHUNKS_PER_WORKER = 4  # pool.map chunks per worker: few enough for low IPC, enough to balance


@dataclass
class DocResult:
    """One document's rows as tuples in the tables' column order (cheap to pickle and merge)."""

    observation_records: list[tuple]
    unmapped_records: list[tuple]
    layouts: list[str]
    cached: bool = False

    @property
    def observations(self) -> pd.DataFrame:
        """The observation records as a DataFrame (built on each access)."""
        return observation_frame(self.observation_records)

    @property
    def unmapped(self) -> pd.DataFrame:
        """The unmapped records as a DataFrame (built on each access)."""
        return unmapped_frame(self.unmapped_records)


@dataclass
class ExtractStats:
    """What the last :func:`extract_all` did (read by ``pipeline.bench``)."""

    n_sources: int = 0
    n_extracted: int = 0
    n_cached: int = 0
    workers: int = 1
    seconds: float = 0.0  # the whole call: keys, cache reads, extraction, cache writes
    extract_seconds: float = 0.0  # extraction of the documents not in the cache only
    pool_peak_rss_kb: int = 0  # largest pool worker (ru_maxrss of reaped children), 0 if no pool
    cpu_seconds: float = 0.0  # CPU time of the extraction, this process and its pool together
    n_pruned: int = 0  # cache entries deleted as unused for CACHE_MAX_AGE_DAYS


last_stats = ExtractStats()


def environment_hash(reference_dir: Path) -> str:
    """Hash of what every document's extraction depends on besides the document itself.

    The extractor version, the extractor's source files and the reference data it reads (the
    catalog, the lexicon and the units). Read afresh on every call, so a long-lived process
    (a notebook) never reuses results after the catalog was edited.
    """
    h = hashlib.sha256(EXTRACTOR_VERSION.encode())
    here = Path(__file__).resolve().parent
    for name in _CODE_FILES:
        h.update(name.encode())
        h.update((here / name).read_bytes())
    for name in _REFERENCE_FILES:
        h.update(name.encode())
        h.update((reference_dir / name).read_bytes())
    return h.hexdigest()


def cache_key(source: Source, reference_dir: Path, env: str | None = None) -> str:
    """Content address of one document's extraction: (document, sidecar, corrections, env)."""
    h = hashlib.sha256((env or environment_hash(reference_dir)).encode())
    h.update(source.sha256.encode())
    h.update(source.sidecar.read_bytes())
    h.update(source.geo_code.encode())
    if source.corrections_path is not None:
        h.update(source.corrections_path.read_bytes())
    return h.hexdigest()[:32]


def extract_one(source: Source, reference_dir: Path, catalog: Catalog | None = None) -> DocResult:
    """Observations and unmapped rows of one document."""
    catalog = catalog or load_catalog(reference_dir)
    doc = normalise(source.text)
    title_year = catalog.grammar.year_in(fold(" ".join(str(source.meta["title"]).split())))
    issued = str(source.meta.get("issued_on") or "")[:4]
    issued_year = int(issued) if issued.isdigit() else None
    ex = extract(doc, catalog, Context(title_year, source.default_year, issued_year))
    obs, unm = observation_records(source, doc, ex, catalog)
    return DocResult(obs, unm, ex.layouts)


# What pool workers read. Forked workers inherit the parent's values (its compiled catalog and
# the documents already read), so a job is just an index; spawned workers load the catalog in
# the initializer and receive each document with its job.
_worker_catalog: Catalog | None = None
_worker_sources: list[Source] = []


def _init_worker(reference_dir: Path) -> None:
    global _worker_catalog
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
    try:
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=None if forked else _init_worker,
            initargs=() if forked else (reference_dir,),
        ) as pool:
            jobs = [(i if forked else s, reference_dir) for i, s in enumerate(sources)]
            return list(pool.map(_worker, jobs, chunksize=chunk))
    finally:
        _worker_catalog, _worker_sources = None, []


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


def _read_cached(path: Path) -> DocResult | None:
    try:
        with path.open("rb") as fh:
            res = pickle.load(fh)
    except FileNotFoundError:
        return None
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        path.unlink(missing_ok=True)  # unreadable or from an incompatible version: redo it
        return None
    if not isinstance(res, DocResult):
        path.unlink(missing_ok=True)
        return None
    res.cached = True
    with contextlib.suppress(OSError):  # pruned meanwhile, or a read-only cache: still a hit
        os.utime(path)  # last used now: pruning keeps what builds still use
    return res


def prune_cache(cache_dir: Path, keep: set[str], max_age_days: float = CACHE_MAX_AGE_DAYS) -> int:
    """Delete cache entries not in ``keep`` that no build has used for ``max_age_days``.

    Every code or catalog change re-keys all entries; without pruning the cache would grow by a
    corpus's worth each time. Entries stay a while so that switching between branches or raw
    folders does not re-extract everything. Returns how many files were deleted.
    """
    cutoff = time.time() - max_age_days * 86400
    removed = 0
    for path in cache_dir.glob("*.pkl"):
        try:
            if path.stem not in keep and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except OSError:  # pruned by a concurrent build, or not ours to delete: leave it
            continue
    return removed


def _write_cached(path: Path, res: DocResult) -> None:
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        pickle.dump(
            DocResult(res.observation_records, res.unmapped_records, res.layouts),
            fh,
            protocol=pickle.HIGHEST_PROTOCOL,
        )
    os.replace(tmp, path)  # atomic: a concurrent build never reads half a file


def extract_all(
    sources: list[Source],
    reference_dir: Path,
    catalog: Catalog,
    cache_dir: Path | None = None,
    workers: int | None = None,
) -> list[DocResult]:
    """Results in the order of ``sources``; cached ones are read, the rest extracted."""
    global last_stats
    t0 = time.perf_counter()
    cache_dir = cache_dir if cache_dir is not None else DEFAULT_CACHE
    cache_dir.mkdir(parents=True, exist_ok=True)
    env = environment_hash(reference_dir)
    keys = [cache_key(s, reference_dir, env) for s in sources]
    results: list[DocResult | None] = [None] * len(sources)
    todo: list[int] = []
    for i, key in enumerate(keys):
        results[i] = _read_cached(cache_dir / f"{key}.pkl")
        if results[i] is None:
            todo.append(i)
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    workers = max(1, min(workers, len(todo)))
    t1, cpu1 = time.perf_counter(), _cpu_seconds()
    if len(todo) >= PARALLEL_THRESHOLD and workers > 1:
        fresh = _extract_in_pool([sources[i] for i in todo], reference_dir, catalog, workers)
        pool_rss = _children_max_rss_kb()  # the workers have exited and been reaped
    else:
        workers, pool_rss = 1, 0
        fresh = [extract_one(sources[i], reference_dir, catalog) for i in todo]
    t2, cpu2 = time.perf_counter(), _cpu_seconds()
    for i, res in zip(todo, fresh, strict=True):
        results[i] = res
        _write_cached(cache_dir / f"{keys[i]}.pkl", res)
    pruned = prune_cache(cache_dir, set(keys))
    last_stats = ExtractStats(
        n_sources=len(sources),
        n_extracted=len(todo),
        n_cached=len(sources) - len(todo),
        workers=workers,
        seconds=time.perf_counter() - t0,
        extract_seconds=t2 - t1,
        pool_peak_rss_kb=pool_rss,
        cpu_seconds=cpu2 - cpu1,
        n_pruned=pruned,
    )
    return [r for r in results if r is not None]
