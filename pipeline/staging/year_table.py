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
import re
from dataclasses import dataclass

from pipeline.staging.columns import Column
from pipeline.staging.layout import Block, BlockRead, register
from pipeline.staging.rows import RowLabel
from pipeline.staging.stat_body import BodyRow, body_rows, first_row_is_whole
from pipeline.staging.stat_lines import header_years
from pipeline.staging.stat_reader import StatReader
from pipeline.staging.stat_tables import (
    Caption,
    Lineage,
    StatRow,
    caption_above,
    caption_indicator,
    emit_stat_row,
    folded_label,
    lineage_of,
    paren_unit,
    place_of,
    printed_label,
    reports,
    row_indicator,
    row_split,
    split_column,
    unmapped,
)


@dataclass(frozen=True)
class YearBlock(Block):
    """A year header: its lines end before ``body``; a column per year."""

    body: int
    columns: list[Column]


@register
class YearTableReader(StatReader[YearBlock]):
    """Tables with a year header, before the plan readers."""

    name = "year_table"
    rank = 3

    def anchors(self) -> list[re.Pattern[str]]:
        return [self.sd.words.header_scan]  # a line of years or preliminary words

    def find(self, start: int) -> YearBlock | None:
        """The next year header: a run of header lines with two or more increasing years."""
        lines = self.state.lines
        for i in self.anchors_from(start):
            if lines[i].blank:
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
        if (published := self.sd.published()) is not None and years[-1] > published:
            return None  # a plan's year columns: statistics report years before they are out
        columns = [
            Column(y, "actual", False, str(y), preliminary=prelim and k == len(years) - 1)
            for k, y in enumerate(years)
        ]
        return YearBlock(i, j, columns)

    # ---------------------------------------------------------------------------------- rows
    def read(self, block: YearBlock) -> BlockRead:
        """The rows under a header, up to the next header or the words after the last row."""
        caption = caption_above(self.sd, block.start, 0)
        places = caption.by_place or first_row_is_whole(self.sd, block.body)
        rows, end = body_rows(self.sd, block.body, len(block.columns), places)
        consumed = self.state.consumed
        if not rows:  # a year header with no rows under it: its years are still no figures
            consumed[block.start : block.body] = b"\x01" * (block.body - block.start)
            return BlockRead(block.body, False)
        for i in [*caption.lines, *range(block.start, end)]:
            consumed[i] = 1
        reports(self.state, block.columns)
        indicator = caption_indicator(self.sd, caption) if places else None
        lineage = lineage_of(self.sd, caption)
        for row in rows:
            if places:
                self._place_row(row, block, caption, indicator)
            else:
                self._indicator_row(row, block, caption, lineage)
        return BlockRead(end, True)

    # -------------------------------------------------------------------------- emission
    def _cells_fit(self, row: BodyRow, block: YearBlock, what: str) -> bool:
        """Whether the row has a cell per year; if not (and it has a figure), why, unmapped."""
        n = len(block.columns)
        if len(row.cells) == n:
            return True
        if any(c is not None for c in map(self.sd.cell, row.cells)):
            reason = (
                f"{len(row.cells)} figures of {what} under {n} year columns: "
                "which year each belongs to cannot be told"
            )
            unmapped(self.sd, *row.span(), "cells_mismatch", reason)
        return False

    def _place_row(self, row: BodyRow, block: YearBlock, caption: Caption, indicator) -> None:
        """Figures of a row that names a place, for the indicator the title names."""
        place, reason = place_of(self.sd, row.place_texts(self.sd))
        what = printed_label(self.sd, row.label) or "an unlabelled row"
        if not self._cells_fit(row, block, repr(what)):
            return
        start, end = row.span()
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

    def _indicator_row(
        self, row: BodyRow, block: YearBlock, caption: Caption, lineage: Lineage
    ) -> None:
        """Figures of a row whose label names the indicator; or, under a title naming one, whose
        label is a split of it ('Tổng số - Total', 'Nam - Male', 'Thành thị - Urban')."""
        if not row.label:
            return
        label_text = printed_label(self.sd, row.label)
        folded = folded_label(self.sd, row.label)
        a, b = row.label[0][0], row.label[-1][1]
        unit = paren_unit(self.sd, a, b)
        context = " ".join(x for x in (caption.folded, row.parent) if x)
        cells = [self.sd.cell(span) for span in row.cells]
        found = [c for c in cells if c is not None]
        split = row_split(self.sd, self.state.doc.text[slice(*row.label[-1])])
        if split is not None and not isinstance(whole := caption_indicator(self.sd, caption), str):
            code, reason_code, reason = whole.code, "", ""  # 'Nam - Male': the title's, split
        else:
            code, reason_code, reason = row_indicator(
                self.sd, folded, unit, context, lineage, found
            )
        if not self._cells_fit(row, block, repr(label_text)):
            return
        start, end = row.span()
        if code is None:
            unmapped(self.sd, start, end, reason_code, f"{reason}: {label_text!r}")
            return
        label = RowLabel(label_text, a, b, caption.folded)
        columns = (
            block.columns if split is None else [split_column(c, *split) for c in block.columns]
        )
        pairs = list(zip(columns, cells, strict=True))
        unit = unit if unit.code else caption.unit  # the table's unit, where the row names none
        emit_stat_row(self.sd, StatRow(label, unit, pairs, start, end, self.name, code))
