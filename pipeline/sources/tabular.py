"""Tabular sources: a CSV file in ``data/raw`` beside its YAML sidecar is a source like a text
document, in one of two shapes the sidecar's ``table:`` names.

* ``long`` — one figure per row, each row with its place, label, year, kind, comparator, value,
  unit, preliminary mark and its own citation (the instrument and the page's URL), as a
  compilation of figures cited from several pages is kept. Column names default to
  ``geo, label_vi, year, kind, comparator, value, unit, preliminary, instrument, published_as,
  url`` (``table.columns`` maps other headers onto them).
* ``wide`` — places or indicators by row (``table.rows``), years by column, as a statistics
  office's online database (PX-Web) exports a table: an optional title line, a header row of
  the rows' names and the years (``2022``, ``Sơ bộ 2023``), ``,`` or ``;`` between fields,
  quoted text, a decimal point or comma, ``..`` or ``-`` where there is no figure. Every row
  cites the sidecar's ``title`` and ``url``.

This module reads a table's rows with the line each was written on and checks what a build
cannot do without: every place known (and within the document's place), every figure a number,
every year a year, every figure cited. Anything else stops the build with the file, the line
and the column at fault. Which indicator a label names, and in which unit, is the staging
layer's (``pipeline.staging.tables``): an unknown label goes to ``unmapped`` there.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import InputError, ReferenceError
from pipeline.reference import GeoResolver
from pipeline.settings import relative as _rel
from pipeline.sources.places import document_map
from pipeline.sources.table_spec import DELIMITERS, FALSE, KINDS, LONG_COLUMNS, TRUE, TableSpec

COMPARATORS = {"=": "=", "~": "~", "<": "<", "<=": "<=", ">": ">", ">=": ">=", "≤": "<=", "≥": ">="}
# cells of a wide table that hold no figure (PX-Web and yearbooks: not available, none)
NO_FIGURE = {"", ".", "..", "...", "....", ".....", "......", "-", "–", "…", "x"}
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_URL = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class Record:
    """One CSV record: its cells and where it was written (1-based lines, text offsets of its
    first character and past its last, line break excluded)."""

    line_start: int
    line_end: int
    start: int
    end: int
    cells: list[str]


@dataclass(frozen=True)
class LongRow:
    """A row of a long table, checked."""

    record: Record
    geo_code: str
    place: str
    label: str
    year: int
    kind: str
    comparator: str
    value: float
    value_text: str
    unit: str
    preliminary: bool
    instrument: str
    url: str
    published_as: str | None
    condition: str | None
    unit_column: int  # where the unit was read (for messages about it)


@dataclass(frozen=True)
class YearColumn:
    index: int
    year: int
    header: str


@dataclass(frozen=True)
class WideRow:
    record: Record
    name: str  # the first column: a place or an indicator's label, as printed
    geo_code: str | None  # rows: places — None for a row naming a group of places
    unit: str | None  # rows: indicators — the unit column's cell
    values: dict[int, tuple[float, str]]  # column index -> (value, as printed)


@dataclass(frozen=True)
class WideTable:
    header: Record
    title: str | None
    years: list[YearColumn]
    rows: list[WideRow]
    unit_column: int  # -1: every figure is in the sidecar's table.unit


# ------------------------------------------------------------------------------ the records


def records(text: str, delimiter: str) -> list[Record]:
    """Every CSV record of ``text`` with its lines and offsets (blank lines are no records)."""
    bom = 1 if text.startswith("\ufeff") else 0  # a byte-order mark is no part of a cell
    physical = [m.group() for m in re.finditer(r"[^\n]*\n|[^\n]+$", text[bom:])]
    starts = [bom]
    for line in physical:
        starts.append(starts[-1] + len(line))
    reader = csv.reader(iter(physical), delimiter=delimiter, strict=True)
    out = []
    while True:
        first = reader.line_num
        try:
            cells = next(reader)
        except StopIteration:
            return out
        except csv.Error as e:
            raise ValueError(f"line {reader.line_num}: {e}") from None
        last = reader.line_num
        if not cells or all(not c.strip() for c in cells):
            continue
        end = starts[last] - len(physical[last - 1]) + len(physical[last - 1].rstrip("\r\n"))
        out.append(Record(first + 1, last, starts[first], end, [c.strip() for c in cells]))


def sniff_delimiter(text: str) -> str:
    """The field separator: the one that splits the first lines into the most fields."""
    head = "\n".join(text.split("\n")[:8])
    best, most = ",", 1
    for d in DELIMITERS:
        try:
            n = max((len(r.cells) for r in records(head, d)), default=0)
        except ValueError:
            continue
        if n > most:
            best, most = d, n
    return best


def parse_value(cell: str, decimal: str) -> float | None:
    """``73,6`` (decimal comma), ``1.234,5``, ``73.6``, ``1,234.5`` per ``decimal``; None if
    the cell is not one number written that way."""
    s = cell.strip().replace("\u2212", "-")
    sign = -1.0 if s.startswith("-") else 1.0
    s = s[1:] if s[:1] in "-+" else s
    group = "," if decimal == "." else "."
    d = re.escape(decimal)
    g = re.escape(group)
    if re.fullmatch(rf"\d+(?:{d}\d+)?", s) or re.fullmatch(
        rf"\d{{1,3}}(?:{g}\d{{3}})+(?:{d}\d+)?", s
    ):
        return sign * float(s.replace(group, "").replace(decimal, "."))
    return None


def _where(path: Path, line: int, column: int | None = None, header: str | None = None) -> str:
    col = f", column {column + 1} ({header!r})" if column is not None else ""
    return f"{_rel(path)}, line {line}{col}"


def _dialect(path: Path, text: str, spec: TableSpec) -> tuple[list[Record], str]:
    delimiter = spec.delimiter or sniff_delimiter(text)
    try:
        recs = records(text, delimiter)
    except ValueError as e:
        raise InputError(f"{_rel(path)}, {e}") from None
    if not recs:
        raise InputError(f"{_rel(path)}: the table has no rows")
    return recs, spec.decimal or ("," if delimiter == ";" else ".")


def placer(resolver: GeoResolver, doc_geo: str) -> Callable[[str], tuple[str | None, str]]:
    """A row's place: its code within the document's place, or None and why not."""

    def place(printed: str) -> tuple[str | None, str]:
        placed = resolver.within(doc_geo, printed)
        if placed.code is not None:
            return placed.code, ""
        try:
            code = resolver.resolve(printed)
        except ReferenceError as e:
            return None, str(e)
        if resolver.is_within(code, doc_geo):
            return code, ""
        return None, f"{printed!r} ({code}) is not within the document's place ({doc_geo})"

    return place


# ------------------------------------------------------------------------------ long tables


def _long_header(path: Path, header: Record, spec: TableSpec) -> dict[str, int]:
    index = {h: i for i, h in enumerate(header.cells)}
    found = {}
    for role, (default, required) in LONG_COLUMNS.items():
        name = spec.columns.get(role, default)
        if name in index:
            found[role] = index[name]
        elif required:
            raise InputError(
                f"{_where(path, header.line_start)}: no column {name!r} ({role}) in the header "
                f"{header.cells}; name it in the sidecar's table.columns if it is headed otherwise"
            )
    return found


def _long_row(
    path: Path, rec: Record, col: dict[str, int], header: Record, decimal: str, place
) -> LongRow:
    if len(rec.cells) != len(header.cells):
        raise InputError(
            f"{_where(path, rec.line_start)}: {len(rec.cells)} fields where the header has "
            f"{len(header.cells)}"
        )

    def cell(role: str) -> str:
        return rec.cells[col[role]] if role in col else ""

    def fail(role: str, problem: str) -> InputError:
        i = col[role]
        return InputError(f"{_where(path, rec.line_start, i, header.cells[i])}: {problem}")

    code, why = place(cell("geo"))
    if code is None:
        raise fail("geo", f"unknown place: {why}")
    for role, what in (("label", "label"), ("unit", "unit")):
        if not cell(role):
            raise fail(role, f"no {what}")
    for role in ("instrument", "url"):
        if not cell(role):
            raise fail(role, "missing citation: every row names its instrument and its url")
    if not _URL.fullmatch(cell("url")):
        raise fail("url", f"not a web address: {cell('url')!r}")
    if not re.fullmatch(r"\d{4}", cell("year")):
        raise fail("year", f"not a year: {cell('year')!r}")
    if cell("kind") not in KINDS:
        raise fail("kind", f"kind must be one of {list(KINDS)}, got {cell('kind')!r}")
    comparator = COMPARATORS.get(cell("comparator") or "=")
    if comparator is None:
        raise fail("comparator", f"not a comparator {sorted(COMPARATORS)}: {cell('comparator')!r}")
    value = parse_value(cell("value"), decimal)
    if value is None:
        raise fail("value", f"unparseable value {cell('value')!r} (decimal mark {decimal!r})")
    prelim = cell("preliminary").lower()
    if prelim not in TRUE and prelim not in FALSE:
        raise fail("preliminary", f"must be true or false, got {cell('preliminary')!r}")
    return LongRow(
        rec,
        code,
        cell("geo"),
        cell("label"),
        int(cell("year")),
        cell("kind"),
        comparator,
        value,
        cell("value"),
        cell("unit"),
        prelim in TRUE,
        cell("instrument"),
        cell("url"),
        cell("published_as") or None,
        cell("condition") or None,
        col["unit"],
    )


def long_rows(path: Path, text: str, spec: TableSpec, place) -> list[LongRow]:
    """The rows of a long table, each checked (InputError on the first fault)."""
    recs, decimal = _dialect(path, text, spec)
    header, body = recs[0], recs[1:]
    col = _long_header(path, header, spec)
    return [_long_row(path, rec, col, header, decimal, place) for rec in body]


# ------------------------------------------------------------------------------ wide tables


def _wide_header(path: Path, recs: list[Record]) -> tuple[int, list[YearColumn]]:
    for i, rec in enumerate(recs):
        years = [
            YearColumn(j, int(found[0]), cell)
            for j, cell in enumerate(rec.cells)
            if j > 0 and len(found := _YEAR.findall(cell)) == 1
        ]
        if len(rec.cells) > 1 and years:
            return i, years
    raise InputError(f"{_rel(path)}: no header row with year columns (2022, Sơ bộ 2023, ...)")


def _stub_columns(path: Path, header: Record, years: list[YearColumn], spec: TableSpec) -> int:
    """The unit column's index (-1: none); every other column must be a year or the first."""
    unit = -1
    for j, cell in enumerate(header.cells):
        if j == 0 or any(y.index == j for y in years):
            continue
        if spec.unit_column is not None and cell == spec.unit_column:
            unit = j
            continue
        raise InputError(
            f"{_where(path, header.line_start, j, cell)}: neither a year, nor the rows' names, "
            "nor the unit column (table.unit_column)"
        )
    if spec.unit_column is not None and unit < 0:
        raise InputError(f"{_where(path, header.line_start)}: no column {spec.unit_column!r}")
    if unit < 0 and spec.unit is None:
        raise InputError(f"{_rel(path)}: a wide table needs table.unit or table.unit_column")
    return unit


