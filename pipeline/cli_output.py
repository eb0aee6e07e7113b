"""How the command line prints query results: a table for people, CSV and JSON for other tools.

One rule per kind of value, the same whatever the column's type:

=============  ===================  ==========================  ==================
value          table (default)      ``--csv``                   ``--json``
=============  ===================  ==========================  ==================
missing        ``NULL``             empty field                 ``null``
list           ``a;b`` (``;``)      ``a;b`` (``;``)             array
boolean        ``true``/``false``   ``true``/``false``          ``true``/``false``
number         shortest exact form  shortest exact form         number
date, time     ISO 8601             ISO 8601                    ISO 8601 string
=============  ===================  ==========================  ==================

An empty list and a missing one both print as an empty CSV field (``--json`` tells them
apart). CSV is RFC 4180 with ``\\n`` line ends and a header row; ``--json`` is one array of
objects. Rows are streamed in batches, so a reader that stops early (``| head``) stops the query.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import json
import math
import unicodedata
import uuid
from collections.abc import Iterator
from typing import Any, TextIO

FORMATS = ("table", "csv", "json")
MISSING = {"table": "NULL", "csv": ""}
LIST_SEPARATOR = ";"
TABLE_MAX_ROWS = 500  # the table is for reading; --csv and --json print every row
TABLE_MAX_WIDTH = 60  # characters per cell before "…"
BATCH = 1000


def rows_of(cursor) -> Iterator[tuple]:
    """The rows of an executed DuckDB query, fetched in batches."""
    while batch := cursor.fetchmany(BATCH):
        yield from batch


def _number(v: float | int | decimal.Decimal) -> str:
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return repr(v)  # the shortest text that reads back as the same double
    return str(v)


def text(v: Any, missing: str) -> str:
    """One value as text for the table and CSV (``missing`` for NULL)."""
    if v is None:
        return missing
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float | decimal.Decimal):
        return _number(v)
    if isinstance(v, list | tuple):
        return LIST_SEPARATOR.join(text(x, "") for x in v)
    if isinstance(v, dt.datetime | dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, dict):
        return json.dumps(json_value(v), ensure_ascii=False)
    return str(v)


def json_value(v: Any) -> Any:
    """One value as JSON: lists as arrays, NULL and non-finite numbers as null."""
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, list | tuple):
        return [json_value(x) for x in v]
    if isinstance(v, dict):
        return {str(k): json_value(x) for k, x in v.items()}
    if isinstance(v, dt.datetime | dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, uuid.UUID | dt.timedelta):
        return str(v)
    if isinstance(v, bytes):
        return v.hex()
    return str(v)


def write_csv(columns: list[str], rows: Iterator[tuple], out: TextIO) -> None:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(columns)
    for row in rows:
        w.writerow([text(v, MISSING["csv"]) for v in row])


def write_json(columns: list[str], rows: Iterator[tuple], out: TextIO) -> None:
    out.write("[")
    for i, row in enumerate(rows):
        record = {c: json_value(v) for c, v in zip(columns, row, strict=True)}
        out.write(("," if i else "") + "\n" + json.dumps(record, ensure_ascii=False))
    out.write("\n]\n")


def _cell(v: Any) -> str:
    s = unicodedata.normalize("NFC", text(v, MISSING["table"]))  # one glyph, one column
    s = " ".join(s.split())
    return s if len(s) <= TABLE_MAX_WIDTH else s[: TABLE_MAX_WIDTH - 1] + "…"


def write_table(columns: list[str], rows: Iterator[tuple], out: TextIO) -> None:
    """Aligned columns (numbers to the right) under a header; at most TABLE_MAX_ROWS rows."""
    shown, more = [], 0
    for row in rows:
        if len(shown) < TABLE_MAX_ROWS:
            shown.append(row)
        else:
            more += 1
    if not shown:
        out.write(("  ".join(columns) + "\n" if columns else "") + "(no rows)\n")
        return
    cells = [[_cell(v) for v in row] for row in shown]
    right = [
        all(isinstance(r[i], int | float | decimal.Decimal) or r[i] is None for r in shown)
        and not all(isinstance(r[i], bool) or r[i] is None for r in shown)
        for i in range(len(columns))
    ]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        padded = [
            v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)
        ]
        return "  ".join(padded).rstrip()

    out.write(line(list(columns)) + "\n")
    out.write(line(["-" * w for w in widths]) + "\n")
    for r in cells:
        out.write(line(r) + "\n")
    if more:
        out.write(f"... {more} more rows (--csv or --json print every row)\n")


WRITERS = {"table": write_table, "csv": write_csv, "json": write_json}


def write(cursor, fmt: str, out: TextIO) -> None:
    """Print the result of an executed DuckDB query in ``fmt`` (one of FORMATS)."""
    if cursor.description is None:  # a statement without a result (SET, PRAGMA ...)
        return
    columns = [d[0] for d in cursor.description]
    WRITERS[fmt](columns, rows_of(cursor), out)
