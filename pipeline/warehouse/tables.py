"""The tables a build writes besides observations: documents, corrections, build information."""

from __future__ import annotations

import contextlib
import datetime as dt
import platform
import signal
import subprocess
import threading
from collections.abc import Iterable, Iterator, Mapping

import duckdb
import pandas as pd
import pyarrow as pa

from pipeline import __version__
from pipeline.errors import BuildError
from pipeline.settings import ROOT
from pipeline.sources import Source
from pipeline.sources.places import document_map
from pipeline.staging import EXTRACTOR_VERSION


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """A Ctrl-C (SIGINT) during the block takes effect when it ends. Python raises it wherever
    the main thread is, and raised inside a finaliser — ``Popen.__del__``, as the finished
    `git` process below is collected — it is printed as "Exception ignored" with a traceback
    and dropped: the build would go on. (Outside the main thread, where no handler can be set,
    or under a handler installed other than from Python, the block runs as it is.)"""
    main = threading.current_thread() is threading.main_thread()
    if not main or signal.getsignal(signal.SIGINT) is None:
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            signal.raise_signal(signal.SIGINT)  # as if it came now: KeyboardInterrupt


def _git_commit() -> str | None:
    with interrupts_deferred():
        try:
            out = subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=5,
            )
        except (OSError, subprocess.SubprocessError):
            return None
    return out.stdout.strip() or None


def source_table(sources: list[Source], layouts: dict[str, list[str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "source_id": s.source_id,
                "geo_code": s.geo_code,
                "title": " ".join(str(s.meta["title"]).split()),
                "title_en": s.meta.get("title_en"),
                "issuer": s.meta.get("issuer"),
                "issued_on": s.meta.get("issued_on"),
                "doc_number": s.meta.get("doc_number"),
                "url": s.meta.get("url"),
                "file_name": s.path.name,
                "sha256": s.sha256,
                "n_lines": s.n_lines,
                "default_year": s.meta.get("default_year"),
                "layouts": sorted(set(layouts.get(s.source_id, []))),
                "n_corrections": len(s.corrections),
                "extractor_version": EXTRACTOR_VERSION,
                "official_statistics": bool(s.meta.get("official_statistics", False)),
                "table_shape": s.meta["table"].shape if s.meta.get("table") else None,
                "geo_map": document_map(s.meta),
            }
            for s in sources
        ]
    ).astype({"default_year": "Int64"})


def correction_table(sources: list[Source], counts: Mapping[tuple[str, str], int]) -> pd.DataFrame:
    """Every correction, with ``counts[(source_id, correction_id)]`` observations touched."""
    rows = []
    for s in sources:
        for c in s.corrections:
            n = counts.get((s.source_id, str(c["id"])), 0)
            rows.append(
                {
                    "correction_id": str(c["id"]),
                    "source_id": s.source_id,
                    "action": c["action"],
                    "reason": c["reason"],
                    "quote": c["quote"],
                    "status": c.get("status", "active"),
                    "n_observations": n,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "correction_id",
            "source_id",
            "action",
            "reason",
            "quote",
            "status",
            "n_observations",
        ],
    )


def build_info_table(**counts: object) -> pd.DataFrame:
    """The one row of `build_info`: when, from which commit and code, and what was built."""
    return pd.DataFrame(
        [
            {
                "built_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
                "git_commit": _git_commit(),
                "package_version": __version__,
                "extractor_version": EXTRACTOR_VERSION,
                "duckdb_version": duckdb.__version__,
                "python_version": platform.python_version(),
                **counts,
            }
        ]
    )


# DuckDB types of the schema (pipeline.warehouse.schema) and the Arrow types that carry them.
_ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMP": pa.timestamp("us"),
    "VARCHAR[]": pa.list_(pa.string()),
}
BATCH_ROWS = 65_536  # rows per Arrow record batch when loading records


def arrow_schema(con: duckdb.DuckDBPyConnection, table: str) -> pa.Schema:
    """The declared columns of ``table`` as an Arrow schema: loading never guesses a type.

    DuckDB would otherwise infer each pandas column's type from a sample of its rows, and a
    list column whose sampled rows are all empty (``correction_ids`` when 1 % of documents
    carry corrections) is typed NULL[], so the first corrected row crashes the load.
    """
    fields = []
    for name, typ, *_ in con.execute(f"DESCRIBE {table}").fetchall():
        if typ not in _ARROW_TYPES:
            raise TypeError(f"{table}.{name}: no Arrow type for the schema's {typ}")
        fields.append(pa.field(name, _ARROW_TYPES[typ]))
    return pa.schema(fields)


def insert(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table | pa.RecordBatch) -> None:
    """Append Arrow ``data`` (of ``table``'s declared schema) to ``table``."""
    con.register("_rows", data)
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM _rows")
    finally:
        con.unregister("_rows")


def _column(values: list | tuple, field: pa.Field, table: str) -> pa.Array:
    try:
        return pa.array(values, type=field.type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as e:
        bad = next((v for v in values if not _fits(v, field.type)), None)
        raise BuildError(
            f"{table}.{field.name}: cannot store {bad!r} as {field.type} ({e})"
        ) from None


def _fits(value: object, typ: pa.DataType) -> bool:
    try:
        pa.array([value], type=typ)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return False
    return True


def record_batch(
    table: str, schema: pa.Schema, columns: list[str], rows: list[tuple]
) -> pa.RecordBatch:
    """Rows (tuples in ``columns`` order) as a record batch of ``schema`` (columns the rows
    lack are NULL); a value that does not fit its declared type stops the build."""
    by_column = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    arrays = [
        _column(
            by_column[columns.index(f.name)] if f.name in columns else [None] * len(rows), f, table
        )
        for f in schema
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def load_records(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: list[str],
    chunks: Iterable[list[tuple]],
) -> int:
    """Insert rows (tuples in ``columns`` order) in Arrow record batches of the declared types.

    ``chunks`` may be any iterable of row lists (a generator over documents): nothing beyond
    one batch is held here. Returns the number of rows inserted.
    """
    schema = arrow_schema(con, table)
    n = 0
    batch: list[tuple] = []
    for chunk in chunks:
        batch.extend(chunk)
        while len(batch) >= BATCH_ROWS:
            insert(con, table, record_batch(table, schema, columns, batch[:BATCH_ROWS]))
            n += BATCH_ROWS
            del batch[:BATCH_ROWS]
    if batch:
        insert(con, table, record_batch(table, schema, columns, batch))
        n += len(batch)
    return n


def load(con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame) -> None:
    """Insert ``df`` into ``table`` by column name, converted to the declared types (columns the
    frame lacks are NULL)."""
    schema = arrow_schema(con, table)
    missing = [name for name in schema.names if name not in df.columns]
    df = df.assign(**{name: pd.Series([None] * len(df), dtype=object) for name in missing})
    try:
        data = pa.Table.from_pandas(df[schema.names], schema=schema, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as e:
        raise BuildError(f"{table}: a value does not fit the declared schema ({e})") from None
    insert(con, table, data)
