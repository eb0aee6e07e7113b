"""The body of a statistics table whose rows are labelled (indicators or places) and whose
columns are known in number: each row is its label's lines and its cells, on the label's last
line or one per line (both in one table).

A row ends once it has a cell per column, or at the end of its label's line if its cells stand
there (a blank cell printed as spaces leaves it short); words arriving before that end it
without all its figures (the reader reports it). A dash or ellipsis takes a column. Page
furniture, page-number strips and lone table or page numbers between rows are passed over; the
table ends at a consumed line, at the header, unit line or title of the next table ('ĐVT:
Giường', '… phân theo huyện'), at a footnote ('* Ghi chú …') or at prose.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from pipeline.staging.stat_lines import StatDoc, header_years, is_noise, is_page_strip
from pipeline.staging.stat_tables import place_of, printed_label
from pipeline.staging.state import Line

_LONGEST_LABEL_LINE = 150  # a longer line of words is prose after the table
_NOTE_MARK = "*"  # a line opening with it is a note under the table


@dataclass(slots=True)
class BodyRow:
    """A row: its label's spans (one per line), its lines, its cells' spans, and a group line
    ending in ':' above its label ('Trong đó - Of which:'), its parent."""

    label: list[tuple[int, int]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    cells: list[tuple[int, int]] = field(default_factory=list)
    parent: str = ""

    def place_texts(self, sd: StatDoc) -> list[str]:
        """The label lines a row's place is read from. Where the line of its cells names a
        place in Vietnamese ('Huyện Kỳ Sơn   3,12 …'), that line alone: a place row without
        figures above it ('Huyện Lương Sơn') lends it no name; an English half ('Da Bac
        district 3,85 …', 'WHOLE PROVINCE 98,55 …') reads with the lines above it."""
        text = sd.state.doc.text
        texts = [text[a:b] for a, b in self.label]
        if (
            self.label
            and self.cells
            and sd.state.line_no(self.label[-1][0]) == sd.state.line_no(self.cells[0][0])
        ):
            own = texts[-1]
            if any(ch.isalpha() and ord(ch) > 127 for ch in own):
                return [own]
        return texts

    def span(self) -> tuple[int, int]:
        """From the label (or the first cell) to the last cell."""
        start = self.label[0][0] if self.label else self.cells[0][0]
        return start, self.cells[-1][1]


def body_rows(sd: StatDoc, first: int, width: int, places: bool) -> tuple[list[BodyRow], int]:
    """The rows from line ``first`` on, for ``width`` columns, and the line the table ends
    before (after its last row: words after it are not the table's). ``places``: rows name
    places, so two place names in a row are two rows, not one label."""
    lines = sd.state.lines
    rows: list[BodyRow] = []
    row = BodyRow()
    end = first
    for i in range(first, len(lines)):
        line = lines[i]
        if line.blank or is_noise(sd.words, line) or (is_page_strip(line) and not row.label):
            continue
        if sd.state.consumed[i] or starts_header(sd, line) or _is_note(line):
            break
        unit_line = sd.words.unit_line.match(line.folded) is not None
        if rows and (unit_line or sd.words.by_place.search(line.folded)):
            break  # the unit line or title of the next table ('… phân theo huyện'): no row
        if unit_line and not row.label:
            continue  # the table's own unit line, printed under its header
        cells = sd.cells(line)
        if cells.value_only:
            if row.label:  # else a page or table number between rows
                row.cells += cells.spans
                row.lines.append(i)
                if len(row.cells) >= width:
                    rows.append(row)
                    row, end = BodyRow(), i + 1
            continue
        if row.cells:  # words after too few cells: the row ended without all its figures
            rows.append(row)
            row, end = BodyRow(), row.lines[-1] + 1
        if not row.label and len(line.stripped) > _LONGEST_LABEL_LINE:
            break  # prose after the table
        if places and row.label and _separate_places(sd, row, line, cells.label_end):
            row = BodyRow()
        elif (
            not places
            and row.label
            and (cells.spans or _english_only(sd, row))
            and _opens_row(sd, line, cells.label_end)
        ):
            # the words above were a row without figures, or the English half of the row
            # above printed after its figures: not this label's
            row = BodyRow()
        add_label(sd, row, line, cells.label_end)
        if cells.spans:
            row.cells += cells.spans
            # a row printed on its label's line ends there: with too few cells its blanks
            # were spaces, and a page number below is none of its figures
            rows.append(row)
            row, end = BodyRow(), i + 1
    if row.cells:
        rows.append(row)
        end = row.lines[-1] + 1
    return rows, end


def starts_header(sd: StatDoc, line: Line) -> bool:
    """A year header of the next table: a preliminary word, or increasing years, and only
    those (a single year among cells is a figure)."""
    found = header_years(sd.words, line)
    if found is None:
        return False
    years, prelim = found
    increasing = all(b > a for a, b in itertools.pairwise(years))
    return (prelim and not sd.cells(line).value_only) or (len(years) >= 2 and increasing)


def _opens_row(sd: StatDoc, line: Line, label_end: int) -> bool:
    """Whether a line of words and figures opens a row of its own: its words begin with a
    capital and are Vietnamese ('Số người chết do HIV/AIDS … 1,02 0,88'). An English half
    ('Doctor per 10000 inhabitants (Person) 8,75') or a wrapped end in lower case ('loại vắc
    xin (%) 95,20') continues the label above."""
    words = sd.state.doc.text[line.start : label_end].strip()
    return (
        bool(words) and words[0].isupper() and any(ch.isalpha() and ord(ch) > 127 for ch in words)
    )


def _english_only(sd: StatDoc, row: BodyRow) -> bool:
    """Whether a row's label so far has no Vietnamese letter ('Doctors per 10000 inhabitants
    Person' under the row whose figures stood on its Vietnamese line)."""
    text = sd.state.doc.text
    return not any(ord(ch) > 127 and ch.isalpha() for a, b in row.label for ch in text[a:b])


def _is_note(line: Line) -> bool:
    return line.stripped.startswith(_NOTE_MARK)


def add_label(sd: StatDoc, row: BodyRow, line: Line, label_end: int) -> None:
    """A line of words joins the row's label; a group line ending in ':' is its parent."""
    start = line.start + len(line.text) - len(line.text.lstrip())
    if start >= label_end:
        return
    row.lines.append(line.no)
    text = sd.state.doc.folded[start:label_end].strip()
    if text.endswith(":") and not row.label:
        row.parent = text
        row.lines.pop()
        return
    row.label.append((start, label_end))


def _separate_places(sd: StatDoc, row: BodyRow, line: Line, label_end: int) -> bool:
    """Whether a place row without figures ('Huyện Hoàng Sa') stands before this line of
    words, itself another place: then they are two rows, never one label ('TOÀN TỈNH' /
    'WHOLE PROVINCE' name one place in two languages: one row)."""
    before = place_of(sd, [printed_label(sd, row.label)])[0]
    if before is None:
        return False
    start = line.start + len(line.text) - len(line.text.lstrip())
    this = place_of(sd, [sd.state.doc.text[start:label_end]])[0]
    return this is not None and this.code != before.code


def first_row_is_whole(sd: StatDoc, first: int) -> bool:
    """Whether the first line of words from ``first`` on names the whole province or country
    ('TOÀN TỈNH - WHOLE PROVINCE'): then the rows are places."""
    line = next((ln for ln in sd.state.lines[first:] if not ln.blank), None)
    if line is None:
        return False
    name = sd.state.doc.folded[line.start : sd.cells(line).label_end].split(" - ")[0]
    return " ".join(name.split()) in sd.words.whole
