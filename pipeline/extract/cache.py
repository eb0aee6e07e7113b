"""The extraction cache: one file per document in ``.cache/extract``, keyed by its content.

The key is everything a document's extraction depends on: the document's bytes, its sidecar and
corrections, the reference data (catalog, lexicon, units), the extractor version and every file
of the package the build runs (:func:`package_files`). Entries no build has used for
``CACHE_MAX_AGE_DAYS`` are deleted.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import time
from pathlib import Path

from pipeline.extract.result import DocResult
from pipeline.settings import CACHE_MAX_AGE_DAYS, PACKAGE_DIR
from pipeline.sources import Source
from pipeline.staging import EXTRACTOR_VERSION

_REFERENCE_FILES = ("indicators.yaml", "lexicon.yaml", "units.yaml")
# Never imported by a build (tests/test_layers.py holds it so): edits there re-extract nothing.
_NOT_BUILD = ("analysis",)


def package_files() -> list[Path]:
    """Every file of the package a build can run or read, in a stable order.

    All of ``pipeline/`` (modules of any subpackage, SQL, YAML beside the code) except the
    analysis layer, which reads the warehouse and is never imported by a build.
    """
    return sorted(
        p
        for p in PACKAGE_DIR.rglob("*")
        if p.is_file()
        and "__pycache__" not in p.parts
        and p.relative_to(PACKAGE_DIR).parts[0] not in _NOT_BUILD
    )


def environment_hash(reference_dir: Path) -> str:
    """Hash of what every document's extraction depends on besides the document itself.

    The extractor version, the package's files (see :func:`package_files`) and the reference
    data it reads (the catalog, the lexicon and the units). Read afresh on every call, so a
    long-lived process (a notebook) never reuses results after the catalog was edited.
    """
    h = hashlib.sha256(EXTRACTOR_VERSION.encode())
    for path in package_files():
        h.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
        h.update(path.read_bytes())
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


def read_cached(path: Path) -> DocResult | None:
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


def write_cached(path: Path, res: DocResult) -> None:
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        pickle.dump(
            DocResult(res.observation_records, res.unmapped_records, res.layouts),
            fh,
            protocol=pickle.HIGHEST_PROTOCOL,
        )
    os.replace(tmp, path)  # atomic: a concurrent build never reads half a file
