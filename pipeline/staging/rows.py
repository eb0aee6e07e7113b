"""From a table row (a label, a unit and the cells under each column) to figures, or to unmapped
text when the label names no single indicator.

Every table reader hands its rows over as a ``LabelledRow``: the label is matched to the
catalog once per row, and each (column, cell) pair becomes one figure, whose year and kind come
from its column (or the document's context) and whose quote runs from the row's start to its
cell. Figures of a kind that needs more than this (a place per row, a sex or residence column)
extend the row and column values; the matching and the quoting stay here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.reference import Catalog, Match
from pipeline.staging.cells import Cell
from pipeline.staging.columns import Column
from pipeline.staging.records import Figure, Unmapped
from pipeline.text import fold, fold_phrase
from pipeline.text.grammar import Mention

if TYPE_CHECKING:
    from pipeline.staging.state import DocumentState

_UNIT_NOTE = re.compile(r"\s*\(.*$", re.S)
_TABLE_NUMBER = re.compile(r"\s*\d{1,4}[.)]?\s+")  # '258 ' or '242. ' before a title


@dataclass(frozen=True, slots=True)
class RowLabel:
    """A row's label as printed, where it stands, and the label of the row it belongs to."""

    text: str
    start: int
    end: int
    parent: str = ""  # folded label of the parent row ('Tổng số giường bệnh' for a sub-row)


@dataclass(frozen=True, slots=True)
class RowUnit:
    """The unit a row's label or unit column gives its figures, as printed and as a code."""

    text: str | None = None
    code: str | None = None
    kind: str | None = None  # rate | measure | count (units.yaml), None if none printed


@dataclass(frozen=True, slots=True)
class RowPlace:
    """The place a row names (a district of the document's province, a province of the
    country), as printed and as the code it was placed at."""

    printed: str
    code: str


@dataclass(slots=True)
class LabelledRow:
    """A table row ready to become figures: one per (column, cell) pair."""

    label: RowLabel
    unit: RowUnit
    cells: list[tuple[Column, Cell]]
    start: int  # the row's span: the quote of each figure starts here
    end: int
    reader: str
    # the indicator, when the reader knows it from more than the label (a table's title, a
    # column's header); None: the label is matched here
    indicator: str | None = None
    place: RowPlace | None = None  # None: the document's place


def emit_row(state: DocumentState, row: LabelledRow) -> None:
    """Record the row's figures, or an unmapped row if its label names no single indicator."""
    folded = state.doc.folded
    label_folded = folded[row.label.start : row.label.end]
    code = row.indicator
    if code is None:
        matches = _label_matches(state, row, label_folded)
        choice = choose(state.catalog, matches, row.unit.code)
        if isinstance(choice, str):
            reason_code = "no_indicator" if not matches else "ambiguous"
            reason = choice + f": {row.label.text!r}"
            state.unmapped.append(Unmapped(row.start, row.end, reason_code, reason))
            return
        code = choice.code
        if counts_a_share(state, code, row.unit, label_folded):
            reason = f"a count of what {code} is the share of: {row.label.text!r}"
            state.unmapped.append(Unmapped(row.start, row.end, "count_of_share", reason))
            return
    label_comparator = state.grammar.comparator_at_end(label_folded)
    for column, cell in row.cells:
        state.figures.append(_cell_figure(state, row, code, label_comparator, column, cell))


def counts_a_share(state: DocumentState, code: str, unit: RowUnit, label_folded: str) -> bool:
    """Whether a label counting things ('Số xã đạt tiêu chí quốc gia về y tế', unit 'Xã'; 'Số
    trẻ em … được tiêm chủng đầy đủ') was matched to the share of them, a percent indicator: its
    figures are counts (142 communes), never percentages. A unit printed as a rate ('(%)')
    keeps the share."""
    if state.catalog.indicators[code].unit != "percent" or unit.kind == "rate":
        return False
    if unit.kind == "noun":
        return True
    words = state.grammar.lexicon["statistics"]["count_prefix"]
    head = _TABLE_NUMBER.match(label_folded)
    text = label_folded[head.end() if head else 0 :].lstrip()
    return any(text.startswith(fold_phrase(w) + " ") for w in words)


