"""Statistics tables with a column per year: indicators by year ('Một số chỉ tiêu về y tế'),
places by row ('… phân theo huyện/thành phố', '… phân theo địa phương') and portal tables.

The year header may be split over lines ('2015 2018 2019 2020' / '2021'; 'Sơ bộ' / '2019 2020
Prel.' / '2021'); a preliminary mark ('Sơ bộ', 'Prel.') makes the last column preliminary.
Under it, each row is a label (Vietnamese, then maybe English, wrapping over lines) and its
cells, on the label's last line or one per line, both in one table; a dash or an ellipsis still
takes a column. A row with more or fewer cells than years is not guessed at: it goes to
``unmapped``. When the title says the rows are places (or the first row is the whole province
or country), each row is placed within the document's place and the title names the indicator;
otherwise each row's label does, read with the title as context.

It runs before the plan readers, so that a year header is never read as figures.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left
from dataclasses import dataclass, field

from pipeline.staging.columns import Column
from pipeline.staging.layout import Block, BlockRead, LayoutReader, register
from pipeline.staging.rows import RowLabel
from pipeline.staging.stat_lines import StatDoc, header_years, is_noise, is_page_strip, stat_doc
from pipeline.staging.stat_tables import (
    Caption,
    StatRow,
    caption_above,
    caption_indicator,
    emit_stat_row,
    folded_label,
    is_part_of_row,
    match_label,
    paren_unit,
    place_of,
    printed_label,
    reports,
    unmapped,
)
from pipeline.staging.state import DocumentState, Line

_LONGEST_LABEL_LINE = 150  # a longer line of words is prose after the table


@dataclass(frozen=True)
class YearBlock(Block):
    """A year header: its lines end before ``body``; a column per year."""

    body: int
    columns: list[Column]


@dataclass(slots=True)
class _Row:
    """A row being read: its label's spans (one per line) and its cells' spans."""

    label: list[tuple[int, int]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    cells: list[tuple[int, int]] = field(default_factory=list)
    parent: str = ""  # a group line ending in ':' above the label ('Trong đó - Of which:')


@register
class YearTableReader(LayoutReader[YearBlock]):
    """Tables with a year header, before every other reader."""

    name = "year_table"
    rank = 3

    def __init__(self, state: DocumentState):
        super().__init__(state)
        self.sd: StatDoc = stat_doc(state)
        # the only lines a header can start on (one scan of the document)
        self._candidates = [no for no, _m in state.at_line_starts(self.sd.words.header_scan)]

    def find(self, start: int) -> YearBlock | None:
        """The next year header: a run of header lines with two or more increasing years."""
        lines = self.state.lines
        for i in self._candidates[bisect_left(self._candidates, start) :]:
            if self.state.consumed[i] or lines[i].blank:
                continue
            block = self._header(i)
            if block is not None:
                return block
        return None

    def _header(self, i: int) -> YearBlock | None:
        """The header starting at line i (blank lines may stand between its lines)."""
        words, lines = self.sd.words, self.state.lines
        years: list[int] = []
        prelim = False
        j = i
        while j < len(lines):
            if lines[j].blank:
                j += 1
                continue
            found = header_years(words, lines[j])
            if found is None:
                break
            years += found[0]
            prelim = prelim or found[1]
            j += 1
        if len(years) < 2 or any(b <= a for a, b in itertools.pairwise(years)):
            return None
        columns = [
            Column(y, "actual", False, str(y), preliminary=prelim and k == len(years) - 1)
            for k, y in enumerate(years)
        ]
        return YearBlock(i, j, columns)

    # ---------------------------------------------------------------------------------- rows
    def read(self, block: YearBlock) -> BlockRead:
        """The rows under a header, up to the next header or the words after the last row."""
        caption = caption_above(self.sd, block.start, 0)
        places = caption.by_place or self._first_row_is_whole(block.body)
        rows, end = self._rows(block, places)
        consumed = self.state.consumed
        if not rows:  # a year header with no rows under it: its years are still no figures
            consumed[block.start : block.body] = b"\x01" * (block.body - block.start)
            return BlockRead(block.body, False)
        for i in [*caption.lines, *range(block.start, end)]:
            consumed[i] = 1
        reports(self.state, block.columns)
        indicator = caption_indicator(self.sd, caption) if places else None
        previous = ""
        for row in rows:
            if places:
                self._place_row(row, block, caption, indicator)
            else:
                previous = self._indicator_row(row, block, caption, previous)
        return BlockRead(end, True)

    def _first_row_is_whole(self, i: int) -> bool:
        """Whether the first line of words under the header names the whole province or
        country ('TOÀN TỈNH - WHOLE PROVINCE'): then the rows are places."""
        line = next((ln for ln in self.state.lines[i:] if not ln.blank), None)
        if line is None:
            return False
        words = self.sd.cells(line)
        name = self.state.doc.folded[line.start : words.label_end].split(" - ")[0]
        return " ".join(name.split()) in self.sd.words.whole

    def _rows(self, block: YearBlock, places: bool) -> tuple[list[_Row], int]:
        """The rows under the header and the line the table ends before."""
        n = len(block.columns)
        lines = self.state.lines
        rows: list[_Row] = []
        row = _Row()
        end = block.body
        for i in range(block.body, len(lines)):
            line = lines[i]
            if line.blank or is_noise(self.sd.words, line):
                continue
            if is_page_strip(line) and not row.label:
                continue
            if self.state.consumed[i] or self._starts_header(line):
                break
            cells = self.sd.cells(line)
            if cells.value_only:
                if row.label:  # else a page or table number between rows
                    row.cells += cells.spans
                    row.lines.append(i)
                    if len(row.cells) >= n:
                        rows.append(row)
                        row, end = _Row(), i + 1
                continue
            if row.cells:  # words after too few cells: the row ended without all its figures
                rows.append(row)
                row, end = _Row(), row.lines[-1] + 1
            if not row.label and len(line.stripped) > _LONGEST_LABEL_LINE:
                break  # prose after the table
            if places and row.label and self._separate_places(row, line, cells.label_end):
                row = _Row()
            self._add_label(row, line, cells.label_end)
            if cells.spans:
                row.cells += cells.spans
                if len(row.cells) >= n:
                    rows.append(row)
                    row, end = _Row(), i + 1
        if row.cells:
            rows.append(row)
            end = row.lines[-1] + 1
        return rows, end

    def _starts_header(self, line: Line) -> bool:
        """A header of the next table: a preliminary word, or increasing years, and only those."""
        found = header_years(self.sd.words, line)
        if found is None:
            return False
        years, prelim = found
        increasing = all(b > a for a, b in itertools.pairwise(years))
        return (prelim and not self.sd.cells(line).value_only) or (len(years) >= 2 and increasing)

    def _add_label(self, row: _Row, line: Line, label_end: int) -> None:
        """A line of words joins the row's label; a group line ending in ':' is its parent."""
        start = line.start + len(line.text) - len(line.text.lstrip())
        if start >= label_end:
            return
        row.lines.append(line.no)
        text = self.state.doc.folded[start:label_end].strip()
        if text.endswith(":") and not row.label:
            row.parent = text
            row.lines.pop()
            return
        row.label.append((start, label_end))

    def _separate_places(self, row: _Row, line: Line, label_end: int) -> bool:
        """Whether a place row without figures ('Huyện Hoàng Sa') stands before this line of
        words, itself a place: then they are two rows, never one label."""
        texts = [printed_label(self.sd, row.label)]
        if place_of(self.sd, texts)[0] is None:
            return False
        start = line.start + len(line.text) - len(line.text.lstrip())
        return place_of(self.sd, [self.state.doc.text[start:label_end]])[0] is not None

    # -------------------------------------------------------------------------- emission
    def _span(self, row: _Row) -> tuple[int, int]:
        start = row.label[0][0] if row.label else row.cells[0][0]
        return start, row.cells[-1][1]

    def _cells_fit(self, row: _Row, block: YearBlock, what: str) -> bool:
        """Whether the row has a cell per year; if not (and it has a figure), why, unmapped."""
        n = len(block.columns)
        if len(row.cells) == n:
            return True
        if any(c is not None for c in map(self.sd.cell, row.cells)):
            reason = (
                f"{len(row.cells)} figures of {what} under {n} year columns: "
                "which year each belongs to cannot be told"
            )
            unmapped(self.sd, *self._span(row), "cells_mismatch", reason)
        return False

    def _place_row(self, row: _Row, block: YearBlock, caption: Caption, indicator) -> None:
        """Figures of a row that names a place, for the indicator the title names."""
        place, reason = place_of(self.sd, [self.state.doc.text[a:b] for a, b in row.label])
        what = printed_label(self.sd, row.label) or "an unlabelled row"
        if not self._cells_fit(row, block, repr(what)):
            return
        start, end = self._span(row)
        if place is None:
            unmapped(self.sd, start, end, "unplaced", reason)
        elif isinstance(indicator, str):
            unmapped(self.sd, start, end, "no_indicator", f"{indicator}: {caption.title.text!r}")
        else:
            cells = [
                (col, self.sd.cell(span))
                for col, span in zip(block.columns, row.cells, strict=True)
            ]
            label = caption.title
            emit_stat_row(
                self.sd,
                StatRow(label, caption.unit, cells, start, end, self.name, indicator.code, place),
            )

    def _indicator_row(self, row: _Row, block: YearBlock, caption: Caption, previous: str) -> str:
        """Figures of a row whose label names the indicator; the indicator read (or '')."""
        if not row.label:
            return previous
        label_text = printed_label(self.sd, row.label)
        if not self._cells_fit(row, block, repr(label_text)):
            return ""
        start, end = self._span(row)
        folded = folded_label(self.sd, row.label)
        a, b = row.label[0][0], row.label[-1][1]
        unit = paren_unit(self.sd, a, b)
        cells = [
            (col, self.sd.cell(span)) for col, span in zip(block.columns, row.cells, strict=True)
        ]
        context = " ".join(x for x in (caption.folded, row.parent) if x)
        found = [c for _col, c in cells if c is not None]
        choice, matched = match_label(self.sd, folded, unit, context, found)
        if isinstance(choice, str):
            code = "ambiguous" if matched else "no_indicator"
            unmapped(self.sd, start, end, code, f"{choice}: {label_text!r}")
            return ""
        if is_part_of_row(self.sd, folded) and choice.code == previous:
            reason = f"a part of the row above ({label_text!r}), not {choice.code} itself"
            unmapped(self.sd, start, end, "part_of_row", reason)
            return previous
        label = RowLabel(label_text, a, b, caption.folded)
        emit_stat_row(self.sd, StatRow(label, unit, cells, start, end, self.name, choice.code))
        return choice.code
