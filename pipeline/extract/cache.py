"""The extraction cache: one file per document in ``.cache/extract``, keyed by its content.

An entry ``<key>.pkl`` lies in the folder named by the key's first two characters: a new entry
in a folder of a few dozen is written in a tenth of the time it takes among 10,000 (and two
workers writing at once rarely share a folder).

The key is everything a document's extraction depends on: its source id, its bytes, its checked
sidecar and corrections, the reference data (catalog, lexicon, units), the extractor version
and every file of the package the build runs (:func:`package_files`). A copied or renamed
document has another source id, hence another key: it is never served the original's rows.

An entry holds the document's rows as Arrow tables of the declared column types (written by the
pool worker that extracted it, read back without converting a row) and carries the SHA-256 of
its content; it is loaded only if the content still matches: a flipped bit on disk must not put
2700.001945 in the warehouse where the document says 2700. A bad entry is deleted and its
document extracted again, with a line in the build output. A cache that cannot be created, read
or written degrades to extracting without it, also with a line. Entries no build has used for
``CACHE_MAX_AGE_DAYS`` are deleted, and so are the oldest unused ones beyond
``CACHE_MAX_UNUSED_BYTES``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from pipeline.extract.arrow import DocRows, decode_rows
from pipeline.settings import CACHE_MAX_AGE_DAYS, CACHE_MAX_UNUSED_BYTES, PACKAGE_DIR, relative
from pipeline.sources import Source
from pipeline.staging import EXTRACTOR_VERSION

# Never imported by a build (tests/test_layers.py holds it so): edits there re-extract nothing.
_NOT_BUILD = ("analysis",)
MAGIC = b"chitieu-extract-cache 3\n"  # then the SHA-256 of the payload (hex) and a newline
_HEADER = len(MAGIC) + 65


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


def reference_files(reference_dir: Path) -> list[Path]:
    """The data files of the reference folder (its README aside), in a stable order."""
    return sorted(p for p in reference_dir.iterdir() if p.suffix in (".yaml", ".csv"))


def environment_hash(reference_dir: Path) -> str:
    """Hash of what every document's extraction depends on besides the document itself.

    The extractor version, the package's files (see :func:`package_files`) and the reference
    folder's data files (the catalog, the lexicon, the units, and the geography the readers
    place table rows with). Read afresh on every call, so a long-lived process (a notebook)
    never reuses results after the catalog was edited.
    """
    h = hashlib.sha256(EXTRACTOR_VERSION.encode())
    for path in package_files():
        h.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
        h.update(path.read_bytes())
    for path in reference_files(reference_dir):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def cache_key(source: Source, reference_dir: Path, env: str | None = None) -> str:
    """Content address of one document's extraction: what :func:`extract_one` reads of it.

    The checked sidecar and corrections (not their files, which may have changed since they were
    read), the source id (it is in every row), the geo code and the document's bytes.
    """
    h = hashlib.sha256((env or environment_hash(reference_dir)).encode())
    what = [source.source_id, source.geo_code, source.sha256, source.meta, source.corrections]
    h.update(json.dumps(what, sort_keys=True, ensure_ascii=False, default=str).encode())
    return h.hexdigest()[:32]


def entry_bytes(payload: bytes) -> bytes:
    """A cache entry of ``payload`` (``arrow.encode_rows``): header, checksum, payload."""
    return MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload


def _decode(data: bytes) -> DocRows:
    """The entry's rows; ValueError when it is not an intact entry of this version."""
    if not data.startswith(MAGIC) or len(data) < _HEADER:
        raise ValueError("not an entry of this cache version")
    payload = memoryview(data)[_HEADER:]
    if hashlib.sha256(payload).hexdigest().encode() != data[len(MAGIC) : _HEADER - 1]:
        raise ValueError("its checksum does not match its content")
    return decode_rows(payload)  # ValueError for an intact entry of other columns


def entry_path(folder: Path, key: str) -> Path:
    """Where the entry ``key`` lies in the cache ``folder``."""
    return folder / key[:2] / f"{key}.pkl"


def write_entry(folder: Path, key: str, payload: bytes) -> str | None:
    """Store ``payload`` as the entry ``key`` (atomically); the reason when it cannot be."""
    path = entry_path(folder, key)
    tmp = path.with_name(f".{key}.{os.getpid()}.tmp")
    try:
        try:
            tmp.write_bytes(entry_bytes(payload))
        except FileNotFoundError:  # the first entry of its folder
            path.parent.mkdir(exist_ok=True)
            tmp.write_bytes(entry_bytes(payload))
        os.replace(tmp, path)  # atomic: a concurrent build never reads half a file
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        return f"cannot be written ({e.strerror or e})"
    return None


