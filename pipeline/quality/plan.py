"""Which rows each suite validates, in chunks, and which rows its whole-table checks need.

Expectations are of two kinds. A row-level one (a value in a set, not null, between bounds, a
pair of columns compared ...) judges each row on its own, given its helper columns: it can be
run on any subset of the rows, a chunk at a time, and the results added up. A key expectation
(a column's or a compound key's values unique) judges a row against every other: DuckDB finds
the rows whose key occurs more than once in the whole table (``candidates``), and the
expectation is run on those rows (all the rows it could flag) as well. A suite of the small
tables may hold any expectation: those tables are validated whole.

A build that reuses the previous build's validated rows (``Reuse``) validates row by row only
the rows new to this warehouse: the rows of the documents it did not copy, the `gap` rows that
differ from the previous build's or name an observation of such a document, and the rows the
previous build's gate flagged (so that its warnings are counted again, not lost). Every other
row passed every row-level check before, with the same helper columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline.marts.partial import changed_sql
from pipeline.quality.derived import PARTITIONED_SUITES, TABLE_OF
from pipeline.settings import GATE_CHUNK_ROWS

KEY_EXPECTATIONS = ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique")
ROW_LEVEL_PREFIXES = ("expect_column_values_to_", "expect_column_pair_values_")
PREVIOUS = "previous"  # the schema name of the previous warehouse in the gate's connection
# what names a row across builds, in the suites validated by parts
IDENTITY = {"gap": "target_observation_id", "yardstick": "target_observation_id"}
# (the others: their document, "source_id")


@dataclass
class Reuse:
    """What the gate may take from the previous build (validated with the same suites and code).

    ``previous``: its warehouse; ``fresh``: the documents whose rows it does not hold;
    ``unexpected``: per suite, the documents (`gap`: target observation ids) whose rows its
    gate flagged.
    """

    previous: Path
    fresh: set[str]
    unexpected: dict[str, list] = field(default_factory=dict)


def kind_of(expectation: dict) -> str:
    """'key', 'row' or 'table' (needs the whole table: only in suites validated whole)."""
    t = expectation["type"]
    if t in KEY_EXPECTATIONS:
        return "key"
    return "row" if t.startswith(ROW_LEVEL_PREFIXES) else "table"


def check_partitioned(spec: dict) -> None:
    """A suite validated by parts may hold row-level and key expectations only."""
    for i, e in enumerate(spec["expectations"]):
        if kind_of(e) == "table":
            raise ValueError(
                f"expectations/{spec['name']}.json: expectation {i} ({e['type']}) needs every "
                "row of the table at once, which the gate does not read into memory for this "
                "table; express it on rows (helper columns) or as a key"
            )


def _key_columns(expectation: dict) -> list[str]:
    kw = expectation["kwargs"]
    return list(kw["column_list"]) if "column_list" in kw else [kw["column"]]


def candidates(con: duckdb.DuckDBPyConnection, name: str, spec: dict) -> list[int]:
    """Rows (positions in the table) whose key, for some key expectation, is not unique."""
    table = TABLE_OF.get(name, name)
    found: set[int] = set()
    for e in spec["expectations"]:
        if kind_of(e) != "key":
            continue
        key = f"hash({', '.join(_key_columns(e))})"
        found.update(
            r[0]
            for r in con.execute(
                f"SELECT rowid FROM {table} WHERE {key} IN "
                f"(SELECT {key} FROM {table} GROUP BY 1 HAVING count(*) > 1)"
            ).fetchall()
        )
    return sorted(found)


@dataclass
class Selection:
    """The rows of a suite to validate row by row: all of them, or these positions."""

    n_rows: int
    rows: list[int] | None = None  # None: every row

    def chunks(self) -> list[tuple[str, dict]]:
        """(condition on the table ``t``, its parameters) for each chunk, in table order."""
        if self.rows is None:
            return [
                ("t.rowid >= $lo AND t.rowid < $hi", {"lo": a, "hi": a + GATE_CHUNK_ROWS})
                for a in range(0, max(self.n_rows, 1), GATE_CHUNK_ROWS)
            ]
        return [
            (
                "t.rowid IN (SELECT unnest($rows::BIGINT[]))",
                {"rows": self.rows[a : a + GATE_CHUNK_ROWS]},
            )
            for a in range(0, len(self.rows), GATE_CHUNK_ROWS)
        ]

    @property
    def n_selected(self) -> int:
        """The rows validated row by row."""
        return self.n_rows if self.rows is None else len(self.rows)

    @property
    def empty(self) -> bool:
        return self.rows is not None and not self.rows


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> list[int]:
    return [r[0] for r in con.execute(sql, params).fetchall()]


def select(con: duckdb.DuckDBPyConnection, name: str, reuse: Reuse | None) -> Selection:
    """What suite ``name`` validates row by row (see the module's docstring)."""
    table = TABLE_OF.get(name, name)
    n = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    if reuse is None:
        return Selection(n)
    flagged = list(reuse.unexpected.get(name, []))
    if name == "yardstick":
        return _yardstick_rows(con, n, flagged)
    if name != "gap":
        docs = sorted(reuse.fresh | set(flagged))
        sql = f"SELECT rowid FROM {table} WHERE source_id IN (SELECT unnest($d)) ORDER BY 1"
        return Selection(n, _rows(con, sql, {"d": docs}))
    sql = f"""SELECT DISTINCT g.rowid FROM gap_rows g
        LEFT JOIN {PREVIOUS}.gap_rows p ON p.target_observation_id = g.target_observation_id
        WHERE p.target_observation_id IS NULL OR g IS DISTINCT FROM p
           OR g.target_observation_id IN (SELECT unnest($flagged::VARCHAR[]))
           OR g.target_observation_id IN (SELECT observation_id FROM fresh_observation)
           OR g.baseline_observation_id IN (SELECT observation_id FROM fresh_observation)
           OR (g.geo_code, g.indicator_code) IN (SELECT (geo_code, indicator_code) FROM changed_key)
        ORDER BY 1"""
    return Selection(n, _rows(con, sql, {"flagged": flagged}))


def _yardstick_rows(con: duckdb.DuckDBPyConnection, n: int, flagged: list) -> Selection:
    """The yardstick's rows of the places and indicators whose observations changed, and those
    its previous gate flagged. Every row when a national target may have changed: a row is
    checked against every national statement of its indicator."""
    national = con.execute(
        "SELECT count(*) FROM changed_key k JOIN geo g USING (geo_code) WHERE g.level = 'country'"
    ).fetchall()[0][0]
    if national:
        return Selection(n)
    sql = """SELECT rowid FROM yardstick_rows g
        WHERE (g.geo_code, g.indicator_code) IN (SELECT (geo_code, indicator_code) FROM changed_key)
           OR g.target_observation_id IN (SELECT unnest($flagged::VARCHAR[]))
        ORDER BY 1"""
    return Selection(n, _rows(con, sql, {"flagged": flagged}))


def attach_previous(con: duckdb.DuckDBPyConnection, reuse: Reuse) -> None:
    """The previous warehouse, the observations of the fresh documents, and the places and
    indicators whose observations changed (of fresh documents, now or before, and of documents
    gone since), for ``select``."""
    con.execute(f"ATTACH '{reuse.previous}' AS {PREVIOUS} (READ_ONLY)")
    fresh = {"f": sorted(reuse.fresh)}
    con.execute(
        "CREATE TEMP TABLE fresh_observation AS SELECT observation_id FROM observation "
        "WHERE source_id IN (SELECT unnest($f::VARCHAR[]))",
        fresh,
    )
    keys = changed_sql("geo_code, indicator_code", PREVIOUS)
    con.execute(f"CREATE TEMP TABLE changed_key AS {keys}", fresh)


def previous_results(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict]]:
    """The previous build's gate results, per suite, in the order it recorded them."""
    found = con.execute(f"SELECT * FROM {PREVIOUS}.validation_result")
    names = [d[0] for d in found.description]
    out: dict[str, list[dict]] = {}
    for row in found.fetchall():
        r = dict(zip(names, row, strict=True))
        r.update(why=r["details"], rows=[], exception=None, fix=None, where=[], rowids=[])
        out.setdefault(r["suite"], []).append(r)
    return out


__all__ = ["PARTITIONED_SUITES", "Reuse", "Selection", "candidates", "select"]
