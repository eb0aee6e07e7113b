"""Target-indicator tables of the Ministry of Health's statistics yearbook: one cell per line.

Column headers come first, each a short paragraph with a kind word and a year ('Thực hiện' /
'Implemented target 2019', 'Mục tiêu đến năm 2025' / 'Target to 2025'); then each row is a
numbered bilingual label on one line ('3. Số giường bệnh trên 10000 dân Number of beds per
10000 inhabitants') followed by its cells, one per line, with empty lines between them. A blank
cell is a line holding only spaces; values use a decimal point and may carry a comparator
('>90', '≥ 95'). A row whose cells cannot be matched to the columns one for one goes to
``unmapped``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from pipeline.staging.columns import Column, parse_columns
from pipeline.staging.layout import Block, BlockRead, register
from pipeline.staging.rows import RowLabel
from pipeline.staging.stat_lines import is_noise, years_in
from pipeline.staging.stat_reader import StatReader
from pipeline.staging.stat_tables import (
    StatRow,
    caption_above,
    emit_stat_row,
    is_part_of_row,
    match_label,
    paren_unit,
    reports,
    unmapped,
)
from pipeline.text import fold_phrase, phrase_regex
from pipeline.text.grammar import Grammar

_LONGEST_HEADER_LINE = 60
_HEADER_PARAGRAPH = 3  # lines of one column header at most


@lru_cache(maxsize=8)
def _kind_line(grammar: Grammar) -> re.Pattern[str]:
    """A line made of a column-kind word, filler words and maybe a year ('Mục tiêu đến năm
    2025', 'Thực hiện'): where a column header of such a table can start."""
    lex = grammar.lexicon
    kinds = sorted({fold_phrase(p) for ps in lex["column_kinds"].values() for p in ps}, key=len)
    filler = sorted({fold_phrase(p) for p in lex["column_filler_words"]}, key=len)
    kind = "|".join(phrase_regex(k) for k in reversed(kinds))
    rest = "|".join([*(phrase_regex(f) for f in reversed(filler)), r"(?:19|20)\d\d"])
    return re.compile(rf"[ \t]*(?:{kind})(?:[ \t]+(?:{rest}))*[ \t]*(?=\n|\Z)")


@dataclass(frozen=True)
class TargetBlock(Block):
    """Column headers: a column per paragraph; the rows start at ``body``."""

    body: int
    columns: list[Column]


@dataclass(slots=True)
class _Row:
    label: tuple[int, int]
    lines: list[int]
    items: list[tuple[int, int] | None] = field(default_factory=list)  # None: a blank cell


@register
class TargetTableReader(StatReader[TargetBlock]):
    """One-cell-per-line tables of actual and target columns; the first reader to run."""

    name = "target_table"
    rank = 2

    def anchors(self) -> list[re.Pattern[str]]:
        return [_kind_line(self.state.grammar)]  # 'Thực hiện', 'Mục tiêu đến năm 2025'

    def find(self, start: int) -> TargetBlock | None:
        """The next run of two or more column headers, each a paragraph with a year."""
        for i in self.anchors_from(start):
            columns: list[Column] = []
            j = i
            while (found := self._column_at(j)) is not None:
                column, j = found
                columns.append(column)
            body = self.state.next_nonblank(j)
            if (
                len(columns) >= 2
                and body is not None
                and not self.sd.cells(self.state.lines[body]).spans
            ):
                return TargetBlock(i, body, columns)
        return None

    def _column_at(self, i: int) -> tuple[Column, int] | None:
        """The column header whose paragraph starts at the first line from i holding words:
        a kind word and one year (printed once or twice: 'Mục tiêu đến năm 2025' / 'Target
        to 2025'). Returns it and the line after the paragraph."""
        lines = self.state.lines
        kind_line = _kind_line(self.state.grammar)
        first = self.state.next_nonblank(i)
        if first is None or not kind_line.match(lines[first].folded):
            return None
        # on to the line naming the year (or, after a first line naming it, the lines naming it
        # again), before a blank line or the next kind line: headers may stand without gaps
        seen = set(years_in(lines[first].folded))
        j = first + 1
        while j < len(lines) and not lines[j].blank and j - first < _HEADER_PARAGRAPH:
            named = set(years_in(lines[j].folded))
            if kind_line.match(lines[j].folded) or (seen and named != seen):
                break
            seen, j = seen or named, j + 1
            if named and len(seen) == 1 and not years_in(lines[first].folded):
                break
        if any(len(lines[k].stripped) > _LONGEST_HEADER_LINE for k in range(first, j)):
            return None
        text = " ".join(lines[k].folded.strip() for k in range(first, j))
        years = set(years_in(text))
        if len(years) != 1:
            return None
        year = years.pop()
        kind_words = lines[first].folded.strip()
        if str(year) not in kind_words:
            kind_words += f" {year}"
        found = [c for c in parse_columns(self.state.grammar, kind_words) if c.kind]
        if len(found) != 1:
            return None
        return found[0], j

    # ---------------------------------------------------------------------------- rows
    def read(self, block: TargetBlock) -> BlockRead:
        """Each label line and the cell lines under it."""
        rows, end = self._rows(block)
        if not any(row.items for row in rows):
            return BlockRead(block.body, False)
        caption = caption_above(self.sd, block.start, 0)
        consumed = self.state.consumed
        for i in [*caption.lines, *range(block.start, end)]:
            consumed[i] = 1
        reports(self.state, block.columns)
        previous = ""
        for row in rows:
            previous = self._emit(row, block, caption.folded, previous)
        return BlockRead(end, True)

    def _rows(self, block: TargetBlock) -> tuple[list[_Row], int]:
        """The rows under the headers and the line the table ends before (after the last row
        with cells: words after it are notes)."""
        lines = self.state.lines
        rows: list[_Row] = []
        end = block.body
        for i in range(block.body, len(lines)):
            line = lines[i]
            if not line.text:
                continue  # an empty line parts two cells
            if self.state.consumed[i]:
                break
            if line.blank:  # a line of spaces is a blank cell
                if rows:
                    rows[-1].items.append(None)
                    end = i + 1
                continue
            if is_noise(self.sd.words, line):
                continue
            cells = self.sd.cells(line)
            if cells.value_only and rows:
                rows[-1].items += cells.spans if len(cells.spans) == 1 else [(-1, -1)]
                end = i + 1
            elif rows and rows[-1].items == [] and len(rows[-1].lines) < 2:
                rows[-1].lines.append(i)  # the label wraps
                rows[-1].label = (rows[-1].label[0], line.end)
            else:
                start = line.start + len(line.text) - len(line.text.lstrip())
                rows.append(_Row((start, line.end), [i]))
        return [r for r in rows if r.items], end

    def _emit(self, row: _Row, block: TargetBlock, context: str, previous: str) -> str:
        """The row's figures, or why not; the indicator read (for the next row's 'Trong đó')."""
        a, b = row.label
        end = max((s[1] for s in row.items if s is not None), default=b)
        label_text = " ".join(self.state.doc.text[a:b].split())
        values = [s for s in row.items if s is not None]
        n = len(block.columns)
        if len(row.items) == n and (-1, -1) not in row.items:
            spans = row.items
        elif len(values) == n and (-1, -1) not in values:
            spans = list(values)
        else:
            reason = (
                f"{len(values)} figures and {len(row.items) - len(values)} blank cells under "
                f"{n} columns: which column each belongs to cannot be told"
            )
            unmapped(self.sd, a, end, "cells_mismatch", f"{label_text!r}: {reason}")
            return ""
        cells = [
            (col, self.sd.cell(s) if s else None)
            for col, s in zip(block.columns, spans, strict=True)
        ]
        folded = self.state.doc.folded[a:b]
        unit = paren_unit(self.sd, a, b)
        found = [c for _col, c in cells if c is not None]
        choice, matched = match_label(self.sd, folded, unit, context, found)
        if isinstance(choice, str):
            code = "ambiguous" if matched else "no_indicator"
            unmapped(self.sd, a, end, code, f"{choice}: {label_text!r}")
            return ""
        if is_part_of_row(self.sd, folded) and choice.code == previous:
            reason = f"a part of the row above ({label_text!r}), not {choice.code} itself"
            unmapped(self.sd, a, end, "part_of_row", reason)
            return previous
        label = RowLabel(label_text, a, b)
        emit_stat_row(self.sd, StatRow(label, unit, cells, a, end, self.name, choice.code))
        return choice.code
