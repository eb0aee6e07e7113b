"""Tables: the rows of a tabular source (a CSV, read by ``pipeline.sources.tabular``) become
figures, through the same catalog and unit harmonisation as text.

Each figure keeps its row: the span of the row's record is the figure's span, so the
observation's lines are the row's and its quote is the row as written. A label maps through the
catalog as a table row's label does; a table's unit column is deliberate, so a label whose
indicator is defined in another unit (a percentage of provinces read as a mortality rate) goes
to ``unmapped`` (``unit_mismatch``) rather than being corrected. A unit the reference does not
know stops the build, naming the file, line and column.

* long tables: one figure per row, with the row's own citation (instrument, URL) and official
  status (the instrument names one of ``table.official_instruments``);
* wide tables: one figure per row and year column; a column headed ``Sơ bộ 2023`` holds
  preliminary figures, ``Ước 2024`` estimates, ``Kế hoạch 2025`` targets (the lexicon's words);
  every figure cites the sidecar's title and URL.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pipeline.errors import InputError
from pipeline.reference import Catalog
from pipeline.settings import relative as _rel
from pipeline.sources.tabular import (
    LongRow,
    Record,
    WideRow,
    long_rows,
    placer,
    wide_table,
)
from pipeline.staging.records import Extraction, Figure, Unmapped
from pipeline.staging.state import Context
from pipeline.text import Document, fold_phrase, phrase_regex

LONG, WIDE = "csv_long", "csv_wide"  # the readers' names, in each figure's `reader`


def _nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


def _any_word(folded: str, words: list[str]) -> bool:
    return any(re.search(phrase_regex(fold_phrase(w)), folded) for w in words)


@dataclass
class _Reading:
    """One table being read: the document, the catalog, where figures and unmapped rows go."""

    doc: Document
    catalog: Catalog
    context: Context
    figures: list[Figure]
    unmapped: list[Unmapped]

    def span(self, rec: Record) -> tuple[int, int]:
        """The record's span in the document's text (offsets of the raw file, mapped)."""
        return self.doc.text_pos(rec.start), self.doc.text_pos(rec.end)

    def skip(self, rec: Record, code: str, reason: str) -> None:
        self.unmapped.append(Unmapped(*self.span(rec), code, reason))

    def unit(self, printed: str, rec: Record, column: int | None) -> str:
        """The unit code a table cell (or the sidecar) names: a code, an alias, or a cell
        holding one (the longest: 'Bác sĩ/vạn dân' is per 10,000)."""
        units = self.catalog.grammar.units
        if printed in units:
            return printed
        folded = fold_phrase(printed)
        for u in units.values():
            if any(fold_phrase(a) == folded for a in u.aliases):
                return u.code
        code, _kind = self.catalog.grammar.unit_from_text(folded)  # 'Bác sĩ/vạn dân'
        if code is not None:
            return code
        col = f", column {column + 1}" if column is not None and column >= 0 else " (table.unit)"
        where = (
            f"{_rel(self.context.file)}, line {rec.line_start}{col}" if self.context.file else ""
        )
        raise InputError(
            f"{where}: unknown unit {printed!r}: a unit code of units.yaml "
            f"({', '.join(units)}) or one of its aliases"
        )

    def indicator(
        self, label: str, printed_unit: str, rec: Record, column: int | None
    ) -> tuple[str, str] | None:
        """The catalog indicator a label names, and the unit code the table gives it; None (and
        an unmapped row) when none does, two do equally, or the best is defined in another
        unit. A row no indicator can match is unmapped before its unit is looked at, so a
        table's other rows ('Số hộ nghèo' in 'hộ') need no unit of ours."""
        grammar = self.catalog.grammar
        folded = fold_phrase(label)
        if not self.catalog.match(folded, has_denominator=True):
            self.skip(rec, "no_indicator", f"no catalog indicator matches {label!r}")
            return None
        unit = self.unit(printed_unit, rec, column)
        rate = grammar.units[unit].kind == "rate"
        found = self.catalog.match(folded, has_denominator=rate or grammar.has_denominator(folded))
        if not found:
            reason = f"no catalog indicator matches {label!r} counted in {unit}"
            self.skip(rec, "no_indicator", reason)
            return None
        if len(found) > 1 and found[1].score == found[0].score:
            both = " and ".join(m.code for m in found[:2])
            self.skip(rec, "ambiguous", f"{label!r} matches {both} equally")
            return None
        ind = self.catalog.indicators[found[0].code]
        reported = grammar.units[unit]
        if unit != ind.unit and (reported.convert or {}).get("to") != ind.unit:
            self.skip(
                rec,
                "unit_mismatch",
                f"{label!r} reads as {ind.code}, defined in {ind.unit}, but the table gives its "
                f"unit as {unit}: a different measure, not corrected to the definition",
            )
            return None
        return ind.code, unit


