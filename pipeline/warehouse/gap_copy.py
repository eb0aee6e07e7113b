"""The build's Arrow copy of the ``gap`` view (``gap.arrow``, beside ``warehouse.duckdb``).

``gap`` is what notebooks read whole. DuckDB hands its 40-odd columns over at about 4 ms per
10,000 rows; an uncompressed Arrow IPC file is memory-mapped in well under a millisecond, and
R's ``arrow``, Polars or pyarrow open it too. The copy is written (or linked from the previous
build, when ``gap_rows`` holds the same rows) with the build's exports, and carries the id of
the rows it holds, the fingerprint of ``gap_rows``, which the build also writes into that
table's comment (``mark``): :func:`published_gap` gives it only to a connection to a warehouse
whose ``gap_rows`` has the same id and as many rows, and otherwise ``None`` (the caller then
reads the view itself).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from pipeline.marts import GAP_ORDER

GAP_ARROW = "gap.arrow"
ROWS_KEY = b"chitieu.gap_rows"  # the Arrow file's metadata: the id of the rows it holds
_ID_MARK = "; rows id "  # before the id, at the end of gap_rows's comment


def gap_query(con: duckdb.DuckDBPyConnection) -> str:
    """SQL for the whole ``gap`` view in GAP_ORDER: the view sorts (``marts.create_views``);
    older warehouses' views (a plain scan of rows stored in order) get an ORDER BY."""
    found = con.sql(
        "SELECT sql FROM duckdb_views() WHERE view_name = 'gap' AND schema_name = current_schema()"
    ).fetchall()
    sorts = bool(found) and " ".join(found[0][0].split()).rstrip("; ").endswith(
        f"ORDER BY {GAP_ORDER}"
    )
    return "SELECT * FROM gap" + ("" if sorts else f" ORDER BY {GAP_ORDER}")


def rows_id(fingerprint: list) -> str:
    """The id of ``gap_rows``'s rows: their fingerprint (count, hash; ``inputs.fingerprints``)."""
    return f"{fingerprint[0]}-{fingerprint[1]}"


def mark(con: duckdb.DuckDBPyConnection, rows: str) -> None:
    """Write the rows' id at the end of ``gap_rows``'s comment (the view's order before it)."""
    (comment,) = con.sql(_COMMENT).fetchall()[0]
    comment = (comment or "").split(_ID_MARK)[0] + _ID_MARK + rows
    con.execute("COMMENT ON TABLE gap_rows IS " + "'" + comment.replace("'", "''") + "'")


_COMMENT = (
    "SELECT comment FROM duckdb_tables() WHERE table_name = 'gap_rows' "
    "AND schema_name = current_schema()"
)


def write_gap_copy(con: duckdb.DuckDBPyConnection, path: Path, rows: str) -> None:
    """Write ``gap.arrow`` (uncompressed, so that readers can map it) from the staged warehouse."""
    reader = con.sql(gap_query(con)).to_arrow_reader(batch_size=1 << 17)
    schema = reader.schema.with_metadata({ROWS_KEY: rows.encode()})
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
        for batch in reader:
            writer.write_batch(batch)


def published_gap(con: duckdb.DuckDBPyConnection) -> pa.Table | None:
    """The ``gap`` rows from the build's Arrow copy, when ``con``'s ``gap_rows`` are its rows."""
    try:
        found = con.sql(
            f"SELECT d.path, ({_COMMENT}), (SELECT count(*) FROM gap_rows) "
            "FROM duckdb_databases() d WHERE d.database_name = current_database()"
        ).fetchall()
    except duckdb.CatalogException:  # not a warehouse this package built
        return None
    if not found or not found[0][0] or _ID_MARK not in (found[0][1] or ""):
        return None
    path, comment, n_rows = found[0]
    try:
        source = pa.memory_map(str(Path(path).resolve().parent / GAP_ARROW))
    except OSError:  # none (a copied warehouse file), or not readable
        return None
    with source:
        try:
            reader = pa.ipc.open_file(source)
            metadata = reader.schema.metadata or {}
            if metadata.get(ROWS_KEY, b"").decode() != comment.split(_ID_MARK)[-1]:
                return None
            table = reader.read_all()
        except (pa.ArrowInvalid, OSError):  # not an Arrow file, or a damaged one
            return None
    # the mapping outlives the file object: the table's buffers keep it open
    return table.replace_schema_metadata(None) if table.num_rows == n_rows else None
