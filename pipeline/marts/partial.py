"""A view's stored rows rebuilt for the places and indicators whose observations changed only.

A view listed in ``PARTITIONED`` computes each row from the observations of one key (for `gap`,
one place and one indicator) and the reference tables. When a build's observations differ from
the previous build's for a few keys only, the view's SQL runs, as is, on those keys'
observations (in a scratch database where they are the ``observation`` table and every other
table is the warehouse's), and the stored rows are the previous build's (in the copy of its
warehouse the build patches), with each changed key's rows deleted and its new rows appended: a
handful of statements instead of the whole view. The rows are those a computation from scratch
gives; the view returns them in its documented order whatever order they are stored in.
"""

from __future__ import annotations

import duckdb

from pipeline.marts.sql import Delta, fingerprint, fingerprint_sql, view_sql

# view -> the columns that partition it (its stored order starts with them)
PARTITIONED = {"gap": ("geo_code", "indicator_code"), "yardstick": ("geo_code", "indicator_code")}
# what a view's SQL reads besides the warehouse's tables: `yardstick` reads `gap` (stored by
# then), of the changed keys and of the country (the national targets every row is paired with)
READS_VIEW = {"yardstick": "gap"}
# more changed keys than this: the whole view is computed, as in a build from scratch
MAX_CHANGED_KEYS = 256
SCRATCH = "partial_view"


def changed_sql(cols: str, previous: str) -> str:
    """SQL for the keys ``cols`` whose observations may differ from the previous build's: those
    of the documents ``$f`` (loaded now, and their old rows) and of the previous build's documents
    gone since. The gate selects the rows to validate again by the same keys."""
    fresh = "source_id IN (SELECT unnest($f::VARCHAR[]))"
    return f"""SELECT DISTINCT {cols} FROM observation WHERE {fresh}
        UNION SELECT DISTINCT {cols} FROM {previous}.observation
        WHERE {fresh} OR source_id NOT IN (SELECT source_id FROM source_document)"""


def changed_keys(
    con: duckdb.DuckDBPyConnection, name: str, previous: str, fresh: list[str]
) -> list[tuple] | None:
    """The keys of ``name`` whose observations may differ from the previous build's
    (:func:`changed_sql`). None when there are too many, or a key is missing, to rebuild them in
    part."""
    cols = ", ".join(PARTITIONED[name])
    keys = con.execute(changed_sql(cols, previous) + " ORDER BY ALL", {"f": fresh}).fetchall()
    nulls = " OR ".join(f"{c} IS NULL" for c in PARTITIONED[name])
    if name in READS_VIEW and {k[0] for k in keys} & _country_codes(con):
        return None  # a national target changed: every place's rows may change
    if (
        len(keys) > MAX_CHANGED_KEYS
        or any(v is None for k in keys for v in k)
        or con.execute(f"SELECT count(*) FROM {previous}.{name}_rows WHERE {nulls}").fetchone()[0]
    ):
        return None
    return keys


def _fresh_rows(con, name: str, order: str, keys: list[tuple], tables: list[str]) -> None:
    """The view's rows for ``keys``, computed by its SQL in a scratch database, into the temp
    table ``fresh_<name>`` (sorted)."""
    home = '"' + con.execute("SELECT current_database()").fetchone()[0].replace('"', '""') + '"'
    cols = PARTITIONED[name]
    con.execute(f"ATTACH ':memory:' AS {SCRATCH}")
    try:
        _values_table(con, f"changed_{name}", cols, keys)
        match = " AND ".join(f"o.{c} = k.{c}" for c in cols)
        con.execute(
            f"CREATE TABLE {SCRATCH}.observation AS SELECT o.* FROM {home}.observation o "
            f"SEMI JOIN changed_{name} k ON {match}"
        )
        for table in tables:
            con.execute(f"CREATE VIEW {SCRATCH}.{table} AS SELECT * FROM {home}.{table}")
        if name in READS_VIEW:
            view = READS_VIEW[name]
            con.execute(
                f"CREATE TABLE {SCRATCH}.{view} AS SELECT v.* FROM {home}.{view}_rows v "
                f"WHERE v.geo_code IN (SELECT unnest($c::VARCHAR[])) "
                f"OR (v.geo_code, v.indicator_code) IN (SELECT (k.geo_code, k.indicator_code) "
                f"FROM changed_{name} k) ORDER BY v.rowid",
                {"c": sorted(_country_codes(con))},
            )
        con.execute(f"USE {SCRATCH}")
        try:
            con.execute(view_sql(name))
        finally:
            con.execute(f"USE {home}")
        con.execute(
            f"CREATE TEMP TABLE fresh_{name} AS SELECT * FROM {SCRATCH}.{name} ORDER BY {order}"
        )
    finally:
        con.execute(f"DETACH {SCRATCH}")


def _country_codes(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        r[0] for r in con.execute("SELECT geo_code FROM geo WHERE level = 'country'").fetchall()
    }


def _values_table(
    con: duckdb.DuckDBPyConnection, table: str, columns: tuple[str, ...], rows: list[tuple]
) -> None:
    """A temporary table ``table`` of ``rows`` (text values) in ``columns``."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM (VALUES {_values(rows)}) "
        f"AS k({', '.join(columns)})"
    )


def _values(keys: list[tuple]) -> str:
    def lit(v: object) -> str:
        return "'" + str(v).replace("'", "''") + "'"

    return ", ".join("(" + ", ".join(lit(v) for v in k) + ")" for k in keys)


def patch_rows(
    con: duckdb.DuckDBPyConnection,
    name: str,
    order: str,
    keys: list[tuple],
    tables: list[str],
) -> Delta:
    """``<name>_rows`` of a copy of the previous build's warehouse, with the rows of ``keys``
    replaced by the view's rows for them: work in proportion to the keys, whatever the table's
    size. The view sorts (see ``create_views``), so where the rows lie does not matter. Returns
    the fingerprints of the rows deleted and added."""
    if not keys:
        return (0, 0), (0, 0)
    _fresh_rows(con, name, order, keys, tables)
    rows = f"{name}_rows"
    match = " AND ".join(f"t.{c} = k.{c}" for c in PARTITIONED[name])
    deleted = fingerprint(con, fingerprint_sql(rows, join=f"SEMI JOIN changed_{name} k ON {match}"))
    con.execute(f"DELETE FROM {rows} t USING changed_{name} k WHERE {match}")
    con.execute(f"INSERT INTO {rows} SELECT * FROM fresh_{name}")
    return deleted, fingerprint(con, fingerprint_sql(f"fresh_{name}"))
