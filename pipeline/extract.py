"""Per-document extraction: raw text -> observations + unmapped rows, cached and parallel.

The cache key is everything the result depends on: the document's bytes, its sidecar and
corrections, the reference data (catalog, lexicon, units) and the extractor's own source code.
Changing one document re-extracts that document only; an unchanged corpus extracts nothing.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from pipeline.harmonise import observations
from pipeline.raw import Source
from pipeline.reference import Catalog, load_catalog
from pipeline.staging import EXTRACTOR_VERSION, Context, extract
from pipeline.text import fold, normalise

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = ROOT / ".cache" / "extract"
_CODE_FILES = ("text.py", "grammar.py", "staging.py", "harmonise.py", "reference.py", "extract.py")
PARALLEL_THRESHOLD = 16  # below this, process start-up costs more than it saves


@dataclass
class DocResult:
    observations: pd.DataFrame
    unmapped: pd.DataFrame
    layouts: list[str]
    cached: bool = False


@lru_cache(maxsize=8)
def _environment_hash(reference_dir: Path) -> str:
    h = hashlib.sha256(EXTRACTOR_VERSION.encode())
    here = Path(__file__).resolve().parent
    for name in _CODE_FILES:
        h.update((here / name).read_bytes())
    for name in ("indicators.yaml", "lexicon.yaml", "units.yaml"):
        h.update((reference_dir / name).read_bytes())
    return h.hexdigest()


def cache_key(source: Source, reference_dir: Path) -> str:
    h = hashlib.sha256(_environment_hash(reference_dir).encode())
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
    obs, unm = observations(source, doc, ex, catalog)
    return DocResult(obs, unm, ex.layouts)


def _worker(args: tuple[Source, Path]) -> DocResult:
    source, reference_dir = args
    return extract_one(source, reference_dir)


def extract_all(sources: list[Source], reference_dir: Path, catalog: Catalog,
                cache_dir: Path | None = None, workers: int | None = None) -> list[DocResult]:
    """Results in the order of ``sources``; cached ones are read, the rest extracted."""
    cache_dir = cache_dir if cache_dir is not None else DEFAULT_CACHE
    cache_dir.mkdir(parents=True, exist_ok=True)
    results: list[DocResult | None] = [None] * len(sources)
    todo: list[int] = []
    keys = [cache_key(s, reference_dir) for s in sources]
    for i, key in enumerate(keys):
        f = cache_dir / f"{key}.pkl"
        if f.exists():
            try:
                with f.open("rb") as fh:
                    res = pickle.load(fh)
                res.cached = True
                results[i] = res
                continue
            except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
                f.unlink(missing_ok=True)
        todo.append(i)
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    if len(todo) >= PARALLEL_THRESHOLD and workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            chunk = max(1, len(todo) // (workers * 4))
            fresh = list(pool.map(_worker, [(sources[i], reference_dir) for i in todo], chunksize=chunk))
    else:
        fresh = [extract_one(sources[i], reference_dir, catalog) for i in todo]
    for i, res in zip(todo, fresh, strict=True):
        results[i] = res
        tmp = cache_dir / f".{keys[i]}.{os.getpid()}.tmp"
        with tmp.open("wb") as fh:
            pickle.dump(DocResult(res.observations, res.unmapped, res.layouts), fh)
        os.replace(tmp, cache_dir / f"{keys[i]}.pkl")
    return [r for r in results if r is not None]