def _wide_row(path, rec, header, years, unit, decimal, spec, place) -> WideRow | None:
    if len(rec.cells) < 2:
        return None  # a note under the table ('Nguồn: ...'), no row of figures
    if len(rec.cells) != len(header.cells):
        raise InputError(
            f"{_where(path, rec.line_start)}: {len(rec.cells)} fields where the header has "
            f"{len(header.cells)}"
        )
    name = rec.cells[0]
    code = None
    if spec.rows == "places" and name not in spec.aggregates:
        code, why = place(name)
        if code is None:
            raise InputError(
                f"{_where(path, rec.line_start, 0, header.cells[0])}: unknown place: {why} "
                "(a group of places, such as a region, is listed in table.aggregates)"
            )
    values = {}
    for y in years:
        cell = rec.cells[y.index]
        if cell in NO_FIGURE:
            continue
        value = parse_value(cell, decimal)
        if value is None:
            where = _where(path, rec.line_start, y.index, y.header)
            raise InputError(f"{where}: unparseable value {cell!r} (decimal mark {decimal!r})")
        values[y.index] = (value, cell)
    row_unit = rec.cells[unit] if unit >= 0 else None
    return WideRow(rec, name, code, row_unit, values)


def wide_table(path: Path, text: str, spec: TableSpec, place) -> WideTable:
    """A wide table's header, title line and rows, each checked (InputError on the first)."""
    recs, decimal = _dialect(path, text, spec)
    at, years = _wide_header(path, recs)
    header = recs[at]
    titles = [r.cells[0] for r in recs[:at] if len(r.cells) == 1]
    unit = _stub_columns(path, header, years, spec)
    rows = [_wide_row(path, r, header, years, unit, decimal, spec, place) for r in recs[at + 1 :]]
    if spec.rows == "places" and spec.label is None and not titles:
        raise InputError(
            f"{_rel(path)}: no title line above the header, and no table.label: which "
            "indicator are the figures of?"
        )
    title = titles[0] if titles else None
    return WideTable(header, title, years, [r for r in rows if r], unit)


def check_table(path: Path, meta: dict, text: str, resolver: GeoResolver, geo_code: str) -> None:
    """Read a table source's rows once, so that a bad one stops the build before extraction
    (places on the document's map: ``pipeline.sources.places``)."""
    spec = meta.get("table")
    if spec is None:
        return
    place = placer(resolver.on_map(document_map(meta, path)), geo_code)
    if spec.shape == "long":
        long_rows(path, text, spec, place)
    else:
        wide_table(path, text, spec, place)
