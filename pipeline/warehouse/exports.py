"""The build folder's exports: one Parquet file per table and view, and the Arrow copy of `gap`.

A table whose rows are those of the previous build (same fingerprint, ``inputs.fingerprints``)
has its exports hard-linked from that build's folder instead of written again, when the file
still has the hash recorded with it: a rebuild after one changed document rewrites only
the small tables and the ones that changed. Build folders are sealed read-only, so a shared file
never changes under either build.
"""

from __future__ import annotations

import hashlib
import mmap
import os
from pathlib import Path

import duckdb

import pipeline.warehouse.gap_copy as gap_copy
from pipeline import marts
from pipeline.warehouse.inputs import Previous
from pipeline.warehouse.schema import TABLES

# the fingerprinted table each export's rows come from (the others are written every build)
_ROWS_OF = {
    "observation": "observation",
    "unmapped": "unmapped",
    "source_document": "source_document",
    **{view: f"{view}_rows" for view in marts.VIEWS},
}


# what the gate and the record write (exported last); the rest is final once loaded, and is
# exported before the gate runs (while Great Expectations is imported)
OF_THE_BUILD = ("validation_result", "build_info")
OF_TABLES = tuple(n for n in (*TABLES, *marts.VIEWS) if n not in OF_THE_BUILD)


def write_exports(
    con: duckdb.DuckDBPyConnection,
    directory: Path,
    tables: dict[str, list],
    previous: Previous | None,
    names: tuple[str, ...],
) -> dict[str, str]:
    """Write (or link) the exports of ``names`` into ``directory`` (with ``gap``, its Arrow
    copy); returns each file's hash, for the record. ``tables`` are this build's fingerprints
    (``gap_rows``'s is also the Arrow copy's id: see ``gap_copy``)."""
    hashes = {}
    for name in names:
        rows_of = _ROWS_OF.get(name)
        writers = {f"{name}.parquet": lambda t, n=name: _parquet(con, n, t)}
        if name == "gap":
            rows_id = gap_copy.rows_id(tables["gap_rows"])
            gap_copy.mark(con, rows_id)
            writers[gap_copy.GAP_ARROW] = lambda t, r=rows_id: gap_copy.write_gap_copy(con, t, r)
        for file, write in writers.items():
            target = directory / file
            hashes[file] = _linked(previous, file, target, rows_of, tables)
            if hashes[file] is None:
                write(target)
                hashes[file] = _sha256(target)
    return hashes


def _parquet(con: duckdb.DuckDBPyConnection, name: str, target: Path) -> None:
    con.execute(f"COPY {name} TO '{target}' (FORMAT parquet)")


def _linked(
    previous: Previous | None, file: str, target: Path, rows_of: str | None, tables: dict
) -> str | None:
    """The previous build's ``file`` hard-linked as ``target`` when it holds the same rows and
    still has its recorded hash; that hash (None: not linked)."""
    if previous is None or not previous.same_build or rows_of is None:
        return None
    if previous.record.get("tables", {}).get(rows_of) != tables[rows_of]:
        return None
    source = previous.folder / file
    recorded = previous.record.get("exports", {}).get(file)
    try:
        if recorded is None or _sha256(source) != recorded:
            return None
        os.link(source, target)
    except OSError:
        return None
    return recorded


def _sha256(path: Path) -> str:
    """The file's SHA-256 in one call on a memory map: hashlib lets go of the GIL for all of it
    (Great Expectations is being imported in another thread meanwhile)."""
    with path.open("rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return hashlib.sha256().hexdigest()
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            return hashlib.sha256(mapped).hexdigest()
