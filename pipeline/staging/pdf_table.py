"""Tables flattened line by line from PDF: a header line 'TT | Chỉ tiêu | Đơn vị' whose column
cells may be split over lines ('Thực' / 'hiện năm' / '2023'), rows wrapping over lines, row
numbers like '15.1', sub-rows '- Tuyến tỉnh', notes in cells, and the header repeated after each
page break, maybe after the page's footer number.

Nothing marks where a row ends, so rows are read line by line: a line opens a row if it carries
the next row number (and the row before it has all its figures, or it starts a label), and
otherwise continues the row being read. A number right before a repeated header is a page footer
only if the row already has all its figures without it.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field

from pipeline.staging.cells import Cell, row_cells
from pipeline.staging.columns import Column, parse_columns
from pipeline.staging.headers import (
    any_header_word,
    header_continuation,
    header_needles,
    header_words,
)
from pipeline.staging.layout import Block, BlockRead, LayoutReader, register
from pipeline.staging.records import Unmapped
from pipeline.staging.rows import LabelledRow, RowLabel, RowUnit, emit_row, unmapped_label
from pipeline.staging.state import DocumentState, Line

_ROW_START = re.compile(r"^\s*(\d{1,3}(?:\.\d{1,2})*)\.?(?:\s+|$)")
_PAGE_NUMBERS = re.compile(r"\s*\d{1,4}(?:\s+\d{1,4})*\s*")
_LETTER_START = re.compile(r"^\s*[a-zđ]")
_PAREN_START = re.compile(r"^\s*\(")
_LABEL_START = re.compile(r"[a-zđ(]")
_DASH = re.compile(r"^\s*[-+]\s+")
_DASH_ITEM = re.compile(r"^\s*[-+]\s+\S")
_WORDS_START = re.compile(r"^\s*[a-zđà-ỹ(]")
_SPACES = re.compile(r"\s+")
_LONGEST_HEADER = 90  # characters: a longer line is a sentence that mentions header words
_SHORT_HEADER = 40  # a header this short needs no row-number word ('Chỉ tiêu Đơn vị')
_SHORT_NEXT_LINE = 30  # a line this short after a header may hold its unit cell
_LONGEST_STRAY = 120  # longer text between complete rows is prose: the table has ended


@dataclass(frozen=True)
class PdfBlock(Block):
    """A table header: its first line, the first line after it, and its figure columns."""

    body: int
    columns: list[Column]


@dataclass(eq=False, slots=True)
class TableRow:
    """A row being read: its number ('15.1'; '4-' for a dash sub-row of row 4), the row it
    belongs to, its lines and where its label starts."""

    number: str
    parent: TableRow | None
    lines: list[int]
    start: int
    sub: bool
    has_children: bool = False


def open_row(number: str, parent: TableRow | None, line_no: int, start: int, sub: bool) -> TableRow:
    """A new row on line ``line_no``; its parent learns that it has sub-rows."""
    if parent is not None:
        parent.has_children = True
    return TableRow(number, parent, [line_no], start, sub)


@dataclass(slots=True)
class _Scan:
    """The rows of one table read so far, and what deciding about the next line depends on."""

    width: int  # figure columns: a row with this many cells is complete
    rows: list[TableRow] = field(default_factory=list)
    current: TableRow | None = None
    last_main: int = 0
    last_sub: int = 0
    footers: set[int] = field(default_factory=set)  # lines holding a page footer

    def add(self, row: TableRow) -> None:
        """A row opened: it is the one the next lines continue."""
        self.rows.append(row)
        self.current = row


@register
class PdfTableReader(LayoutReader[PdfBlock]):
    """Tables flattened from PDF, one instance per document (it memoises headers and cells)."""

    name = "pdf_table"
    rank = 20

    def __init__(self, state: DocumentState):
        super().__init__(state)
        g = state.grammar
        self._words = header_words(g)
        self._any_word = any_header_word(g)
        self._label_needles = header_needles(g, "label")
        self._continues = header_continuation(g)
        self._candidates = state.lines_with_any(self._label_needles)  # no other line is a header
        # memo of _is_header: None where unknown, False where no header word can stand
        self._is_header_memo: list[bool | None] = [False] * len(state.lines)
        for no in self._candidates:
            self._is_header_memo[no] = None
        # cells of a row by (label start, lines, footer lines): rows are re-read at every line
        self._cells_memo: dict[tuple, tuple[list[Cell], int, int]] = {}

    # ------------------------------------------------------------------------------ header
    def find(self, start: int) -> PdfBlock | None:
        """The next header line not yet consumed whose header names figure columns."""
        lines = self.state.lines
        for i in self._candidates[bisect_left(self._candidates, start) :]:
            if self.state.consumed[i] or not self._is_header(lines[i]):
                continue
            header, body = self._header_block(i)
            unit_pos = max(
                (m.end() for rx in self._words["unit"] for m in rx.finditer(header)), default=0
            )
            columns = parse_columns(self.state.grammar, header[unit_pos:])
            if columns:
                return PdfBlock(i, body, columns)
        return None

    def _is_header(self, line: Line) -> bool:
        """Whether a line heads a PDF table (memoised: the row reader asks for every line)."""
        known = self._is_header_memo[line.no]
        if known is None:
            known = self._is_header_memo[line.no] = self._header_test(line)
        return known

    def _header_test(self, line: Line) -> bool:
        """A short line with a label word and a unit word (maybe on the next line), opening with
        a row-number word unless it is very short: a sentence naming 'chỉ tiêu' is no header."""
        s = line.stripped
        if "\t" in line.text or len(s) > _LONGEST_HEADER:
            return False
        if not any(n in s for n in self._label_needles) or not self._any_word["label"].search(s):
            return False
        first = s.split(" ")[0] if s else ""
        starts_with_number = any(rx.fullmatch(first) for rx in self._words["number"])
        unit_text = s
        nxt = self.state.next_nonblank(line.no + 1)
        if nxt is not None and len(self.state.lines[nxt].stripped) <= _SHORT_NEXT_LINE:
            unit_text += " " + self.state.lines[nxt].stripped  # 'TT Chỉ tiêu' / 'Đơn vị'
        has_unit = self._any_word["unit"].search(unit_text) is not None
        return has_unit and (starts_with_number or len(s) < _SHORT_HEADER)

    def _header_block(self, i: int) -> tuple[str, int]:
        """Header text from line i and the index of the first line after the header."""
        lines = self.state.lines
        parts = [lines[i].folded]
        j = i + 1
        while j < len(lines):
            ln = lines[j]
            if not ln.blank:
                if not self._continues.match(ln.folded):
                    break
                parts.append(ln.folded)
            j += 1
        return " ".join(parts), j

    # -------------------------------------------------------------------------------- rows
    def read(self, block: PdfBlock) -> BlockRead:
        """The rows under a header; a header with none gives all its lines back to prose."""
        consumed = self.state.consumed
        consumed[block.start : block.body] = b"\x01" * (block.body - block.start)
        end, scan = self._scan(block.body, len(block.columns))
        if not scan.rows:
            consumed[block.start : end] = bytes(end - block.start)
            return BlockRead(block.body, False)
        for row in scan.rows:
            self._read_row(row, block.columns, scan.footers)
        return BlockRead(end, True)

    def _scan(self, i: int, width: int) -> tuple[int, _Scan]:
        """Rows from line i: (index of the first line after the table, the rows read)."""
        scan = _Scan(width)
        lines = self.state.lines
        while i < len(lines):
            line = lines[i]
            if line.blank:
                i += 1
            elif self._is_header(line):  # page-break repeat of the header
                i = self._page_break(scan, i)
            elif self._ends_table(scan, i) or not self._take_line(scan, line):
                break
            else:
                i += 1
        return i, scan

    def _page_break(self, scan: _Scan, i: int) -> int:
        """Consume a repeated header; the line after it. Bare integers just before it are a page
        footer, unless the row needs them as a figure."""
        row = scan.current
        if row is not None and row.lines:
            last = self.state.lines[row.lines[-1]]
            if _PAGE_NUMBERS.fullmatch(last.folded):
                scan.footers.add(last.no)
                if self._cell_count(row, scan.footers) < scan.width:
                    scan.footers.discard(last.no)  # the row needs it: a value, not a footer
        _header, j = self._header_block(i)
        self.state.consumed[i:j] = b"\x01" * (j - i)
        return j

    def _complete(self, scan: _Scan) -> bool:
        """Whether the row being read has a cell per column (counted only where a decision
        needs it, always before the scan moves on to a new row)."""
        return (
            scan.current is not None and self._cell_count(scan.current, scan.footers) >= scan.width
        )

    def _ends_table(self, scan: _Scan, i: int) -> bool:
        """A heading of level 1, or of level 2 once the row being read is complete."""
        level = self.state.levels[i]
        return (
            level is not None
            and level <= 2
            and (scan.current is None or level == 1 or self._complete(scan))
        )

    def _take_line(self, scan: _Scan, line: Line) -> bool:
        """Read a line into the table: it opens a row, continues one, or stands between rows.
        False if it ends the table instead (long text after a complete row)."""
        m = _ROW_START.match(line.folded)
        # '8 loại vắc xin' continues a cell; it does not open row 8
        label_number = m is not None and bool(self.state.mask[line.start + m.start(1)])
        opened = (
            m is not None and not label_number and self._open_numbered(scan, line, m)
        ) or self._open_dash(scan, line)
        if not opened:
            continues = (
                label_number or _WORDS_START.match(line.text) is not None
            ) and self._complete(scan)
            if continues or (scan.current is not None and not self._complete(scan)):
                scan.current.lines.append(line.no)  # type: ignore[union-attr]
            elif scan.current is not None and len(line.stripped) > _LONGEST_STRAY:
                return False
            else:
                self._stray(line)  # a group label ('Chỉ số đầu vào') or stray text
        self.state.consumed[line.no] = 1
        return True

    def _open_numbered(self, scan: _Scan, line: Line, m: re.Match[str]) -> bool:
        """Open a row at the next row number (or sub-row number) if the line starts one."""
        num = m.group(1)
        parts = num.split(".")
        expected_main = (scan.last_main + 1, scan.last_main + 2) if scan.last_main else (1,)
        is_main = len(parts) == 1 and int(parts[0]) in expected_main
        is_sub = (
            len(parts) == 2
            and parts[0] == str(scan.last_main)
            and int(parts[1]) in (scan.last_sub + 1, scan.last_sub + 2)
        )
        if not (is_main or is_sub) or not self._opens_row(scan, line, m):
            return False
        parent = None
        if is_main:
            scan.last_main, scan.last_sub = int(parts[0]), 0
        else:
            scan.last_sub = int(parts[1])
            parent = next((r for r in reversed(scan.rows) if r.number == parts[0]), None)
        scan.add(open_row(num, parent, line.no, line.start + m.end(), not is_main))
        return True

    def _opens_row(self, scan: _Scan, line: Line, m: re.Match[str]) -> bool:
        """Whether an expected row number opens a row rather than being a figure of the row
        being read: a label follows it (on its line or the next), or the row is complete."""
        rest = line.folded[m.end() :].strip()
        if _LABEL_START.match(rest) or scan.current is None or self._complete(scan):
            return True
        nxt = self.state.next_nonblank(line.no + 1)
        if rest or nxt is None:
            return False
        nxt_folded = self.state.lines[nxt].folded
        return _LETTER_START.match(nxt_folded) is not None and not _PAREN_START.match(nxt_folded)

    def _open_dash(self, scan: _Scan, line: Line) -> bool:
        """Open a dash sub-row ('- Tuyến tỉnh') once the row it belongs to is complete."""
        row = scan.current
        if row is None or not _DASH_ITEM.match(line.folded):
            return False
        main = row if not row.sub else (row.parent or row)
        if not row.sub and self._cell_count(main, scan.footers) < scan.width:
            return False
        dash = _DASH.match(line.folded)
        assert dash is not None  # _DASH_ITEM matched
        scan.add(open_row(f"{main.number}-", main, line.no, line.start + dash.end(), True))
        return True

    def _stray(self, line: Line) -> None:
        """Text between rows: a figure in it is attached to no row, and reported as such."""
        ms = self.state.grammar.mentions(
            self.state.doc.folded, line.start, line.end, self.state.mask
        )
        if any(m.comparator is not None or m.unit_code is not None for m in ms):
            reason = "figure between table rows, attached to no row"
            self.state.unmapped.append(Unmapped(line.start, line.end, "stray_in_table", reason))

    # ------------------------------------------------------------------------------- cells
    def _row_span(self, row: TableRow, footers: set[int]) -> tuple[int, int]:
        """From the row's label start to the end of its last line, footer lines left out."""
        kept = [ln for ln in row.lines if ln not in footers]
        if not kept:
            return row.start, row.start
        first = row.start if kept[0] == row.lines[0] else self.state.lines[kept[0]].start
        return first, self.state.lines[kept[-1]].end

    def _row_cells(self, row: TableRow, footers: set[int]) -> tuple[list[Cell], int, int]:
        """Cells of a row, where it starts and where its label ends.

        They depend only on the row's label start, lines and footer lines, so they are memoised:
        the row reader asks again at every line, mostly about a row that has not changed.
        """
        excluded = tuple(ln for ln in row.lines if ln in footers)
        key = (row.start, tuple(row.lines), excluded)
        found = self._cells_memo.get(key)
        if found is None:
            a, b = self._row_span(row, footers)
            cells, label_end = row_cells(self.state, a, b, set(excluded))
            found = self._cells_memo[key] = (cells, a, label_end)
        return found

    def _cell_count(self, row: TableRow, footers: set[int]) -> int:
        """How many cells a row has so far: it is complete with one per column."""
        return len(self._row_cells(row, footers)[0])

    def _read_row(self, row: TableRow, columns: list[Column], footers: set[int]) -> None:
        """Figures of a row, or why it has none; a group row (its sub-rows carry the figures)
        gives nothing."""
        cells, a, label_end = self._row_cells(row, footers)
        label, unit = self._label(row, a, label_end, footers)
        state = self.state
        if not cells:
            if not ((row.sub and not label.text) or row.has_children):
                reason = "indicator row without figures"
                end = max(label_end, a + 1)
                state.unmapped.append(unmapped_label(state, label, end, "no_figures", reason))
            return
        end = self._row_span(row, footers)[1]
        if len(cells) != len(columns):
            reason = (
                f"{len(cells)} figures in a row of a {len(columns)}-column table; "
                "columns cannot be assigned without guessing"
            )
            state.unmapped.append(unmapped_label(state, label, end, "cells_mismatch", reason))
            return
        pairs = list(zip(columns, cells, strict=True))
        emit_row(state, LabelledRow(label, unit, pairs, a, end, self.name))

    def _label(
        self, row: TableRow, a: int, label_end: int, footers: set[int]
    ) -> tuple[RowLabel, RowUnit]:
        """A row's label and the unit cell that ends it ('... dưới 5 tuổi | %')."""
        folded = self.state.doc.folded
        code, kind, ustart = self.state.grammar.unit_suffix(folded[a:label_end])
        stop = a + ustart if code else label_end
        unit = RowUnit(self.state.printed(a + ustart, label_end) if code else None, code, kind)
        parent = ""
        if row.parent is not None:
            _cells, pa, plabel_end = self._row_cells(row.parent, footers)
            parent = folded[pa:plabel_end]
        text = _SPACES.sub(" ", self.state.doc.text[a:stop]).strip()
        return RowLabel(text, a, stop, parent), unit
