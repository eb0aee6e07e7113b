"""Loading the documents' rows into a staged warehouse, in document order, a batch at a time.

Each document's rows come either as Arrow tables (extracted now, or read from the cache) or, when
the previous warehouse holds them (same document, same extraction environment), as a range of
that warehouse's rows: consecutive such documents are copied with one ``INSERT ... SELECT`` of a
row range, so a rebuild after one changed document copies the rest in a few statements. The
tables end up with the rows a build from scratch gives, in the same order: documents in source
order, each document's rows in the order it was extracted.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from pipeline import marts
from pipeline.extract.arrow import DocRows
from pipeline.extract.run import RowStream
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
    """Appends each document's rows to the document tables, in the order documents are given;
    ``placed`` records where each document's rows went (start row and count, per table)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.n = dict.fromkeys(DOCUMENT_TABLES, 0)  # rows appended so far
        self.batch: dict[str, list[pa.Table]] = {t: [] for t in DOCUMENT_TABLES}
        self.batch_rows = dict.fromkeys(DOCUMENT_TABLES, 0)
        self.run: dict[str, list[int] | None] = dict.fromkeys(DOCUMENT_TABLES)  # [start, end)
        self.placed: list[dict[str, list[int]]] = []
        self.n_copy_statements = 0

    def add(self, rows: DocRows) -> None:
        """A document's rows as Arrow tables."""
        placed = {}
        for table in DOCUMENT_TABLES:
            data = getattr(rows, table)
            self._flush_run(table)
            placed[table] = [self.n[table], data.num_rows]
            self.n[table] += data.num_rows
            if data.num_rows:
                self.batch[table].append(data)
                self.batch_rows[table] += data.num_rows
                if self.batch_rows[table] >= BATCH_ROWS:
                    self._flush_batch(table)
        self.placed.append(placed)

    def copy(self, previous_rows: dict[str, list[int]]) -> None:
        """A document whose rows are ``previous_rows`` (start, count per table) of the previous
        warehouse (attached as ``PREVIOUS``)."""
        placed = {}
        for table in DOCUMENT_TABLES:
            start, count = previous_rows[table]
            placed[table] = [self.n[table], count]
            self.n[table] += count
            if not count:
                continue
            self._flush_batch(table)
            run = self.run[table]
            if run is not None and run[1] == start:
                run[1] = start + count
            else:
                self._flush_run(table)
                self.run[table] = [start, start + count]
        self.placed.append(placed)

    def finish(self) -> None:
        for table in DOCUMENT_TABLES:
            self._flush_run(table)
            self._flush_batch(table)

    def _flush_batch(self, table: str) -> None:
        if self.batch[table]:
            insert(self.con, table, pa.concat_tables(self.batch[table]))
            self.batch[table], self.batch_rows[table] = [], 0

    def _flush_run(self, table: str) -> None:
        run, self.run[table] = self.run[table], None
        if run is not None:
            self.con.execute(
                f"INSERT INTO {table} SELECT * FROM {PREVIOUS}.{table} "
                "WHERE rowid >= ? AND rowid < ?",
                run,
            )
            self.n_copy_statements += 1


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
    per_source, records = [], staged.record["sources"]
    for i, source in enumerate(staged.sources):
        if copied[i]:
            doc = staged.previous.by_id[source.source_id]
            loader.copy(doc["rows"])
            layouts, cached = doc["layouts"], True
        else:
            j, got = next(rows)
            assert j == i, (i, j)
            loader.add(got)
            layouts, cached = got.layouts, got.cached
        placed = loader.placed[-1]
        records[i].update(layouts=layouts, rows=placed)
        per_source.append(
            _per_source(source, layouts, {t: n for t, (_a, n) in placed.items()}, cached)
        )
    loader.finish()
    staged.per_source = per_source
    staged.n_observations = loader.n["observation"]
    staged.n_unmapped = loader.n["unmapped"]
    staged.n_cached = sum(p["cached"] for p in per_source)


def load_staged(
    staged: Staged, reference_dir: Path, geo: pd.DataFrame, copied: list[bool], stream: RowStream
) -> None:
    """Every table and mart of the staged file, each with its declared column types."""
    sources = staged.sources
    with staged.connect() as con:
        con.execute(SCHEMA)
        if any(copied):
            con.execute(f"ATTACH '{staged.previous.warehouse}' AS {PREVIOUS} (READ_ONLY)")
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
            others = [t for t in TABLES if t != "observation"]
            marts.create_views(con, PREVIOUS, fresh, others)
            con.execute(f"DETACH {PREVIOUS}")
        else:
            marts.create_views(con)
        con.execute("CHECKPOINT")
