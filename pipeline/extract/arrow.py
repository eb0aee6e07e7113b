"""One document's rows as Arrow tables of the warehouse's declared column types.

Pool workers convert their rows here, so that the build process receives tables it hands to
DuckDB as they are (no row-by-row work in the process that loads), and cache entries hold the
same tables in Arrow's IPC format: reading an entry back is a checksum and a zero-copy read.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from functools import cache

import pyarrow as pa

from pipeline.harmonise import OBSERVATION_COLUMNS, UNMAPPED_COLUMNS

# the tables a document fills, and the order of the columns in its records
RECORD_COLUMNS = {"observation": OBSERVATION_COLUMNS, "unmapped": UNMAPPED_COLUMNS}


@cache
def record_schema(table: str) -> pa.Schema:
    """The declared columns of ``table`` (pipeline.warehouse.schema) as an Arrow schema."""
    import duckdb

    from pipeline.warehouse.schema import SCHEMA
    from pipeline.warehouse.tables import arrow_schema

    con = duckdb.connect()
    try:
        con.execute(SCHEMA)
        return arrow_schema(con, table)
    finally:
        con.close()


def to_table(table: str, records: list[tuple]) -> pa.Table:
    """Records (tuples in ``RECORD_COLUMNS[table]`` order) as an Arrow table of ``table``."""
    from pipeline.warehouse.tables import record_batch

    schema = record_schema(table)
    return pa.Table.from_batches([record_batch(table, schema, RECORD_COLUMNS[table], records)])


def to_records(table: str, data: pa.Table) -> list[tuple]:
    """The inverse of :func:`to_table`: tuples in ``RECORD_COLUMNS[table]`` order."""
    columns = [data.column(c).to_pylist() for c in RECORD_COLUMNS[table]]
    return list(zip(*columns, strict=True)) if columns else []


@dataclass
class DocRows:
    """One document's rows as Arrow tables, and the layouts its readers recognised."""

    layouts: list[str]
    observation: pa.Table
    unmapped: pa.Table
    cached: bool = False

    @property
    def n_observations(self) -> int:
        return self.observation.num_rows

    @property
    def n_unmapped(self) -> int:
        return self.unmapped.num_rows


_LENGTHS = struct.Struct("<III")  # bytes of the layouts (JSON), observation and unmapped IPC


def _ipc(data: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, data.schema) as writer:
        writer.write_table(data)
    return sink.getvalue().to_pybytes()


def encode_rows(rows: DocRows) -> bytes:
    """``rows`` as bytes: lengths, the layouts as JSON, then each table as an Arrow IPC stream."""
    layouts = json.dumps(rows.layouts).encode()
    obs, unm = _ipc(rows.observation), _ipc(rows.unmapped)
    return _LENGTHS.pack(len(layouts), len(obs), len(unm)) + layouts + obs + unm


def decode_rows(data: bytes | memoryview) -> DocRows:
    """What :func:`encode_rows` wrote; ValueError when it is not that (or of other columns)."""
    view = memoryview(data)
    try:
        a, b, c = _LENGTHS.unpack_from(view)
        at = _LENGTHS.size
        if at + a + b + c != len(view):
            raise ValueError("its length does not match its header")
        layouts = json.loads(bytes(view[at : at + a]))
        tables = []
        for table, start, size in (("observation", at + a, b), ("unmapped", at + a + b, c)):
            read = pa.ipc.open_stream(pa.py_buffer(view[start : start + size])).read_all()
            if not read.schema.equals(record_schema(table)):
                raise ValueError(f"its {table} columns are not the declared ones")
            tables.append(read)
    except (struct.error, pa.ArrowException, json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"it cannot be read ({type(e).__name__})") from None
    if not isinstance(layouts, list) or not all(isinstance(x, str) for x in layouts):
        raise ValueError("it holds no layouts")
    return DocRows(layouts, tables[0], tables[1])
