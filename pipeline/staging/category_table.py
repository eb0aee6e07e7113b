"""Statistics tables of one year whose columns are categories: places by row with a column per
kind of facility ('Tổng số | Bệnh viện | Phòng khám khu vực | Trạm y tế xã, phường'), or
indicators by row with a column per owner ('Tổng số | Nhà nước | Ngoài Nhà nước').

The year is the title's ('Số cơ sở y tế năm 2019 phân theo huyện'), the unit line
('ĐVT: Cơ sở - Unit: Establishment') opens the headers, and the headers come one word group per
line, Vietnamese then English: a group opens with a capital letter and the lines after it in
lower case continue it ('Phòng khám' / 'khu vực'). There must be as many groups, in one of the
two languages, as cells in a row. The 'Tổng số' (total) column holds the row's indicator (the
title's, in a table of places); another column names its own indicator in a table of places,
and is a part of the row's indicator (figures by owner) in a table of indicators, which the
catalog does not hold: unmapped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.reference import Match
from pipeline.staging import stat_tables as st
from pipeline.staging.columns import Column
from pipeline.staging.layout import Block, BlockRead, register
from pipeline.staging.rows import RowLabel
from pipeline.staging.stat_body import BodyRow, body_rows, first_row_is_whole
from pipeline.staging.stat_lines import is_noise, years_in
from pipeline.staging.stat_reader import StatReader
from pipeline.text import fold, phrase_regex

_HEADER_LINES = 40  # the most lines of headers between the unit line and the first row


@dataclass(frozen=True, slots=True)
class CategoryColumn:
    """A column: its header as printed, whether it is the total, and the indicator its header
    names (or why none)."""

    header: str
    total: bool
    indicator: Match | str


@dataclass(frozen=True)
class CategoryBlock(Block):
    """A unit line (``start``), the table's caption and columns, and its first row's line."""

    first: int
    year: int
    caption: st.Caption
    header_lines: list[int]
    columns: list[CategoryColumn]
    places: bool


@register
class CategoryTableReader(StatReader[CategoryBlock]):
    """One-year tables of category columns, after the year tables."""

    name = "category_table"
    rank = 5

    def anchors(self) -> list[re.Pattern[str]]:
        return [self.sd.words.unit_line, self.sd.words.total_line]  # 'ĐVT: …', 'Tổng số'

    def find(self, start: int) -> CategoryBlock | None:
        """The next table of category columns under a title naming one year."""
        for u in self.anchors_from(start):
            if (block := self._block(u)) is not None:
                return block
        return None

    def _block(self, anchor: int) -> CategoryBlock | None:
        """The table whose headers hold line ``anchor`` (a unit line, a 'Tổng số' header), if
        its title names one year and its headers name as many columns as its first row has
        cells. A table of plan columns ('Kế hoạch', 'Thực hiện') is none of these."""
        _words, k = self._words_before_cells(anchor)
        if k is None:
            return None
        zone = st.caption_above(self.sd, k, 0, _HEADER_LINES).lines
        dated = [n for n, i in enumerate(zone) if years_in(self.state.lines[i].folded)]
        if not dated:
            return None
        title, rest = zone[: dated[-1] + 1], zone[dated[-1] + 1 :]
        years = {y for i in title for y in years_in(self.state.lines[i].folded)}
        units = [i for i in rest if st.is_unit_line(self.sd, i)]
        caption = st.make_caption(self.sd, [*title, *units])
        if len(years) != 1 or self._plan_words(zone):
            return None
        if (published := self.sd.published()) is not None and min(years) > published:
            return None  # a plan's year: statistics report years before they are out
        width = self._width(k)
        words = [i for i in rest if i not in units]
        if width < 2 or (not words and self.sd.cells(self.state.lines[k]).value_only):
            return None
        places = caption.by_place or (bool(words) and first_row_is_whole(self.sd, words[-1]))
        label = self._first_label(words, k, places)
        header = [i for i in words if i not in label]
        columns = self._columns(header, width, caption)
        if columns is None:
            return None
        first = label[0] if label else k
        return CategoryBlock(
            anchor, first, years.pop(), caption, [*units, *header], columns, places
        )

    def _plan_words(self, zone: list[int]) -> bool:
        """Whether the headers hold a plan's column words ('Kế hoạch', 'Thực hiện')."""
        text = " ".join(self.state.lines[i].folded for i in zone)
        return any(re.search(phrase_regex(w), text) for w, _kind in self.state.grammar.column_words)

    def _words_before_cells(self, i: int) -> tuple[list[int], int | None]:
        """The lines of words from line i to the first line with cells, and that line."""
        words: list[int] = []
        lines = self.state.lines
        for j in range(i, min(len(lines), i + _HEADER_LINES)):
            line = lines[j]
            if line.blank or is_noise(self.sd.words, line):
                continue
            if self.state.consumed[j] or "\t" in line.text:
                return words, None
            if self.sd.cells(line).spans:
                return words, j
            words.append(j)
        return words, None

    def _width(self, k: int) -> int:
        """Cells of the first row: on its line, or one per line from it."""
        cells = self.sd.cells(self.state.lines[k])
        if not cells.value_only:
            return len(cells.spans)
        n = 0
        for line in self.state.lines[k:]:
            if line.blank:
                continue
            found = self.sd.cells(line)
            if not found.value_only:
                break
            n += len(found.spans)
        return n

    def _first_label(self, words: list[int], k: int, places: bool) -> list[int]:
        """The lines of the first row's label among the lines of words above its cells: in a
        table of places, the last lines that each name a place; else the last line, unless the
        cells' line holds the label; and either way the lines above ending in a dash, the
        Vietnamese half of a label whose English half follows ('Cơ sở y tế (Cơ sở) -')."""
        lines = self.state.lines
        if places and self.sd.cells(lines[k]).value_only:
            label: list[int] = []
            for i in reversed(words):
                if st.place_of(self.sd, [lines[i].text])[0] is None:
                    break
                label.insert(0, i)
            return label
        label = [] if not self.sd.cells(lines[k]).value_only else words[-1:]
        rest = words[: len(words) - len(label)]
        while rest and lines[rest[-1]].stripped.endswith("-"):
            label.insert(0, rest.pop())
        return label

    # ------------------------------------------------------------------------- columns
    def _columns(
        self, header: list[int], width: int, caption: st.Caption
    ) -> list[CategoryColumn] | None:
        """A column per header group of the language that has ``width`` of them (Vietnamese
        and English paired when both have)."""
        vi, en = st.header_groups(self.sd, header)
        if len(vi) == width:
            heads = [f"{v} {e}" for v, e in zip(vi, en, strict=True)] if len(en) == width else vi
        elif len(en) == width:
            heads = en
        else:
            return None
        out = []
        parent = st.lineage_of(self.sd, caption).parent
        for head, name in zip(heads, vi if len(vi) == width else en, strict=True):
            total = st.is_total(self.sd, name)
            indicator = (
                st.caption_indicator(self.sd, caption)
                if total
                else st.column_indicator(self.sd, fold(head), caption.unit, parent)
            )
            out.append(CategoryColumn(head, total, indicator))
        return out

    # ---------------------------------------------------------------------------- read
    def read(self, block: CategoryBlock) -> BlockRead:
        """The table's rows, each cell by its column."""
        rows, end = body_rows(self.sd, block.first, len(block.columns), block.places)
        if not rows:
            return BlockRead(block.start + 1, False)
        consumed = self.state.consumed
        for i in [*block.caption.lines, *block.header_lines, *range(block.first, end)]:
            consumed[i] = 1
        column = Column(block.year, "actual", False, str(block.year))
        st.reports(self.state, [column])
        lineage = st.lineage_of(self.sd, block.caption)
        for row in rows:
            if len(row.cells) != len(block.columns):
                what = st.printed_label(self.sd, row.label) or "an unlabelled row"
                reason = f"{len(row.cells)} figures of {what!r} under {len(block.columns)} columns"
                st.unmapped(self.sd, *row.span(), "cells_mismatch", reason)
            elif block.places:
                self._place_row(row, block, column)
            else:
                self._indicator_row(row, block, column, lineage)
        return BlockRead(max(end, block.start + 1), True)

    def _place_row(self, row: BodyRow, block: CategoryBlock, column: Column) -> None:
        """A place's figures, one per category column."""
        place, reason = st.place_of(self.sd, row.place_texts(self.sd))
        start, end = row.span()
        if place is None:
            st.unmapped(self.sd, start, end, "unplaced", reason)
            return
        for col, span in zip(block.columns, row.cells, strict=True):
            cell = self.sd.cell(span)
            if cell is None:
                continue
            if isinstance(col.indicator, str):
                reason = f"column {col.header!r}: {col.indicator}"
                st.unmapped(self.sd, start, span[1], "no_indicator", reason)
                continue
            label = RowLabel(col.header, block.caption.title.start, block.caption.title.end)
            unit = block.caption.unit
            code = col.indicator.code
            stat = st.StatRow(label, unit, [(column, cell)], start, span[1], self.name, code, place)
            st.emit_stat_row(self.sd, stat)

    def _indicator_row(
        self, row: BodyRow, block: CategoryBlock, column: Column, lineage: st.Lineage
    ) -> None:
        """An indicator's total; its parts by category have no indicator of their own."""
        start, end = row.span()
        label_text = st.printed_label(self.sd, row.label)
        a, b = (row.label[0][0], row.label[-1][1]) if row.label else (start, start)
        unit = st.paren_unit(self.sd, a, b)
        folded = st.folded_label(self.sd, row.label)
        cells = [self.sd.cell(span) for span in row.cells]
        found = [c for c in cells if c is not None]
        context = " ".join(x for x in (block.caption.folded, row.parent) if x)
        code, reason_code, reason = st.row_indicator(self.sd, folded, unit, context, lineage, found)
        if code is None:
            st.unmapped(self.sd, start, end, reason_code, f"{reason}: {label_text!r}")
            return
        for col, cell in zip(block.columns, cells, strict=True):
            if cell is None or not col.total:
                continue
            label = RowLabel(label_text, a, b, block.caption.folded)
            shown = unit if unit.code else block.caption.unit  # the table's, if the row has none
            stat = st.StatRow(label, shown, [(column, cell)], start, end, self.name, code)
            st.emit_stat_row(self.sd, stat)
        parts = [
            col.header for col, c in zip(block.columns, cells, strict=True) if not col.total and c
        ]
        if parts:
            reason = f"figures of {label_text!r} by {', '.join(parts)}: no indicator in the catalog"
            st.unmapped(self.sd, start, end, "no_indicator", reason)
