"""The build folder's exports: one Parquet file per table and view, and the Arrow copy of `gap`.

A table whose rows are those of the previous build (same fingerprint, ``inputs.fingerprints``)
has its Parquet file hard-linked from that build's folder instead of written again, when the
file still has the hash recorded with it: a rebuild after one changed document rewrites only
the small tables and the ones that changed. Build folders are sealed read-only, so a shared file
never changes under either build.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import duckdb

from pipeline import marts
from pipeline.warehouse.gap_copy import write_gap_copy
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
    build_id: str,
    tables: dict[str, list],
    previous: Previous | None,
    names: tuple[str, ...],
) -> dict[str, str]:
    """Write (or link) the exports of ``names`` into ``directory`` (with ``gap``, its Arrow
    copy); returns each Parquet file's hash, for the record. ``tables`` are this build's
    fingerprints."""
    hashes = {}
    for name in names:
        file = f"{name}.parquet"
        target = directory / file
        if not _linked(previous, file, target, _ROWS_OF.get(name), tables):
            con.execute(f"COPY {name} TO '{target}' (FORMAT parquet)")
        hashes[file] = _sha256(target)
        if name == "gap":
            write_gap_copy(con, directory, build_id)
    return hashes


def _linked(
    previous: Previous | None, file: str, target: Path, rows_of: str | None, tables: dict
) -> bool:
    if previous is None or not previous.same_build or rows_of is None:
        return False
    if previous.record.get("tables", {}).get(rows_of) != tables[rows_of]:
        return False
    source = previous.folder / file
    recorded = previous.record.get("exports", {}).get(file)
    try:
        if recorded is None or _sha256(source) != recorded:
            return False
        os.link(source, target)
    except OSError:
        return False
    return True


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