def _official(instrument: str, words: tuple[str, ...]) -> bool:
    return bool(words) and _any_word(fold_phrase(instrument), list(words))


def _read_long(r: _Reading) -> None:
    ctx = r.context
    spec = ctx.table
    place = placer(ctx.places, ctx.geo_code)
    for row in long_rows(ctx.file, r.doc.raw, spec, place):
        found = r.indicator(_nfc(row.label), row.unit, row.record, row.unit_column)
        if found is not None:
            r.figures.append(_long_figure(r, row, *found))


def _long_figure(r: _Reading, row: LongRow, code: str, unit: str) -> Figure:
    start, end = r.span(row.record)
    return Figure(
        code,
        row.year,
        row.kind,
        False,
        row.comparator,
        row.value,
        _nfc(row.value_text),
        _nfc(row.unit),
        unit,
        _nfc(row.label),
        start,
        end,
        LONG,
        condition=_nfc(row.condition) if row.condition else None,
        place_reported=_nfc(row.place),
        geo_code=row.geo_code,
        preliminary=row.preliminary,
        cited_instrument=_nfc(row.instrument),
        cited_url=row.url,
        cited_published_as=_nfc(row.published_as) if row.published_as else None,
        official_statistics=_official(row.instrument, r.context.table.official_instruments),
    )


def _column_marks(r: _Reading, header: str) -> tuple[str, bool, bool]:
    """A year column's kind, and whether its figures are preliminary or estimates."""
    lex = r.catalog.grammar.lexicon
    folded = fold_phrase(header)
    kind = r.context.table.kind
    if _any_word(folded, lex["column_kinds"]["target"]):
        kind = "target"
    elif _any_word(folded, lex["column_kinds"]["actual"]):
        kind = "actual"
    return (
        kind,
        _any_word(folded, lex["statistics"]["preliminary"]),
        _any_word(folded, lex["column_estimate"]),
    )


def _read_wide(r: _Reading) -> None:
    ctx = r.context
    spec = ctx.table
    table = wide_table(ctx.file, r.doc.raw, spec, placer(ctx.places, ctx.geo_code))
    columns = {y.index: (y, *_column_marks(r, y.header)) for y in table.years}
    label = _nfc(spec.label or table.title or "")
    for row in table.rows:
        if spec.rows == "places" and row.geo_code is None:
            r.skip(
                row.record,
                "not_a_place",
                f"{row.name!r} names a group of places (table.aggregates), not a place of the "
                "reference: its figures are not read",
            )
            continue
        if not row.values:
            continue
        printed = row.unit or spec.unit
        name = label if spec.rows == "places" else _nfc(row.name)
        column = table.unit_column if row.unit else None
        found = r.indicator(name, printed, row.record, column)
        if found is not None:
            code, unit = found
            r.figures.extend(_wide_figures(r, row, columns, code, name, (printed, unit)))


def _wide_figures(
    r: _Reading, row: WideRow, columns: dict, code: str, label: str, unit: tuple[str, str]
) -> list[Figure]:
    start, end = r.span(row.record)
    meta = r.context.sidecar or {}
    place = row.geo_code or r.context.geo_code
    out = []
    for index, (value, printed) in row.values.items():
        column, kind, preliminary, estimate = columns[index]
        out.append(
            Figure(
                code,
                column.year,
                kind,
                estimate,
                "=",
                value,
                _nfc(printed),
                _nfc(unit[0]),
                unit[1],
                label,
                start,
                end,
                WIDE,
                place_reported=_nfc(row.name) if row.geo_code else None,
                geo_code=place,
                preliminary=preliminary,
                cited_instrument=" ".join(str(meta.get("title") or "").split()) or None,
                cited_url=meta.get("url"),
            )
        )
    return out


def read_table(doc: Document, catalog: Catalog, context: Context) -> Extraction:
    """The figures of a tabular source, and its rows that map to no indicator."""
    reading = _Reading(doc, catalog, context, [], [])
    if context.table.shape == "long":
        _read_long(reading)
        layouts = [LONG] if reading.figures else []
    else:
        _read_wide(reading)
        layouts = [WIDE] if reading.figures else []
    return Extraction(reading.figures, reading.unmapped, layouts)
