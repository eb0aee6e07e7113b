"""Sources layer: the immutable documents in ``data/raw`` and the sidecars that describe them.

A document is a pair ``<source_id>.txt`` (or a table, ``<source_id>.csv``) +
``<source_id>.yaml``; an optional ``<source_id>.corrections.yaml`` holds quote-checked
corrections. Adding a plan is dropping
files here. Anything malformed stops the build with one message naming the file (and line/key):
documents are regular files (no symlinks, directories or devices), UTF-8 without NUL bytes, of
at most ``MAX_DOCUMENT_BYTES``, named by a lower-case slug.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import InputError
from pipeline.reference import GeoResolver
from pipeline.settings import MAX_DOCUMENT_BYTES
from pipeline.settings import relative as _rel
from pipeline.sources.corrections import read_corrections
from pipeline.sources.sidecar import SLUG, Places, read_sidecar
from pipeline.sources.strict_yaml import read_regular_file
from pipeline.sources.table_spec import SUFFIXES, check_table_sidecar
from pipeline.sources.tabular import check_table

CORRECTIONS_SUFFIX = ".corrections.yaml"


@dataclass
class Source:
    source_id: str
    path: Path
    sidecar: Path
    meta: dict
    geo_code: str
    text: str | None  # None once discovered without keeping it: read_text() reads it again
    sha256: str
    n_lines: int
    corrections_path: Path | None = None
    corrections: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # said in the build output

    @property
    def default_year(self) -> int | None:
        return self.meta.get("default_year")

    def read_text(self) -> str:
        """The document's text: as discovered, or read again (the same bytes, or an error)."""
        if self.text is not None:
            return self.text
        text, data = _decode(self.path)
        if hashlib.sha256(data).hexdigest() != self.sha256:
            raise InputError(
                f"{_rel(self.path)}: changed while the build was reading it; run the build again"
            )
        return text


def _decode(path: Path) -> tuple[str, bytes]:
    data = read_regular_file(path, MAX_DOCUMENT_BYTES, "document")  # names the file itself
    if not data.strip():
        raise InputError(f"{_rel(path)}: the document is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise InputError(
            f"{_rel(path)}, line {line}: not UTF-8 "
            f"(byte 0x{data[e.start]:02x} at offset {e.start}); "
            "save the document as UTF-8"
        ) from None
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data[:nul].count(b"\n") + 1
        raise InputError(
            f"{_rel(path)}, line {line}: a NUL byte at offset {nul}; a document is plain text "
            "(was it saved as UTF-16, or is it a binary file?)"
        )
    return text, data


