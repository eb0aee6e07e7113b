"""Loading the documents' rows into a staged warehouse, in document order, a batch at a time.

Each document's rows come as Arrow tables (extracted now, or read from the cache), or are
already there: when the published build holds the rows of some documents (same documents, same
code, reference data and library versions), the staged file starts as a copy of its warehouse
file, whose tables are fingerprint-checked first (``inputs.Previous.verified``). The rows of the
documents changed or gone since are deleted, the changed and new documents' rows appended, and
every other table (reference, documents, corrections) loaded afresh; the marts' stored rows are
recomputed for the places and indicators whose observations changed only. A copy costs a file
copy however large the warehouse; a rebuild after one changed document touches that document's
rows. The tables then hold the rows a build from scratch gives; the document tables' rows are in
the order they were loaded (documents changed since the first build come last), and the marts'
views return theirs in their documented order.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from pipeline import marts, settings
from pipeline.extract.arrow import DocRows
from pipeline.extract.run import RowStream
from pipeline.marts.sql import Fingerprint, fingerprint, fingerprint_sql
from pipeline.reference import geo_2025_table, indicator_table, unit_table
from pipeline.sources import Source
from pipeline.warehouse.inputs import DOCUMENT_TABLES
from pipeline.warehouse.schema import SCHEMA, TABLES
from pipeline.warehouse.staged import Staged
from pipeline.warehouse.tables import (
    BATCH_ROWS,
    correction_table,
    insert,
    load,
    source_table,
)

PREVIOUS = "previous"  # the schema name the previous warehouse is attached as


class DocumentLoader:
    """Appends documents' rows to the document tables, a batch at a time; ``counts`` records
    each document's number of rows per table (its own, or the previous build's for a kept one)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.n = dict.fromkeys(DOCUMENT_TABLES, 0)  # rows of the tables
        self.batch: dict[str, list[pa.Table]] = {t: [] for t in DOCUMENT_TABLES}
        self.batch_rows = dict.fromkeys(DOCUMENT_TABLES, 0)
        self.counts: list[dict[str, int]] = []
        self.uncommitted = 0  # rows appended in the open transaction

    def add(self, rows: DocRows) -> None:
        """A document's rows as Arrow tables."""
        for table in DOCUMENT_TABLES:
            data = getattr(rows, table)
            self.n[table] += data.num_rows
            if data.num_rows:
                self.batch[table].append(data)
                self.batch_rows[table] += data.num_rows
                if self.batch_rows[table] >= BATCH_ROWS:
                    self._flush_batch(table)
        self.counts.append({t: getattr(rows, t).num_rows for t in DOCUMENT_TABLES})

    def kept(self, counts: dict[str, int]) -> None:
        """A document whose rows (``counts`` per table) the copied warehouse holds."""
        for table in DOCUMENT_TABLES:
            self.n[table] += counts[table]
        self.counts.append(dict(counts))

    def finish(self) -> None:
        for table in DOCUMENT_TABLES:
            self._flush_batch(table)

    def _flush_batch(self, table: str) -> None:
        if self.batch[table]:
            # one chunk: DuckDB pays per chunk it scans, and a document's rows are a few dozen
            insert(self.con, table, pa.concat_tables(self.batch[table]).combine_chunks())
            self.uncommitted += self.batch_rows[table]
            self.batch[table], self.batch_rows[table] = [], 0
            if self.uncommitted >= settings.LOAD_COMMIT_ROWS:  # memory bounded in the corpus
                self.con.execute("COMMIT")
                self.con.execute("BEGIN TRANSACTION")
                self.uncommitted = 0


def correction_counts(
    con: duckdb.DuckDBPyConnection, source_ids: list[str]
) -> Counter[tuple[str, str]]:
    """Observations each correction touched, per (source_id, correction_id), from the loaded
    observations of the documents ``source_ids`` (those with corrections)."""
    if not source_ids:
        return Counter()
    rows = con.execute(
        """SELECT source_id, c, count(*) FROM (
             SELECT source_id, unnest(list_distinct(correction_ids)) AS c FROM observation
             WHERE source_id IN (SELECT unnest(?::VARCHAR[])))
           GROUP BY ALL""",
        [source_ids],
    ).fetchall()
    return Counter({(s, c): n for s, c, n in rows})


def _per_source(source: Source, layouts: list[str], counts: dict, cached: bool) -> dict:
    return {
        "source_id": source.source_id,
        "observations": counts["observation"],
        "unmapped": counts["unmapped"],
        "layouts": ",".join(sorted(set(layouts))),
        "corrections": len(source.corrections),
        "cached": cached,
    }


