"""The build's Arrow copy of the ``gap`` view (``gap.arrow``, beside ``warehouse.duckdb``).

``gap`` is what notebooks read whole. DuckDB hands its 40-odd columns over at about 4 ms per
10,000 rows; an uncompressed Arrow IPC file is memory-mapped in well under a millisecond, and
R's ``arrow``, Polars or DuckDB (``read_arrow`` where available) open it too. The copy is written
by the build that wrote the warehouse, sealed and published with it, and carries the build's id:
:func:`published_gap` gives it only to a connection to that same build, with as many rows as the
view, and otherwise ``None`` (the caller then reads the view itself).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from pipeline.marts import GAP_ORDER

GAP_ARROW = "gap.arrow"
BUILD_ID_KEY = b"chitieu.build_id"


def gap_query(con: duckdb.DuckDBPyConnection) -> str:
    """SQL for the whole ``gap`` view in GAP_ORDER: the view sorts (``marts.create_views``);
    older warehouses' views (a plain scan of rows stored in order) get an ORDER BY."""
    (sql,) = con.sql(
        "SELECT sql FROM duckdb_views() WHERE view_name = 'gap' AND schema_name = current_schema()"
    ).fetchall()[0]
    sorts = " ".join(sql.split()).rstrip("; ").endswith(f"ORDER BY {GAP_ORDER}")
    return "SELECT * FROM gap" + ("" if sorts else f" ORDER BY {GAP_ORDER}")


def write_gap_copy(con: duckdb.DuckDBPyConnection, directory: Path, build_id: str) -> Path:
    """Write ``gap.arrow`` (uncompressed, so that readers can map it) from the staged warehouse."""
    path = directory / GAP_ARROW
    reader = con.sql(gap_query(con)).to_arrow_reader(batch_size=1 << 17)
    schema = reader.schema.with_metadata({BUILD_ID_KEY: build_id.encode()})
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
        for batch in reader:
            writer.write_batch(batch)
    return path


def published_gap(con: duckdb.DuckDBPyConnection) -> pa.Table | None:
    """The ``gap`` rows from the build's Arrow copy, when ``con`` is that build's warehouse."""
    try:
        rows = con.sql(
            "SELECT d.path, (SELECT max(build_id) FROM build_info), (SELECT count(*) FROM gap) "
            "FROM duckdb_databases() d WHERE d.database_name = current_database()"
        ).fetchall()
    except duckdb.CatalogException:  # not a warehouse this package built
        return None
    if not rows or not rows[0][0] or rows[0][1] is None:
        return None
    path, build_id, n_rows = rows[0]
    copy = Path(path).resolve().parent / GAP_ARROW
    try:
        source = pa.memory_map(str(copy))
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return None
    with source:
        try:
            reader = pa.ipc.open_file(source)
        except pa.ArrowInvalid:
            return None
        metadata = reader.schema.metadata or {}
        if metadata.get(BUILD_ID_KEY) != build_id.encode():
            return None
        table = reader.read_all()
    # the mapping outlives the file object: the table's buffers keep it open
    return table.replace_schema_metadata(None) if table.num_rows == n_rows else None