def _slug_of(stem: str) -> str:
    """A slug suggested for a file name: lower case, no diacritics (đ as d), '-' between."""
    plain = unicodedata.normalize("NFD", stem.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-") or "document"


def _check_kind(path: Path) -> None:
    """Regular files only: a symlink could lead out of the raw folder, a FIFO would hang."""
    mode = path.lstat().st_mode
    if stat.S_ISLNK(mode):
        raise InputError(
            f"{_rel(path)}: is a symbolic link; the raw folder holds regular files only "
            "(copy the file in instead)"
        )
    if stat.S_ISDIR(mode):
        raise InputError(f"{_rel(path)}: is a directory; the raw folder holds files only")
    if not stat.S_ISREG(mode):
        raise InputError(f"{_rel(path)}: is not a regular file")


def _listing(raw_dir: Path) -> tuple[dict[str, Path], dict[str, Path], dict[str, Path]]:
    """Documents, sidecars and corrections files by stem; a name that is no slug stops here."""
    texts: dict[str, Path] = {}
    sidecars: dict[str, Path] = {}
    corrections: dict[str, Path] = {}
    try:
        names = sorted(os.listdir(raw_dir))
    except OSError as e:
        raise InputError(
            f"{_rel(raw_dir)}: the raw document folder cannot be read ({e.strerror})"
        ) from None
    for name in names:
        if name.endswith(CORRECTIONS_SUFFIX):
            stem, into = name[: -len(CORRECTIONS_SUFFIX)], corrections
        elif name.endswith((*SUFFIXES, ".yaml")):  # a text or a table, or a sidecar
            stem, into = name.rsplit(".", 1)[0], sidecars if name.endswith(".yaml") else texts
        else:
            continue  # README, .gitkeep and the like
        path = raw_dir / name
        _check_kind(path)
        if not SLUG.fullmatch(stem):
            raise InputError(
                f"{_rel(path)}: the file name {stem!r} must be a lower-case slug "
                f"(a-z, 0-9, '-'), e.g. {_slug_of(stem)!r}: it becomes the source_id"
            )
        if into is texts and stem in texts:
            raise InputError(
                f"{_rel(path)}: {texts[stem].name} has the same name; one sidecar "
                f"({stem}.yaml) describes one document"
            )
        into[stem] = path
    return texts, sidecars, corrections


def _check_pairs(
    texts: dict[str, Path], sidecars: dict[str, Path], corrections: dict[str, Path]
) -> None:
    for stem, p in sorted(texts.items()):
        if stem not in sidecars:
            raise InputError(
                f"{_rel(p)}: no sidecar; add {_rel(p.with_suffix('.yaml'))} with geo and title"
            )
    for stem, p in sorted(sidecars.items()):
        if stem not in texts:
            raise InputError(
                f"{_rel(p)}: sidecar without a document; expected "
                f"{_rel(p.with_suffix('.txt'))} or a table {p.with_suffix('.csv').name}"
            )
    for stem, p in sorted(corrections.items()):
        if stem not in texts:
            raise InputError(
                f"{_rel(p)}: corrections for a document that does not exist ({stem}.txt)"
            )


def discover(
    raw_dir: Path,
    resolver: GeoResolver,
    keep_text: bool = True,
    known: Callable[[str], Source | None] | None = None,
    map_reads: Callable[[Callable, list], Iterable] = map,
) -> list[Source]:
    """All documents in ``raw_dir``, checked; raises :class:`InputError` on the first problem.

    ``keep_text=False`` checks each text and lets it go (``Source.read_text`` reads it again):
    a build does not hold a corpus of texts in memory. ``known(stem)`` may return the document
    as an earlier discovery checked it when none of its files changed since (a build passes the
    previous build's record); the folder's listing and the checks across documents are always
    made afresh. The other documents are read in chunks by ``map_reads`` (a build passes one
    that maps in forked worker processes: ``extract.workers.forked_map``), in order, so that the
    first problem found is the one a reading in order finds.
    """
    global _reading
    if not raw_dir.is_dir():
        raise InputError(f"{_rel(raw_dir)}: raw document folder not found")
    texts, sidecars, corrections = _listing(raw_dir)
    _check_pairs(texts, sidecars, corrections)
    stems = sorted(texts)
    given = {stem: known(stem) for stem in stems} if known is not None else {}
    todo = [stem for stem in stems if given.get(stem) is None]
    chunks = [todo[i : i + READ_CHUNK] for i in range(0, len(todo), READ_CHUNK)]
    _reading = (texts, sidecars, corrections, Places.of(resolver), resolver, keep_text)
    results = map_reads(_read_chunk, chunks)
    try:
        read = (s for chunk in results for s in chunk)
        sources: list[Source] = []
        seen: dict[str, Path] = {}
        for stem in stems:
            source = given.get(stem) or next(read)
            source_id, sidecar_path = source.source_id, source.sidecar
            if source_id in seen:
                raise InputError(
                    f"{_rel(sidecar_path)}: duplicate source_id {source_id!r} "
                    f"(also used by {_rel(seen[source_id])})"
                )
            seen[source_id] = sidecar_path
            sources.append(source)
    finally:
        _reading = None
        if hasattr(results, "close"):  # a pool stops at once on a problem
            results.close()
    if not sources:
        raise InputError(f"{_rel(raw_dir)}: no documents (*.txt or *.csv with a *.yaml sidecar)")
    return sources


# What _read_chunk reads (set by discover; forked workers inherit it): the folder's listing,
# the places and the resolver, whether texts are kept.
_reading: tuple | None = None
READ_CHUNK = 32  # documents per job of map_reads


def _read_chunk(stems: list[str]) -> list[Source]:
    texts, sidecars, corrections, places, resolver, keep_text = _reading
    return [
        _read_source(stem, texts, sidecars, corrections, places, resolver, keep_text)
        for stem in stems
    ]


def _read_source(
    stem: str,
    texts: dict[str, Path],
    sidecars: dict[str, Path],
    corrections: dict[str, Path],
    places: Places,
    resolver: GeoResolver,
    keep_text: bool,
) -> Source:
    """The document ``stem``: its sidecar, text and corrections read and checked."""
    path, sidecar_path = texts[stem], sidecars[stem]
    sidecar = read_sidecar(sidecar_path, places)
    check_table_sidecar(sidecar_path, sidecar.meta, path)
    source_id = sidecar.source_id or stem
    if not SLUG.fullmatch(source_id):
        raise InputError(
            f"{_rel(sidecar_path)}: source_id {source_id!r} must be a lower-case slug "
            "(a-z, 0-9, '-')"
        )
    text, data = _decode(path)
    check_table(path, sidecar.meta, text, resolver, sidecar.geo_code)
    corr_path = corrections.get(stem)
    corr = read_corrections(corr_path, text) if corr_path else []
    n_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    return Source(
        source_id,
        path,
        sidecar_path,
        sidecar.meta,
        sidecar.geo_code,
        text if keep_text else None,
        hashlib.sha256(data).hexdigest(),
        n_lines,
        corr_path,
        corr,
        sidecar.notes,
    )
