"""Statistics tables with a row per year: one indicator split by sex or residence ('Tổng số',
'Nam', 'Nữ'; 'Thành thị', 'Nông thôn'), or a column per indicator (crude birth rate, crude death
rate, natural increase), maybe in blocks headed by a residence ('Thành thị - Urban').

Each row opens with its year ('2019   31,2   34,0   28,1'), the last maybe preliminary
('Sơ bộ - Prel 2022', even over three lines: 'Sơ bộ' / '- Prel' / '. 2023'); its cells follow on
the same line or one per line. The column headers and the title stand above the first row, in
any order (the English title may come first). The columns are the split words of the headers
when there are as many as cells in a row, else the indicators the headers name, else the one
indicator of the title; a row whose cells do not fit them goes to ``unmapped``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.reference import Match
from pipeline.staging.columns import Column
from pipeline.staging.layout import Block, BlockRead, register
from pipeline.staging.stat_lines import PLAIN_YEAR, YEAR_START, is_noise, split_words, year_label
from pipeline.staging.stat_reader import StatReader
from pipeline.staging.stat_tables import (
    Caption,
    Lineage,
    StatRow,
    caption_above,
    caption_indicator,
    column_indicator,
    emit_stat_row,
    header_groups,
    is_total,
    is_unit_line,
    lineage_of,
    make_caption,
    reports,
    unmapped,
)
from pipeline.text import fold, phrase_regex


@dataclass(frozen=True)
class YearRowBlock(Block):
    """The first year row of a table, and how many cells each row has."""

    width: int


@dataclass(slots=True)
class _Row:
    year: int
    prelim: bool
    start: int
    lines: list[int]
    cells: list[tuple[int, int]] = field(default_factory=list)
    block: tuple[str, str] | None = None  # the block heading's (axis, value) above the row


@dataclass(slots=True)
class _Scan:
    """The rows of one table, the block headings between them, and where the table ends."""

    rows: list[_Row] = field(default_factory=list)
    headings: int = 0
    end: int = 0


@register
class YearRowsReader(StatReader[YearRowBlock]):
    """Tables whose rows are years, after the year-header tables."""

    name = "year_rows"
    rank = 4

    def anchors(self) -> list[re.Pattern[str]]:
        return [YEAR_START]  # a line opening with a year

    def find(self, start: int) -> YearRowBlock | None:
        """The next line opening a year row that another year row follows."""
        for i in self.anchors_from(start):
            width = self._width(i)
            if width:
                first = self._row_at(i, "")
                scan = self._scan(i, width)
                years = [r.year for r in scan.rows]
                # statistics report years before they are out: a later one is a plan's
                published = self.sd.published() or max(years, default=0)
                increasing = len(years) >= 2 and years[1] > years[0]
                if first is not None and increasing and max(years) <= published:
                    return YearRowBlock(i, width)
        return None

    # --------------------------------------------------------------------------- rows
    def _row_at(self, i: int, prefix: str) -> _Row | None:
        """The year row opening on line i (``prefix``: preliminary words on the lines above)."""
        line = self.state.lines[i]
        cells = self.sd.cells(line)
        folded = self.state.doc.folded
        label = folded[line.start : cells.label_end] if not cells.value_only else ""
        spans = list(cells.spans)
        found = year_label(self.sd.words, f"{prefix} {label}")
        if found is None and spans and PLAIN_YEAR.fullmatch(folded, *spans[0]):
            found = year_label(self.sd.words, f"{prefix} {label} {folded[slice(*spans[0])]}")
            spans = spans[1:]
        if found is None:
            return None
        start = line.start + len(line.text) - len(line.text.lstrip())
        return _Row(found[0], found[1], start, [i], spans)

    def _width(self, i: int) -> int:
        """How many cells the year row on line i has: on its line, or one per line after it."""
        row = self._row_at(i, "")
        if row is None:
            return 0
        if row.cells:
            return len(row.cells)
        n = 0
        for line in self.state.lines[i + 1 :]:
            if line.blank:
                continue
            cells = self.sd.cells(line)
            if not cells.value_only or len(cells.spans) != 1 or self._row_at(line.no, ""):
                break
            n += 1
        return n

    def _scan(self, i: int, width: int) -> _Scan:
        """Rows from line i on, up to the first line of words that is no block heading."""
        scan = _Scan(end=i)
        lines = self.state.lines
        row: _Row | None = None
        prefix, block = "", None
        while i < len(lines):
            line = lines[i]
            i += 1
            if line.blank or is_noise(self.sd.words, line):
                continue
            if self.state.consumed[line.no]:
                break
            cells = self.sd.cells(line)
            if row is not None and len(row.cells) < width and cells.value_only:
                row.cells += cells.spans  # the open row's cells, one per line
                row.lines.append(line.no)
                scan.end = line.no + 1
                continue
            new = self._row_at(line.no, prefix)
            if new is not None:
                new.block, prefix = block, ""
                row = new
                scan.rows.append(row)
                scan.end = line.no + 1
                continue
            if self.sd.words.preliminary.search(line.folded) and not cells.spans:
                prefix += " " + line.folded  # 'Sơ bộ' / '- Prel' above '. 2023'
                continue
            heading = {v for v in split_words(self.sd.words, line)}
            if cells.value_only or len(heading) == 1:
                if len(heading) == 1:  # 'Thành thị - Urban': the rows below are urban
                    block = heading.pop()
                    scan.headings += 1
                row = None
                continue
            break
        return scan

    # ---------------------------------------------------------------------------- read
    def read(self, block: YearRowBlock) -> BlockRead:
        """The table's rows, with columns told from the headers above the first row."""
        scan = self._scan(block.start, block.width)
        zone = caption_above(self.sd, block.start, 0)
        consumed = self.state.consumed
        for i in [*zone.lines, *range(block.start, scan.end)]:
            consumed[i] = 1
        zone, first_block, columns = self._heading_and_columns(zone, block.width)
        for row in scan.rows:
            row.block = row.block or first_block
        for row in scan.rows:
            self._emit(row, zone, columns, block.width)
        return BlockRead(max(scan.end, block.start + 1), True)

    def _heading_and_columns(
        self, zone: Caption, width: int
    ) -> tuple[Caption, tuple[str, str] | None, list[tuple[Column, Match | str]]]:
        """The caption, the heading of the first block and the columns.

        The last line of words above the first row heads its block ('Nông thôn - Rural') if it
        names one split value, the headers above it fit the cells without it, and they do not
        split the same way; otherwise it is a column header ('Nữ - Female')."""
        last = zone.lines[-1] if zone.lines else None
        found = (
            set(split_words(self.sd.words, self.state.lines[last])) if last is not None else set()
        )
        if len(found) == 1:
            rest = make_caption(self.sd, zone.lines[:-1])
            columns = self._columns(rest, width)
            axis, value = next(iter(found))
            axes = {
                "sex" if c.sex != "total" else "residence" if c.residence != "total" else ""
                for c, _i in columns
            }
            if columns and axis not in axes:
                return rest, (axis, value), columns
        return zone, None, self._columns(zone, width)

    def _columns(self, zone: Caption, width: int) -> list[tuple[Column, Match | str]]:
        """A column header and indicator per cell: split words, else indicators, else the
        title's one indicator; empty if none fits ``width`` cells."""
        splits: list[tuple[str, str]] = []
        for i in zone.lines:
            for found in split_words(self.sd.words, self.state.lines[i]):
                if found not in splits:
                    splits.append(found)
        if len(splits) == width and width > 1:
            indicator = caption_indicator(self.sd, zone)
            return [(_split_column(axis, value), indicator) for axis, value in splits]
        units = [k for k, i in enumerate(zone.lines) if is_unit_line(self.sd, i)]
        if units and width > 1:  # the title and unit line above the column headers
            title = make_caption(self.sd, zone.lines[: units[-1] + 1])
            count = lineage_of(self.sd, title)
            if count.total:
                return self._parts_of_count(zone.lines[units[-1] + 1 :], title, width, count)
        named = self._named_indicators(zone)
        if len(named) == width and width > 1:
            return [(Column(None, "actual", False, m.code), m) for m in named]
        if width == 1:
            return [(Column(None, "actual", False, ""), caption_indicator(self.sd, zone))]
        return []

    def _parts_of_count(
        self, header: list[int], title: Caption, width: int, count: Lineage
    ) -> list[tuple[Column, Match | str]]:
        """Under a title naming a count ('Số giường bệnh'), a column per group of the headers
        below its unit line: the total ('Tổng số') is the title's indicator, the others its
        parts, which only the catalog's names with the title give an indicator ('Bệnh viện'
        under beds: beds in hospitals, none); empty if the groups do not fit ``width`` cells."""
        vi, en = header_groups(self.sd, header)
        heads = vi if len(vi) == width else en if len(en) == width else []
        columns: list[tuple[Column, Match | str]] = []
        for head in heads:
            column = Column(None, "actual", False, head)
            if is_total(self.sd, head):
                columns.append((column, Match(count.total, 0, [])))
            else:
                part = column_indicator(self.sd, fold(head), title.unit, count.parent)
                columns.append((column, part))
        return columns

    def _named_indicators(self, zone: Caption) -> list[Match]:
        """The indicators the headers name, in the order they are first printed. A density
        ('bác sĩ' per 10,000) needs its denominator printed (in the headers, or a rate unit
        line): 'Bệnh viện' under 'Số giường bệnh' is no 'giường bệnh viện' density."""
        has_den = self.state.grammar.has_denominator(zone.folded) or zone.unit.kind == "rate"
        found = self.state.catalog.match(zone.folded, has_denominator=has_den)
        where = []
        for m in found:
            starts = [
                hit.start()
                for p in m.phrases
                if (hit := re.search(phrase_regex(p), zone.folded)) is not None
            ]
            if starts:
                where.append((min(starts), m))
        return [m for _pos, m in sorted(where, key=lambda t: t[0])]

    def _emit(
        self, row: _Row, zone: Caption, columns: list[tuple[Column, Match | str]], width: int
    ) -> None:
        """The row's figures, one per column; or why not, unmapped."""
        end = row.cells[-1][1] if row.cells else self.state.lines[row.lines[-1]].end
        cells = [self.sd.cell(span) for span in row.cells]
        if not any(c is not None for c in cells):
            return
        if len(row.cells) != width or not columns:
            what = f"{len(row.cells)} figures in a row of {width}-column table"
            if not columns:
                what = f"the {width} columns of the table cannot be told from its headers"
            unmapped(self.sd, row.start, end, "cells_mismatch", f"{row.year}: {what}")
            return
        reports(self.state, [Column(row.year, "actual", False, "")])
        missing = [(h.header, i) for h, i in columns if isinstance(i, str)]
        if missing:  # a column naming no indicator: its figures only are unmapped
            what = "; ".join(f"{h or zone.title.text!r}: {i}" for h, i in missing)
            unmapped(self.sd, row.start, end, "no_indicator", what)
        for (header, indicator), cell in zip(columns, cells, strict=True):
            if isinstance(indicator, str) or cell is None:
                continue
            column = _row_column(header, row)
            if column is None:
                reason = f"the block heading and the column split the same way ({header.header})"
                unmapped(self.sd, row.start, end, "cells_mismatch", reason)
                return
            stat = StatRow(
                zone.title, zone.unit, [(column, cell)], row.start, end, self.name, indicator.code
            )
            emit_stat_row(self.sd, stat)


def _split_column(axis: str, value: str) -> Column:
    """A column of a split ('Nam' -> male); 'Tổng số' is the total."""
    column = Column(None, "actual", False, value)
    if axis == "sex":
        column.sex = value
    elif axis == "residence":
        column.residence = value
    return column


def _row_column(header: Column, row: _Row) -> Column | None:
    """The column of one row: its year, preliminary mark and block; None if the block splits
    along the column's own axis."""
    column = Column(
        row.year, "actual", False, header.header, row.prelim, header.sex, header.residence
    )
    if row.block is not None:
        axis, value = row.block
        if axis == "sex":
            if column.sex != "total":
                return None
            column.sex = value
        elif axis == "residence":
            if column.residence != "total":
                return None
            column.residence = value
    return column
