"""Tab-separated tables with year columns ('STT | Chỉ số | Đơn vị tính | Ước thực hiện 2023 |
Kế hoạch 2024'): a header names the label, unit and figure columns, and every tabbed line under
it is a row. Repeated headers are skipped; duplicate row numbers are kept as printed. A table
whose header names no figure column (an assignment appendix) is left to the prose reader.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.staging.cells import Cell, cell_at
from pipeline.staging.columns import Column, parse_columns
from pipeline.staging.headers import header_roles
from pipeline.staging.layout import Block, BlockRead, LayoutReader, register
from pipeline.staging.rows import LabelledRow, RowLabel, RowUnit, emit_row
from pipeline.staging.state import Line


@dataclass(frozen=True)
class TsvBlock(Block):
    """A header line: which cell holds each role, and the figure column of each other cell."""

    roles: dict[str, int]
    columns: dict[int, Column]


@register
class TsvTableReader(LayoutReader[TsvBlock]):
    """Tab-separated tables: the first reader, since tabs make them unambiguous."""

    name = "tsv_table"
    rank = 10

    def find(self, start: int) -> TsvBlock | None:
        """The next header line: tabbed, with a label cell and at least one figure column."""
        g = self.state.grammar
        lines = self.state.lines
        for i in range(start, len(lines)):
            line = lines[i]
            if "\t" not in line.text:
                continue
            cells = line.folded.split("\t")
            roles = header_roles(g, cells)
            if "label" not in roles:
                continue
            cols = {j: parse_columns(g, c) for j, c in enumerate(cells) if j not in roles.values()}
            value_cols = {j: cs[0] for j, cs in cols.items() if len(cs) == 1}
            if any(c.preliminary for c in value_cols.values()):
                for c in value_cols.values():  # 'Sơ bộ 2022': a statistics office's results
                    c.kind = c.kind or "actual"
            if value_cols:
                return TsvBlock(i, roles, value_cols)
        return None

    def read(self, block: TsvBlock) -> BlockRead:
        """Every tabbed line up to the first untabbed one (blank lines do not end the table)."""
        lines = self.state.lines
        consumed = self.state.consumed
        header = lines[block.start].folded.strip()
        j = block.start + 1
        while j < len(lines):
            row = lines[j]
            if row.blank:
                j += 1
                continue
            if "\t" not in row.text:
                break
            consumed[j] = 1
            if row.folded.strip() != header:  # a repeated header is no row
                self._read_row(row, block)
            j += 1
        consumed[block.start] = 1
        return BlockRead(j, True)

    def _read_row(self, row: Line, block: TsvBlock) -> None:
        """Hand a row to ``emit_row``; a row too short to reach the label cell gives nothing."""
        spans = _cell_spans(row)
        lab = spans[block.roles["label"]] if block.roles["label"] < len(spans) else None
        if lab is None:
            return
        emit_row(
            self.state,
            LabelledRow(
                RowLabel(self.state.doc.text[lab[0] : lab[1]].strip(), lab[0], lab[1]),
                self._unit(spans, block.roles.get("unit")),
                self._cells(spans, block.columns),
                row.start,
                row.end,
                self.name,
            ),
        )

    def _unit(self, spans: list[tuple[int, int]], j: int | None) -> RowUnit:
        """The unit named by a row's unit cell, if the table has a unit column."""
        if j is None or j >= len(spans):
            return RowUnit()
        a, b = spans[j]
        unit_folded = self.state.doc.folded[a:b]
        if not unit_folded.strip():
            return RowUnit(self.state.printed(a, b))
        return RowUnit(self.state.printed(a, b), *self.state.grammar.unit_from_text(unit_folded))

    def _cells(
        self, spans: list[tuple[int, int]], columns: dict[int, Column]
    ) -> list[tuple[Column, Cell]]:
        """(column, cell) for each figure column whose cell the row has and is not empty."""
        pairs = []
        for j, col in columns.items():
            if j < len(spans) and (c := cell_at(self.state, *spans[j])) is not None:
                pairs.append((col, c))
        return pairs


def _cell_spans(row: Line) -> list[tuple[int, int]]:
    """Each tab-separated cell's span in the document."""
    spans = []
    pos = row.start
    for c in row.text.split("\t"):
        spans.append((pos, pos + len(c)))
        pos += len(c) + 1
    return spans