def load_documents(
    con: duckdb.DuckDBPyConnection, staged: Staged, copied: list[bool], stream: RowStream
) -> None:
    """The document tables, and per document its line in the build output and its record."""
    loader = DocumentLoader(con)
    rows = iter(stream)
    # in transactions of many rows (DocumentLoader): DuckDB writes large appends straight to
    # the file, not through its log
    con.execute("BEGIN TRANSACTION")
    per_source, records = [], staged.record["sources"]
    for i, source in enumerate(staged.sources):
        if copied[i]:
            doc = staged.previous.by_id[source.source_id]
            loader.kept(doc["rows"])
            layouts, cached = doc["layouts"], True
        else:
            j, got = next(rows)
            assert j == i, (i, j)
            loader.add(got)
            layouts, cached = got.layouts, got.cached
        counts = loader.counts[-1]
        records[i].update(layouts=layouts, rows=counts)
        per_source.append(_per_source(source, layouts, counts, cached))
    loader.finish()
    con.execute("COMMIT")
    staged.per_source = per_source
    staged.n_observations = loader.n["observation"]
    staged.n_unmapped = loader.n["unmapped"]
    staged.n_cached = sum(p["cached"] for p in per_source)


def load_staged(
    staged: Staged, reference_dir: Path, geo: pd.DataFrame, copied: list[bool], stream: RowStream
) -> None:
    """Every table and mart of the staged file, each with its declared column types."""
    sources = staged.sources
    if any(copied):
        shutil.copyfile(staged.previous.warehouse, staged.path)
    with staged.connect() as con:
        if any(copied):
            kept = [s.source_id for s, c in zip(sources, copied, strict=True) if c]
            deleted = _keep_documents(con, kept)
            con.execute(f"ATTACH '{staged.previous.warehouse}' AS {PREVIOUS} (READ_ONLY)")
        else:
            con.execute(SCHEMA)
        load(con, "geo", geo)
        load(con, "geo_2025", geo_2025_table(reference_dir))
        load(con, "unit", unit_table(staged.catalog))
        load(con, "indicator", indicator_table(staged.catalog))
        load_documents(con, staged, copied, stream)
        layouts = {
            p["source_id"]: p["layouts"].split(",") if p["layouts"] else []
            for p in staged.per_source
        }
        load(con, "source_document", source_table(sources, layouts))
        corrected = [s.source_id for s in sources if s.corrections]
        load(con, "correction", correction_table(sources, correction_counts(con, corrected)))
        if any(copied):  # the marts of the keys whose observations changed only
            fresh = [s.source_id for s, c in zip(sources, copied, strict=True) if not c]
            for table, added in _rows_of(con, fresh).items():
                staged.deltas[table] = (deleted[table], added)
            others = [t for t in TABLES if t != "observation"]
            staged.deltas |= marts.create_views(con, PREVIOUS, fresh, others)
            con.execute(f"DETACH {PREVIOUS}")
        else:
            marts.create_views(con)
        con.execute("CHECKPOINT")


def _keep_documents(con: duckdb.DuckDBPyConnection, kept: list[str]) -> dict[str, Fingerprint]:
    """Empty a copy of the previous warehouse of all but the rows of the documents ``kept``
    (those of the document tables; every other table is loaded afresh); the fingerprints of
    the document tables' rows deleted."""
    con.execute("CREATE TEMP TABLE kept_source AS SELECT unnest(?::VARCHAR[]) AS source_id", [kept])
    gone, deleted = "source_id NOT IN (SELECT source_id FROM kept_source)", {}
    for table in DOCUMENT_TABLES:
        deleted[table] = fingerprint(con, fingerprint_sql(table, gone))
        con.execute(f"DELETE FROM {table} WHERE {gone}")
    for table in TABLES:
        if table not in DOCUMENT_TABLES:
            con.execute(f"DELETE FROM {table}")
    con.execute("DROP TABLE kept_source")
    return deleted


def _rows_of(con: duckdb.DuckDBPyConnection, fresh: list[str]) -> dict[str, Fingerprint]:
    """The fingerprints of the document tables' rows of the documents ``fresh`` (appended)."""
    con.execute(
        "CREATE TEMP TABLE fresh_source AS SELECT unnest(?::VARCHAR[]) AS source_id", [fresh]
    )
    where = "source_id IN (SELECT source_id FROM fresh_source)"
    added = {t: fingerprint(con, fingerprint_sql(t, where)) for t in DOCUMENT_TABLES}
    con.execute("DROP TABLE fresh_source")
    return added