def _label_matches(state: DocumentState, row: LabelledRow, label_folded: str) -> list[Match]:
    """Catalog matches of a row label; a sub-row's label is read with its parent's if alone it
    matches nothing ('- Tuyến tỉnh' under 'Tổng số giường bệnh')."""
    has_denominator = (
        state.grammar.has_denominator(label_folded)
        or row.unit.kind == "rate"
        or any(c.mention is not None and c.mention.unit_kind == "rate" for _col, c in row.cells)
    )
    matches = state.catalog.match(label_folded, has_denominator=has_denominator)
    if not matches and row.label.parent:
        matches = state.catalog.match(
            label_folded, context=row.label.parent, has_denominator=has_denominator
        )
    return matches


def choose(catalog: Catalog, matches: list[Match], unit_code: str | None) -> Match | str:
    """The one indicator the matches point at (a tie broken by the printed unit), or why not."""
    if not matches:
        return "no indicator in the catalog matches this label"
    top = [m for m in matches if m.score == matches[0].score]
    if len(top) > 1 and unit_code:
        same_unit = [m for m in top if catalog.indicators[m.code].unit == unit_code]
        if len(same_unit) == 1:
            return same_unit[0]
    if len(top) > 1:
        return "ambiguous label, matches " + " and ".join(m.code for m in top)
    return top[0]


def _cell_figure(
    state: DocumentState,
    row: LabelledRow,
    code: str,
    label_comparator: str | None,
    column: Column,
    cell: Cell,
) -> Figure:
    """One cell's figure: its words ('Loại trừ sốt rét'), or its number with what is printed
    with it (see ``_read_number``)."""
    ctx = state.context
    figure = Figure(
        indicator_code=code,
        year=column.year if column.year is not None else ctx.fallback_year(),
        kind=column.kind or ctx.kind_of_year(column.year),
        is_estimate=column.is_estimate,
        comparator=None,
        value=None,
        value_reported="",
        unit_reported=row.unit.text,
        unit_code_reported=row.unit.code,
        label_reported=row.label.text,
        start=row.start,  # the quote runs from the row's label to the figure's cell
        end=cell.end,
        reader=row.reader,
        qualitative=cell.mention is None,
        place_reported=row.place.printed if row.place else None,
        geo_code=row.place.code if row.place else None,
        sex=column.sex,
        residence=column.residence,
        preliminary=column.preliminary,
    )
    if cell.mention is None:
        figure.value_reported = state.printed(cell.start, cell.end)
        figure.end = cell.start + len(state.doc.text[cell.start : cell.end].rstrip())
    else:
        _read_number(state, figure, cell.mention, cell, label_comparator)
    return figure


def _read_number(
    state: DocumentState, figure: Figure, m: Mention, cell: Cell, label_comparator: str | None
) -> None:
    """Give a figure its cell's number: the comparator, unit and estimate marker printed with
    it win over the row's, and the cell's note becomes the figure's condition."""
    figure.is_estimate = m.is_estimate or figure.is_estimate
    figure.comparator = m.comparator or label_comparator
    figure.value = m.value
    figure.value_reported = state.printed(m.start, m.end)
    if m.unit_code is not None:
        printed_unit = state.printed(m.num_end, m.end)
        figure.unit_reported = _UNIT_NOTE.sub("", printed_unit).strip() or printed_unit
        figure.unit_code_reported = m.unit_code
    if m.footnote is not None and m.footnote in state.doc.footnotes:
        figure.notes.append(f"footnote {m.footnote}: {state.doc.footnotes[m.footnote].text}")
    condition = cell.condition
    if condition and state.grammar.estimate_note.fullmatch(fold(condition)):
        condition = None  # '(Ước)' only says the figure is an estimate, which it records
    figure.condition = condition
    figure.end = m.end if not condition else cell.end


def unmapped_label(
    state: DocumentState, label: RowLabel, end: int, reason_code: str, reason: str
) -> Unmapped:
    """A row that gives no figures, with the indicator its label would have named, if any."""
    matches = state.catalog.match(
        fold_phrase(label.text), context=label.parent, has_denominator=True
    )
    if matches:
        top = [m.code for m in matches if m.score == matches[0].score]
        reason += f" (indicator {' or '.join(top)})"
    return Unmapped(label.start, end, reason_code, reason)