class Cache:
    """The cache folder of one build; ``log`` says when an entry or the folder is unusable."""

    def __init__(self, folder: Path, log: Callable[[str], None]) -> None:
        self.folder, self.log = folder, log
        self.usable, self.n_discarded = True, 0
        try:
            folder.mkdir(parents=True, exist_ok=True)
            _remove_leftovers(folder)
        except OSError as e:
            self._give_up(f"cannot be used ({e.strerror or e})")

    def _give_up(self, why: str) -> None:
        if self.usable:
            self.log(
                f"  note: the extraction cache {relative(self.folder)} {why}; "
                "documents are extracted without it"
            )
        self.usable = False

    def entries(self) -> set[str]:
        """The keys of the entries in the folder (one listing; empty if unusable)."""
        if not self.usable:
            return set()
        try:
            return {key for key, _ in _entry_files(self.folder) if key is not None}
        except OSError as e:
            self._give_up(f"cannot be read ({e.strerror or e})")
            return set()

    def get(self, key: str, source_id: str) -> DocRows | None:
        """The cached rows of ``key``, or None (missing, or unusable and then deleted)."""
        if not self.usable:
            return None
        path = entry_path(self.folder, key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as e:
            return self._discard(path, source_id, f"cannot be read ({e.strerror})")
        try:
            rows = _decode(data)
        except ValueError as e:
            return self._discard(path, source_id, str(e))
        rows.cached = True
        with contextlib.suppress(OSError):  # pruned meanwhile, or a read-only cache: still a hit
            os.utime(path)  # last used now: pruning keeps what builds still use
        return rows

    def _discard(self, path: Path, source_id: str, why: str) -> None:
        self.n_discarded += 1
        self.log(f"  cache entry of {source_id} discarded ({why}): extracting it again")
        with contextlib.suppress(OSError):
            path.unlink()

    def put(self, key: str, payload: bytes) -> None:
        if self.usable and (problem := write_entry(self.folder, key, payload)):
            self.give_up(problem)

    def give_up(self, why: str) -> None:
        """Stop using the cache for this build, saying why once."""
        self._give_up(why)

    def prune(self, keep: set[str]) -> int:
        if not self.usable:
            return 0
        return prune_cache(self.folder, keep)


def _shards(folder: Path) -> list[Path]:
    """The folders entries lie in (the folder itself too: where the flat layout left them)."""
    with os.scandir(folder) as found:
        return [folder] + [
            Path(e.path) for e in found if len(e.name) == 2 and e.is_dir(follow_symlinks=False)
        ]


def _entry_files(folder: Path) -> Iterator[tuple[str | None, os.DirEntry]]:
    """(key, directory entry) of each entry file in the cache ``folder``; those the flat layout
    left directly in it have no key (they are never read, and pruned as unused)."""
    for shard in _shards(folder):
        flat = shard == folder
        try:
            found = os.scandir(shard)
        except FileNotFoundError:  # removed meanwhile: no entries
            continue
        with found:
            for entry in found:
                name = entry.name
                if not name.startswith(".") and name.endswith(".pkl"):
                    yield (None if flat else name[:-4]), entry


def _remove_leftovers(folder: Path) -> None:
    """Temporary files of builds that were killed while writing an entry."""
    for tmp in (t for shard in _shards(folder) for t in shard.glob(".*.tmp")):
        pid = tmp.name.rsplit(".", 2)[-2]
        if pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                tmp.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, not ours
        return True
    return True


def prune_cache(
    cache_dir: Path,
    keep: set[str],
    max_age_days: float = CACHE_MAX_AGE_DAYS,
    max_unused_bytes: int = CACHE_MAX_UNUSED_BYTES,
) -> int:
    """Delete cache entries not in ``keep`` unused for ``max_age_days``, and the oldest unused
    ones while they add up to more than ``max_unused_bytes``; how many files were deleted.

    Every code or catalog change re-keys all entries; without pruning the cache would grow by a
    corpus's worth each time. Entries stay a while so that switching between branches or raw
    folders does not re-extract everything, but never more than a bounded amount of them.
    """
    cutoff = time.time() - max_age_days * 86400
    unused: list[tuple[float, int, Path]] = []
    for key, entry in _entry_files(cache_dir):  # one per document: no Path objects for them all
        if key in keep:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        unused.append((st.st_mtime, st.st_size, Path(entry.path)))
    unused.sort(reverse=True)  # newest first
    total, removed = 0, 0
    for mtime, size, path in unused:
        total += size
        if mtime < cutoff or total > max_unused_bytes:
            try:
                path.unlink()
                removed += 1
            except OSError:  # pruned by a concurrent build, or not ours to delete: leave it
                continue
    return removed
