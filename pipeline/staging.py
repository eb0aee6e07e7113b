"""Staging layer: find every figure in a document, whatever its layout.

Three readers share one grammar and one catalog:

* ``tsv_tables``  — tab-separated tables with year columns (``Thực hiện 2023 | Kế hoạch 2024``);
* ``pdf_tables``  — tables flattened line by line from PDF: wrapped rows, header cells split over
  lines, row numbers like ``15.1``, sub-rows ``- Tuyến tỉnh``, notes in cells, page-break headers;
* ``prose``       — targets in running text, numbered objectives and bullet lists under headings
  such as ``Đến năm 2025``, including lists that share one unit at the end.

Each figure keeps its span in the document, from which the warehouse takes line numbers and the
verbatim quote. Nothing here knows any particular document: layout is recognised from the text.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from pipeline.reference import Catalog, Match
from pipeline.text import (
    Document,
    code_points,
    fold,
    fold_phrase,
    phrase_needle,
    phrase_pieces,
    phrase_regex,
)
from pipeline.text.grammar import Grammar, Mention

EXTRACTOR_VERSION = "1.0.0"


@dataclass
class Figure:
    """A figure read from a document, before harmonisation."""

    indicator_code: str
    year: int | None
    kind: str  # actual | target
    is_estimate: bool
    comparator: str | None
    value: float | None
    value_reported: str
    unit_reported: str | None
    unit_code_reported: str | None
    label_reported: str
    start: int
    end: int
    reader: str
    condition: str | None = None
    qualitative: bool = False
    range_high: float | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Unmapped:
    start: int
    end: int
    reason_code: str
    reason: str


@dataclass
class Extraction:
    figures: list[Figure]
    unmapped: list[Unmapped]
    layouts: list[str]


@dataclass
class Context:
    """Where figures without their own year get one: title year, then sidecar default."""

    title_year: int | None
    default_year: int | None
    issued_year: int | None = None

    def fallback_year(self) -> int | None:
        return self.title_year if self.title_year is not None else self.default_year

    def kind_of_year(self, year: int | None) -> str:
        """Kind of a column headed by a bare year: before the plan's year it reports results."""
        plan_year = self.title_year or self.issued_year
        if year is not None and plan_year is not None and year < plan_year:
            return "actual"
        return "target"


# ------------------------------------------------------------------------------------ lines


@dataclass
class Line:
    no: int  # index in doc lines
    start: int
    end: int
    text: str  # normalised text (no newline)
    folded: str
    stripped: str  # folded.strip(), computed once: readers ask for it many times per line
    blank: bool  # nothing but whitespace


def _lines(doc: Document) -> list[Line]:
    out = []
    pos = 0
    # folding maps no character to or from a newline: both views split at the same places
    for i, (t, f) in enumerate(zip(doc.text.split("\n"), doc.folded.split("\n"), strict=True)):
        out.append(Line(i, pos, pos + len(t), t, f, f.strip(), not t.strip()))
        pos += len(t) + 1
    return out


# Heading markers, one alternative per level, tried in this order (first match wins):
# 'II. ' or 'Phụ lục' (1), '1.2.3. ' (4), '1.2. ' or 'a) ' (3), '1. ' (2).
_HEADING = re.compile(
    r"^\s*(?:"
    r"(?P<l1>[ivx]{1,5}\.\s+\S|phu\s+luc\b)"
    r"|(?P<l4>\d{1,2}\.\d{1,2}\.\d{1,2}\.?\s+[^\d\s])"
    r"|(?P<l3>\d{1,2}\.\d{1,2}\.?\s+[^\d\s]|[a-zđ]\)\s+\S)"
    r"|(?P<l2>\d{1,2}\.\s+[^\d\s])"
    r")"
)


def heading_levels(lines: list[Line]) -> list[int | None]:
    """Each line's heading level (1 the highest), None for a line that is no heading."""
    match = _HEADING.match
    return [
        int(m.lastgroup[1:]) if (m := match(line.folded)) and m.lastgroup else None
        for line in lines
    ]


# --------------------------------------------------------------------------------- columns


@dataclass
class Column:
    year: int | None
    kind: str
    is_estimate: bool
    header: str


def parse_columns(grammar: Grammar, header_folded: str) -> list[Column]:
    """Value columns named in a header: 'Thực hiện năm 2023 Kế hoạch đến năm 2025' -> 2 columns."""
    text = re.sub(r"\s+", " ", header_folded).strip()
    # a period column ('Giai đoạn 2021-2025') is one column, named by its last year
    text = re.sub(r"\b(?:19|20)\d\d\s*-\s*((?:19|20)\d\d)\b", r"\1", text)
    cols: list[Column] = []
    rest = text
    for m in re.finditer(r"(.*?)\b((?:19|20)\d\d)\b", text):
        words = m.group(1).strip()
        cols.append(_column(grammar, words, int(m.group(2))))
        rest = text[m.end() :]
    if not cols:
        # header without years: each kind word opens a column ('Kế hoạch', 'Thực hiện'), but
        # only if the header is made of such words ('Đơn vị chủ trì thực hiện' is not a column
        # of figures)
        leftover = text
        for phrase, _kind in grammar.column_words:
            leftover = re.sub(phrase_regex(phrase), " ", leftover)
        leftover = re.sub(r"\b(?:nam|den|giai doan|cua|ve|-)\b", " ", leftover)
        if leftover.strip():
            return []
        for part in _split_kind_words(grammar, text):
            cols.append(_column(grammar, part, None))
    elif rest.strip() and _kind_of(grammar, rest) is not None:
        cols.append(_column(grammar, rest.strip(), None))
    return [c for c in cols if c.kind or c.year is not None]


def _kind_of(grammar: Grammar, words: str) -> str | None:
    for phrase, kind in grammar.column_words:
        if re.search(phrase_regex(phrase), words):
            return kind
    return None


def _split_kind_words(grammar: Grammar, text: str) -> list[str]:
    starts = []
    for phrase, _kind in grammar.column_words:
        for m in re.finditer(phrase_regex(phrase), text):
            if not any(s <= m.start() < e for s, e in starts):
                starts.append((m.start(), m.end()))
    starts.sort()
    return [
        text[s : (starts[i + 1][0] if i + 1 < len(starts) else len(text))]
        for i, (s, _e) in enumerate(starts)
    ]


def _column(grammar: Grammar, words: str, year: int | None) -> Column:
    kind = _kind_of(grammar, words) or ""  # a bare year: resolved against the plan's year
    est = any(
        re.search(phrase_regex(fold_phrase(w)), words) for w in grammar.lexicon["column_estimate"]
    )
    if est:
        kind = "actual"
    return Column(year, kind, est, words)


# ----------------------------------------------------------------------------------- cells


@dataclass
class Cell:
    start: int
    end: int
    mention: Mention | None
    text: str  # folded cell text
    condition: str | None = None
    qualitative: bool = False


_PARENS = re.compile(r"[()]")


def _paren_depth(s: str) -> int:
    """Parentheses still open at the end of ``s`` (a ')' with none open closes nothing)."""
    if "(" not in s:
        return 0
    depth = 0
    for ch in _PARENS.findall(s):
        if ch == "(":
            depth += 1
        elif depth:
            depth -= 1
    return depth


@lru_cache(maxsize=64)
def _union(patterns: tuple[str, ...], flags: int) -> re.Pattern[str]:
    """One regex that finds text wherever any of ``patterns`` would (a single scan, not n)."""
    return re.compile("|".join(f"(?:{p})" for p in patterns), flags)


@lru_cache(maxsize=16)
def _after_break(rx: re.Pattern[str]) -> re.Pattern[str]:
    """``rx`` right after a line break: a literal first character, which a search skips to."""
    return re.compile(f"\n(?:{rx.pattern})", rx.flags)


def _any_of(regexes: list[re.Pattern[str]]) -> re.Pattern[str]:
    """The union of compiled regexes (which must share their flags)."""
    flags = {rx.flags for rx in regexes}
    if len(flags) > 1:
        raise ValueError("regexes compiled with different flags cannot be joined")
    return _union(tuple(rx.pattern for rx in regexes), flags.pop() if flags else 0)


@lru_cache(maxsize=8)
def _any_starter(grammar: Grammar) -> re.Pattern[str]:
    return _any_of(grammar.qualitative_starters)


def _qualitative_splits(grammar: Grammar, folded: str, a: int, b: int) -> list[int]:
    """Positions in [a, b) where a qualitative cell opens ('Loại trừ...', 'Duy trì...')."""
    starts: list[tuple[int, int]] = []
    seg = folded[a:b]
    if not _any_starter(grammar).search(seg):
        return []  # most cells open no qualitative text: one scan says so
    for starter in grammar.qualitative_starters:
        for m in starter.finditer(seg):
            starts.append((a + m.start(), a + m.end()))
    starts.sort()
    out: list[int] = []
    last_end = -10
    for s, e in starts:
        if folded[last_end:s].strip() == "" and last_end >= 0:  # continues the previous starter
            last_end = e
            continue
        out.append(s)
        last_end = e
    return out


def _free_digits(folded: str, mask: bytearray) -> list[int]:
    """Positions of the digits (what ``\\d`` matches) of ``folded`` outside ``mask``, in order.

    Vectorised over code points: a regex scan of the text costs ten times more. ASCII digits are
    compared directly; the few other characters are put through ``\\d`` itself.
    """
    codes = code_points(folded)
    digit = (codes >= ord("0")) & (codes <= ord("9"))
    wide = np.flatnonzero(codes > 127)
    if wide.size:
        others = codes[wide].tobytes().decode("utf-32-le", "surrogatepass")
        for m in _DIGIT.finditer(others):
            digit[wide[m.start()]] = True
    return np.flatnonzero(digit & (np.frombuffer(mask, dtype=np.uint8) == 0)).tolist()


def _open_row(number: str, parent: dict | None, line_no: int, start: int, sub: bool) -> dict:
    """A table row being read: its number, parent row, lines and where its label starts."""
    if parent is not None:
        parent["has_children"] = True
    return {"number": number, "parent": parent, "lines": [line_no], "start": start, "sub": sub}


# ---------------------------------------------------------------------------------- reader

# Item numbers opening a line ('1.2.', '(3)', a row number before a tab) are never figures.
# Matched at a line's start in the whole text (its lookahead may see the line break).
_ITEM_NUMBER = re.compile(r"[ \t]*(?:\(?\d{1,2}(?:\.\d{1,2})*[.)](?=\s)|\d{1,3}(?=\t))")
_DIGIT = re.compile(r"\d")
# A line opening an item of a list: '- ', '(2)', '3. ', '1.2 ', 'b) '.
_ITEM_OPEN = re.compile(r"^\s*(?:[-+•]\s|\(\d{1,2}\)|\d{1,2}(?:\.\d{1,2})*\.?\s|[a-zđ]\)\s)")
# A full stop (not in a number) before a capital, a digit or the end; or a tab. Its lookbehind
# comes after the '.', so that the search skips from '.' to '.'.
_SENTENCE_END = re.compile(r"\.(?<![\d.]\.)(?=\s+[\"'(\-A-ZĐÀ-Ỹ0-9]|\s*$)|\t")
_CLAUSE_END = re.compile(r"[;:]")
_PERCENT = re.compile(r"\d[.,]?\d*\s*%")
_EMPTY_CELL = re.compile(r"\s*[-x–—…]+\s*")
_UNIT_NOTE = re.compile(r"\s*\(.*$", re.S)
_ITEM_MARKER = re.compile(r"\s*(?:\(\d{1,2}\)|\d{1,2}[.)]|[-+•%])\s*")


@lru_cache(maxsize=8)
def _header_words(grammar: Grammar) -> dict[str, list[re.Pattern[str]]]:
    """Words of a table header by role ('number', 'label', 'unit', 'note'), compiled once."""
    hdr = grammar.lexicon["table_header"]
    return {k: [re.compile(phrase_regex(fold_phrase(w))) for w in v] for k, v in hdr.items()}


@lru_cache(maxsize=8)
def _header_needles(grammar: Grammar, role: str) -> tuple[str, ...]:
    """A literal every match of a header phrase contains (its longest word): a cheap pre-check.

    A phrase's regex matches its words (split at ' ' and '/') literally, so a text holding none
    of the needles holds none of the phrases.
    """
    phrases = grammar.lexicon["table_header"][role]
    return tuple(phrase_needle(fold_phrase(w)) for w in phrases)


@lru_cache(maxsize=8)
def _header_continuation(grammar: Grammar) -> re.Pattern[str]:
    """A line that continues a PDF table's header: only header words, years and dashes.

    The words are those of the lexicon's column kinds, table-header phrases and
    ``header_continuation``.
    """
    lex = grammar.lexicon
    phrases = [
        *(p for ps in lex["column_kinds"].values() for p in ps),
        *(p for ps in lex["table_header"].values() for p in ps),
        *lex["header_continuation"],
    ]
    words = sorted({w for p in phrases for w in phrase_pieces(fold_phrase(p)) if w}, key=len)
    alternatives = "|".join(re.escape(w) for w in reversed(words))
    return re.compile(rf"^\s*(?:(?:{alternatives}|(?:19|20)\d\d|-)\s*)+$")


class Reader:
    def __init__(self, doc: Document, catalog: Catalog, context: Context):
        self.doc = doc
        self.catalog = catalog
        self.g = catalog.grammar
        self.ctx = context
        self.lines = _lines(doc)
        self._starts = [line.start for line in self.lines]
        self.levels = heading_levels(self.lines)  # asked for again and again
        self.mask = self.g.masked(doc.folded)
        for no, m in self._at_line_starts(_ITEM_NUMBER):
            a = self.lines[no].start
            self.mask[a : m.end()] = b"\x01" * (m.end() - a)
        self.figures: list[Figure] = []
        self.unmapped: list[Unmapped] = []
        self.layouts: list[str] = []
        self.consumed = bytearray(len(self.lines))  # lines owned by a figure table
        self._hdr = _header_words(self.g)
        self._hdr_any = {role: _any_of(rxs) for role, rxs in self._hdr.items()}
        self._hdr_label = self._hdr_any["label"]
        self._hdr_label_needles = _header_needles(self.g, "label")
        self._header_continues = _header_continuation(self.g)
        # memo of _is_pdf_header: None where unknown, False where no header word can stand
        self._header_candidates = self._lines_with_any(self._hdr_label_needles)
        self._is_header: list[bool | None] = [False] * len(self.lines)
        for no in self._header_candidates:
            self._is_header[no] = None
        self._free: list[int] | None = None  # digits outside the mask: see _has_free_digit
        # cells of a table row by (label start, lines, footer lines): rows are re-read per line
        self._cells_memo: dict[tuple, tuple[list[Cell], int, int, int]] = {}

    def _line_no(self, pos: int) -> int:
        """Index of the line holding text position ``pos``."""
        return bisect_right(self._starts, pos) - 1

    def _at_line_starts(self, rx: re.Pattern[str]) -> list[tuple[int, re.Match[str]]]:
        """(line index, match) for each line at whose start ``rx`` matches, in order.

        Same as ``rx.match(text, line.start)`` line by line, for a regex that matches no line
        break: one search that skips from line break to line break, much cheaper than a call per
        line. A match found after a break includes it: it ends at ``m.end()``, it starts at the
        line's start.
        """
        folded = self.doc.folded
        first = rx.match(folded)
        found = [(0, first)] if first is not None else []
        found += [(self._line_no(m.start() + 1), m) for m in _after_break(rx).finditer(folded)]
        return found

    def _lines_with_any(self, needles: tuple[str, ...]) -> list[int]:
        """Lines (indexes, in order) whose text holds one of ``needles``.

        ``str.find`` over the whole text, going on after each hit from the end of its line, is
        much cheaper than a test per line (or a regex: the alternation has no literal prefix).
        """
        if any(not n or "\n" in n for n in needles):
            return list(range(len(self.lines)))  # a needle could stand anywhere, or span lines
        folded = self.doc.folded
        lines = self.lines
        found: set[int] = set()
        for needle in set(needles):
            i = folded.find(needle)
            while i >= 0:
                no = self._line_no(i)
                found.add(no)
                i = folded.find(needle, lines[no].end + 1)
        return sorted(found)

    def printed(self, a: int, b: int) -> str:
        """Text as printed in the raw file (composed, whitespace collapsed): '14,3%o'."""
        return " ".join(unicodedata.normalize("NFC", self.doc.quote(a, b)).split())

    # ---------------------------------------------------------------------------- driver
    def run(self) -> Extraction:
        self.tsv_tables()
        self.pdf_tables()
        self.prose()
        return Extraction(self.figures, self.unmapped, self.layouts)

    def heading_years(self) -> list[int | None]:
        """Year given by the headings above each line ('2.1. Đến năm 2025')."""
        out: list[int | None] = []
        stack: list[tuple[int, int]] = []  # (level, year)
        current: int | None = None  # the year of the innermost heading that gives one
        for line, level in zip(self.lines, self.levels, strict=True):
            if level is not None:
                stack = [(lv, y) for lv, y in stack if lv < level]
                year = self._year_of_line(line)
                if year is not None:
                    stack.append((level, year))
                current = stack[-1][1] if stack else None
            elif (line.stripped.endswith(":") or self.g.year_line.fullmatch(line.folded)) and (
                year := self._year_of_line(line)
            ) is not None:
                # 'Mục tiêu đến năm 2025:' heads what follows (the line's shape is tested first:
                # it is cheaper than looking for a year, and most lines fail it)
                stack = [(lv, y) for lv, y in stack if lv < 9]
                stack.append((9, year))
                current = year
            out.append(current)
        return out

    def _year_of_line(self, line: Line) -> int | None:
        """The year a short line names, unless it holds a percentage (a figure, not a year)."""
        if len(line.stripped) > 80:
            return None
        year = self.g.year_in(line.folded)
        return year if year is not None and not _PERCENT.search(line.folded) else None

    # ------------------------------------------------------------------------ tsv tables
    def _header_roles(self, cells: list[str]) -> dict[str, int]:
        roles: dict[str, int] = {}
        for i, c in enumerate(cells):
            c = c.strip()
            for role in ("number", "label", "unit", "note"):
                if role not in roles and self._hdr_any[role].fullmatch(c):
                    roles[role] = i
        return roles

    def tsv_tables(self) -> None:
        i = 0
        n = len(self.lines)
        while i < n:
            line = self.lines[i]
            if "\t" not in line.text:
                i += 1
                continue
            cells = line.folded.split("\t")
            roles = self._header_roles(cells)
            if "label" not in roles:
                i += 1
                continue
            cols = {
                j: parse_columns(self.g, c) for j, c in enumerate(cells) if j not in roles.values()
            }
            value_cols = {j: cs[0] for j, cs in cols.items() if len(cs) == 1}
            if not value_cols:
                i += 1
                continue  # a table of names without figures: its cells are read as prose
            self.layouts.append("tsv_table")
            header = line.folded
            j = i + 1
            while j < n:
                row = self.lines[j]
                if row.blank:
                    j += 1
                    continue
                if "\t" not in row.text:
                    break
                self.consumed[j] = 1
                if row.folded.strip() == header.strip():
                    j += 1
                    continue
                self._tsv_row(row, roles, value_cols)
                j += 1
            self.consumed[i] = 1
            i = j

    def _tsv_row(self, row: Line, roles: dict[str, int], value_cols: dict[int, Column]) -> None:
        spans = []
        pos = row.start
        for c in row.text.split("\t"):
            spans.append((pos, pos + len(c)))
            pos += len(c) + 1

        def cell(j: int) -> tuple[int, int] | None:
            return spans[j] if j < len(spans) else None

        lab = cell(roles["label"])
        if lab is None:
            return
        label_text = self.doc.text[lab[0] : lab[1]].strip()
        unit_span = cell(roles["unit"]) if "unit" in roles else None
        unit_folded = self.doc.folded[unit_span[0] : unit_span[1]] if unit_span else ""
        unit_code, unit_kind = (
            self.g.unit_from_text(unit_folded) if unit_folded.strip() else (None, None)
        )
        unit_text = self.printed(*unit_span) if unit_span else None
        cells: list[tuple[Column, Cell]] = []
        for j, col in value_cols.items():
            sp = cell(j)
            if sp is None:
                continue
            c = self._cell(sp[0], sp[1])
            if c is not None:
                cells.append((col, c))
        self._emit_row(
            label_text,
            lab[0],
            lab[1],
            "",
            unit_text,
            unit_code,
            unit_kind,
            cells,
            row_start=row.start,
            row_end=row.end,
            reader="tsv_table",
        )

    def _cell(self, a: int, b: int) -> Cell | None:
        folded = self.doc.folded
        if not folded[a:b].strip() or _EMPTY_CELL.fullmatch(folded, a, b):
            return None
        ms = [
            m
            for m in self.g.mentions(folded, a, b, self.mask)
            if _paren_depth(folded[a : m.num_start]) == 0
        ]
        if not ms:
            return Cell(a, b, None, folded[a:b].strip(), qualitative=True)
        m = ms[0]
        cond = self.doc.text[m.end : b].strip(" ;,\n") or None
        return Cell(m.start, b, m, folded[a:b].strip(), condition=cond)

    # ------------------------------------------------------------------------ pdf tables
    def _is_pdf_header(self, line: Line) -> bool:
        """Whether a line heads a PDF table (memoised: the row reader asks for every line)."""
        known = self._is_header[line.no]
        if known is None:
            known = self._is_header[line.no] = self._pdf_header_test(line)
        return known

    def _pdf_header_test(self, line: Line) -> bool:
        s = line.stripped
        if "\t" in line.text or len(s) > 90:
            return False
        if not any(n in s for n in self._hdr_label_needles) or not self._hdr_label.search(s):
            return False
        first = s.split(" ")[0] if s else ""
        starts_with_number = any(rx.fullmatch(first) for rx in self._hdr["number"])
        unit_text = s
        nxt = self._next_nonblank(line.no + 1)
        if nxt is not None and len(self.lines[nxt].stripped) <= 30:
            unit_text += " " + self.lines[nxt].stripped  # 'TT Chỉ tiêu' / 'Đơn vị' on two lines
        has_unit = self._hdr_any["unit"].search(unit_text) is not None
        return has_unit and (starts_with_number or len(s) < 40)

    def _header_block(self, i: int) -> tuple[str, int]:
        """Header text from line i and the index of the first line after the header."""
        parts = [self.lines[i].folded]
        j = i + 1
        while j < len(self.lines):
            ln = self.lines[j]
            if ln.blank:
                j += 1
                continue
            if self._header_continues.match(ln.folded):
                parts.append(ln.folded)
                j += 1
                continue
            break
        return " ".join(parts), j

    def pdf_tables(self) -> None:
        candidates = self._header_candidates  # other lines hold no header word
        i = 0
        while True:
            c = bisect_left(candidates, i)
            if c == len(candidates):
                break
            i = candidates[c]
            if self.consumed[i] or not self._is_pdf_header(self.lines[i]):
                i += 1
                continue
            header, j = self._header_block(i)
            tail = header
            unit_pos = max(
                (m.end() for rx in self._hdr["unit"] for m in rx.finditer(header)), default=0
            )
            tail = header[unit_pos:]
            cols = parse_columns(self.g, tail)
            if not cols:
                i += 1
                continue
            for k in range(i, j):
                self.consumed[k] = 1
            end, n_rows = self._pdf_rows(j, cols)
            if n_rows == 0:  # no numbered rows found: give the lines back to the prose reader
                for k in range(i, end):
                    self.consumed[k] = 0
                i = j
                continue
            self.layouts.append("pdf_table")
            i = end

    _ROW_START = re.compile(r"^\s*(\d{1,3}(?:\.\d{1,2})*)\.?(?:\s+|$)")
    _PAGE_NUMBERS = re.compile(r"\s*\d{1,4}(?:\s+\d{1,4})*\s*")
    _LETTER_START = re.compile(r"^\s*[a-zđ]")
    _PAREN_START = re.compile(r"^\s*\(")
    _LABEL_START = re.compile(r"[a-zđ(]")
    _DASH = re.compile(r"^\s*[-+]\s+")
    _DASH_ITEM = re.compile(r"^\s*[-+]\s+\S")
    _WORDS_START = re.compile(r"^\s*[a-zđà-ỹ(]")

    def _pdf_rows(self, i: int, cols: list[Column]) -> tuple[int, int]:
        """Read rows from line i: (index of the first line after the table, rows read)."""
        k = len(cols)
        rows: list[dict] = []  # each: number, parent, lines, sub
        current: dict | None = None
        last_main = 0
        last_sub = 0
        footers: set[int] = set()
        n = len(self.lines)

        def complete() -> bool:
            """Whether the current row has a cell per column: counted only where a decision
            needs it, always before ``current`` moves on to a new row."""
            return current is not None and self._row_cells_count(current, footers) >= k

        while i < n:
            line = self.lines[i]
            if line.blank:
                i += 1
                continue
            if self._is_pdf_header(line):  # page-break repeat of the header
                # bare integers just before it are a page footer
                if current and current["lines"]:
                    last = self.lines[current["lines"][-1]]
                    if self._PAGE_NUMBERS.fullmatch(last.folded):
                        footers.add(last.no)
                        if self._row_cells_count(current, footers) < k:
                            footers.discard(last.no)  # the row needs it: a value, not a footer
                _h, j = self._header_block(i)
                for x in range(i, j):
                    self.consumed[x] = 1
                i = j
                continue
            level = self.levels[i]
            if level is not None and level <= 2 and (current is None or level == 1 or complete()):
                break
            m = self._ROW_START.match(line.folded)
            label_number = bool(m and self.mask[line.start + m.start(1)])
            if label_number:
                m = None  # '8 loại vắc xin' continues a cell; it does not open row 8
            started = False
            if m:
                num = m.group(1)
                parts = num.split(".")
                rest = line.folded[m.end() :].strip()
                expected_main = (
                    {str(last_main + 1), str(last_main + 2)} if last_main else {"1", "01"}
                )
                is_sub = (
                    len(parts) == 2
                    and parts[0] == str(last_main)
                    and int(parts[1]) in (last_sub + 1, last_sub + 2)
                )
                is_main = len(parts) == 1 and str(int(parts[0])) in {
                    str(int(x)) for x in expected_main
                }
                if is_sub or is_main:
                    nxt = self._next_nonblank(i + 1)
                    label_next = (
                        nxt is not None
                        and self._LETTER_START.match(self.lines[nxt].folded) is not None
                        and not self._PAREN_START.match(self.lines[nxt].folded)
                    )
                    has_label = bool(self._LABEL_START.match(rest))
                    if has_label or current is None or complete() or (not rest and label_next):
                        if is_main:
                            last_main, last_sub = int(parts[0]), 0
                            parent = None
                        else:
                            last_sub = int(parts[1])
                            parent = next(
                                (r for r in reversed(rows) if r["number"] == parts[0]), None
                            )
                        current = _open_row(num, parent, i, line.start + m.end(), not is_main)
                        rows.append(current)
                        started = True
            if not started and self._DASH_ITEM.match(line.folded) and current is not None:
                main = current if not current["sub"] else (current["parent"] or current)
                if current["sub"] or self._row_cells_count(main, footers) >= k:
                    dash = self._DASH.match(line.folded)
                    current = _open_row(
                        f"{main['number']}-", main, i, line.start + dash.end(), True
                    )
                    rows.append(current)
                    started = True
            continues = (
                not started
                and (label_number or self._WORDS_START.match(line.text) is not None)
                and complete()
            )
            if not started and not continues and (current is None or complete()):
                # a group label ('Chỉ số đầu vào') or stray text between rows
                if current is not None and len(line.stripped) > 120:
                    break
                stray = [
                    m
                    for m in self.g.mentions(self.doc.folded, line.start, line.end, self.mask)
                    if m.comparator is not None or m.unit_code is not None
                ]
                if stray:
                    self.unmapped.append(
                        Unmapped(
                            line.start,
                            line.end,
                            "stray_in_table",
                            "figure between table rows, attached to no row",
                        )
                    )
                self.consumed[i] = 1
                i += 1
                continue
            if not started:
                current["lines"].append(i)
            self.consumed[i] = 1
            i += 1
        for row in rows:
            self._pdf_row(row, cols, footers)
        return i, len(rows)

    def _next_nonblank(self, i: int) -> int | None:
        while i < len(self.lines):
            if not self.lines[i].blank:
                return i
            i += 1
        return None

    def _row_span(self, row: dict, footers: set[int]) -> tuple[int, int, list[tuple[int, int]]]:
        pieces = []
        for ln in row["lines"]:
            if ln in footers:
                continue
            line = self.lines[ln]
            a = row["start"] if ln == row["lines"][0] else line.start
            pieces.append((a, line.end))
        if not pieces:
            return row["start"], row["start"], []
        return pieces[0][0], pieces[-1][1], pieces

    def _row_cells(self, row: dict, footers: set[int]) -> tuple[list[Cell], int, int, int]:
        """Cells of a row and where its label ends: (cells, label_start, label_end, unit_end).

        They depend only on the row's label start, lines and footer lines, so they are memoised:
        the row reader asks again at every line, mostly about a row that has not changed.
        """
        excluded = tuple(ln for ln in row["lines"] if ln in footers)
        key = (row["start"], tuple(row["lines"]), excluded)
        cells = self._cells_memo.get(key)
        if cells is None:
            cells = self._cells_memo[key] = self._read_row_cells(row, footers, set(excluded))
        return cells

    def _read_row_cells(
        self, row: dict, footers: set[int], excluded: set[int]
    ) -> tuple[list[Cell], int, int, int]:
        a, b, _pieces = self._row_span(row, footers)
        folded = self.doc.folded
        ms = self.g.mentions(folded, a, b, self.mask)
        if excluded:
            ms = [m for m in ms if self.doc.line_of(m.num_start) - 1 not in excluded]
        ms = [m for m in ms if _paren_depth(folded[a : m.num_start]) == 0]
        if not ms:
            # fully qualitative row: cells open at qualitative starters after the unit column
            splits = _qualitative_splits(self.g, folded, a, b)
            if not splits or not folded[a : splits[0]].strip():
                return [], a, b, b  # no cells, or a group row whose words merely open with a verb
            cells = []
            for idx, s in enumerate(splits):
                e = splits[idx + 1] if idx + 1 < len(splits) else b
                cells.append(Cell(s, e, None, folded[s:e].strip(), qualitative=True))
            return cells, a, splits[0], splits[0]
        label_end = ms[0].start
        cells: list[Cell] = []
        for idx, m in enumerate(ms):
            seg_end = ms[idx + 1].start if idx + 1 < len(ms) else b
            splits = _qualitative_splits(self.g, folded, m.end, seg_end)
            cond_end = splits[0] if splits else seg_end
            cond = re.sub(r"\s+", " ", self.doc.text[m.end : cond_end]).strip(" ;,") or None
            cells.append(
                Cell(m.start, cond_end, m, folded[m.start : cond_end].strip(), condition=cond)
            )
            for sidx, s in enumerate(splits):
                e = splits[sidx + 1] if sidx + 1 < len(splits) else seg_end
                cells.append(Cell(s, e, None, folded[s:e].strip(), qualitative=True))
        return cells, a, label_end, label_end

    def _row_cells_count(self, row: dict, footers: set[int]) -> int:
        return len(self._row_cells(row, footers)[0])

    def _pdf_row(self, row: dict, cols: list[Column], footers: set[int]) -> None:
        cells, a, label_end, _ = self._row_cells(row, footers)
        folded = self.doc.folded
        label_folded = folded[a:label_end]
        unit_code, unit_kind, ustart = self.g.unit_suffix(label_folded)
        label_stop = a + ustart if unit_code else label_end
        unit_text = self.printed(a + ustart, label_end) if unit_code else None
        label_text = re.sub(r"\s+", " ", self.doc.text[a:label_stop]).strip()
        parent_label = ""
        if row["parent"] is not None:
            _pcells, pa, plabel_end, _u = self._row_cells(row["parent"], footers)
            parent_label = folded[pa:plabel_end]
        if not cells:
            if (row["sub"] and not label_text) or row.get("has_children"):
                return  # a group row: its sub-rows carry the figures
            self._unmapped_row(
                a,
                max(label_end, a + 1),
                label_text,
                parent_label,
                "no_figures",
                "indicator row without figures",
            )
            return
        if len(cells) != len(cols):
            self._unmapped_row(
                a,
                self._row_span(row, footers)[1],
                label_text,
                parent_label,
                "cells_mismatch",
                f"{len(cells)} figures in a row of a {len(cols)}-column table; "
                "columns cannot be assigned without guessing",
            )
            return
        self._emit_row(
            label_text,
            a,
            label_stop,
            parent_label,
            unit_text,
            unit_code,
            unit_kind,
            list(zip(cols, cells, strict=True)),
            row_start=a,
            row_end=self._row_span(row, footers)[1],
            reader="pdf_table",
        )

    def _unmapped_row(
        self, a: int, b: int, label: str, parent: str, code: str, reason: str
    ) -> None:
        matches = self.catalog.match(fold_phrase(label), context=parent, has_denominator=True)
        if matches:
            top = [m.code for m in matches if m.score == matches[0].score]
            reason += f" (indicator {' or '.join(top)})"
        self.unmapped.append(Unmapped(a, b, code, reason))

    # -------------------------------------------------------------------------- emit rows
    def _emit_row(
        self,
        label_text: str,
        la: int,
        lb: int,
        parent_label: str,
        unit_text: str | None,
        unit_code: str | None,
        unit_kind: str | None,
        cells: list[tuple[Column, Cell]],
        row_start: int,
        row_end: int,
        reader: str,
    ) -> None:
        folded = self.doc.folded
        label_folded = folded[la:lb]
        has_denominator = (
            self.g.has_denominator(label_folded)
            or unit_kind == "rate"
            or any(c.mention is not None and c.mention.unit_kind == "rate" for _col, c in cells)
        )
        matches = self.catalog.match(label_folded, has_denominator=has_denominator)
        if not matches and parent_label:
            matches = self.catalog.match(
                label_folded, context=parent_label, has_denominator=has_denominator
            )
        choice = self._choose(matches, unit_code)
        if isinstance(choice, str):
            self.unmapped.append(
                Unmapped(
                    row_start,
                    row_end,
                    "no_indicator" if not matches else "ambiguous",
                    choice + f": {label_text!r}",
                )
            )
            return
        label_comp = self.g.comparator_at_end(label_folded)
        for col, cell in cells:
            year = col.year if col.year is not None else self.ctx.fallback_year()
            fig = self._figure(
                choice.code,
                cell,
                col.kind or self.ctx.kind_of_year(col.year),
                col.is_estimate,
                year,
                label_text,
                unit_text,
                unit_code,
                label_comp,
                reader,
            )
            fig.start = row_start  # the quote runs from the row's label to the figure's cell
            self.figures.append(fig)

    def _choose(self, matches: list[Match], unit_code: str | None) -> Match | str:
        if not matches:
            return "no indicator in the catalog matches this label"
        top = [m for m in matches if m.score == matches[0].score]
        if len(top) > 1 and unit_code:
            same_unit = [m for m in top if self.catalog.indicators[m.code].unit == unit_code]
            if len(same_unit) == 1:
                return same_unit[0]
        if len(top) > 1:
            return "ambiguous label, matches " + " and ".join(m.code for m in top)
        return top[0]

    def _figure(
        self,
        code: str,
        cell: Cell,
        kind: str,
        col_estimate: bool,
        year: int | None,
        label: str,
        unit_text: str | None,
        unit_code: str | None,
        label_comp: str | None,
        reader: str,
    ) -> Figure:
        m = cell.mention
        text = self.doc.text
        if m is None:
            words = self.printed(cell.start, cell.end)
            return Figure(
                code,
                year,
                kind,
                col_estimate,
                None,
                None,
                words,
                unit_text,
                unit_code,
                label,
                cell.start,
                cell.start + len(text[cell.start : cell.end].rstrip()),
                reader,
                qualitative=True,
            )
        notes = []
        if m.footnote is not None and m.footnote in self.doc.footnotes:
            notes.append(f"footnote {m.footnote}: {self.doc.footnotes[m.footnote].text}")
        value_reported = self.printed(m.start, m.end)
        if m.unit_code is not None:
            u_text, u_code = self.printed(m.num_end, m.end), m.unit_code
            u_text = _UNIT_NOTE.sub("", u_text).strip() or u_text
        else:
            u_text, u_code = unit_text, unit_code
        condition = cell.condition
        if condition and self.g.estimate_note.fullmatch(fold(condition)):
            condition = None
        return Figure(
            code,
            year,
            kind,
            m.is_estimate or col_estimate,
            m.comparator or label_comp,
            m.value,
            value_reported,
            u_text,
            u_code,
            label,
            m.start,
            m.end if not condition else cell.end,
            reader,
            condition=condition,
            notes=notes,
        )

    # ------------------------------------------------------------------------------ prose
    def prose(self) -> None:
        folded = self.doc.folded
        years: list[int | None] | None = None  # heading years, read once a figure needs them
        saw = False
        for a, b in self._figure_sentences():
            clauses = [
                (ca, cb, ms) for ca, cb in self._clauses(a, b) if (ms := self._figures_in(ca, cb))
            ]
            if not clauses:
                continue
            if years is None:
                years = self.heading_years()
            year, kind = self._sentence_year_kind(a, b, years)
            for ca, cb, ms in clauses:
                if self._clause(ca, cb, ms, folded[a:ca], year, kind):
                    saw = True
        if saw:
            self.layouts.append("prose")

    def _has_free_digit(self, a: int, b: int) -> bool:
        """A digit in [a, b) outside the mask: where a figure can start (a cheap pre-check)."""
        if self._free is None:
            self._free = _free_digits(self.doc.folded, self.mask)  # once, on first use
        i = bisect_left(self._free, a)
        return i < len(self._free) and self._free[i] < b

    def _figures_in(self, a: int, b: int) -> list[Mention]:
        """Figures of a clause: numbers with a comparator or a unit (see ``_is_figure``)."""
        return [
            m
            for m in self.g.mentions(self.doc.folded, a, b, self.mask, ranges=True)
            if self._is_figure(m)
        ]

    def _sentence_year_kind(
        self, a: int, b: int, years: list[int | None]
    ) -> tuple[int | None, str]:
        """Year of a sentence's figures (its own, its headings', the document's) and their kind."""
        line_idx = self.doc.line_of(a) - 1
        heading_year = years[line_idx] if 0 <= line_idx < len(years) else None
        sentence = self.doc.folded[a:b]
        year = self.g.year_in(sentence)
        year = year if year is not None else heading_year
        year = year if year is not None else self.ctx.fallback_year()
        kind = "actual" if self.g.is_actual_sentence(sentence) else "target"
        return year, kind

    def _figure_sentences(self) -> list[tuple[int, int]]:
        """Sentence spans outside figure tables (split at full stops, items and headings) with a
        digit outside the mask, the only ones that can hold a figure; passages without one are
        not split at all."""
        return [
            s
            for a, b in self._passages()
            if self._has_free_digit(a, b)
            for s in self._split_sentences(a, b)
            if self._has_free_digit(*s)
        ]

    def _passages(self) -> list[tuple[int, int]]:
        """Runs of lines outside figure tables, split before items, headings and TSV lines."""
        spans: list[tuple[int, int]] = []
        start: int | None = None
        for line in self.lines:
            if self.consumed[line.no]:
                if start is not None:
                    spans.append((start, self.lines[line.no - 1].end))
                    start = None
                continue
            if line.blank:
                continue
            opens = bool(_ITEM_OPEN.match(line.folded)) or self.levels[line.no] is not None
            is_tsv = "\t" in line.text
            if start is not None and (opens or is_tsv):
                spans.append((start, line.start - 1))
                start = None
            if start is None:
                start = line.start
            if is_tsv:
                spans.append((start, line.end))
                start = None
        if start is not None:
            spans.append((start, len(self.doc.text)))
        return spans

    def _split_sentences(self, a: int, b: int) -> list[tuple[int, int]]:
        """Sentences of the passage [a, b): split at full stops and tabs, blank ones dropped."""
        text = self.doc.text
        out: list[tuple[int, int]] = []
        seg_start = a
        for m in _SENTENCE_END.finditer(text[a:b]):
            end = a + m.end()
            if text[seg_start:end].strip():
                out.append((seg_start, end))
            seg_start = end
        if text[seg_start:b].strip():
            out.append((seg_start, b))
        return out

    def _clauses(self, a: int, b: int) -> list[tuple[int, int]]:
        text = self.doc.text
        out = []
        s = a
        for m in _CLAUSE_END.finditer(text, a, b):
            e = m.end()
            out.append((s, e))
            s = e
        out.append((s, b))
        return [(x, y) for x, y in out if text[x:y].strip()]

    def _figure_bearing(self, m: Mention) -> bool:
        return m.comparator is not None or m.unit_kind == "rate"

    @staticmethod
    def _is_figure(m: Mention) -> bool:
        """In running text a bare number (no comparator, no unit) is not a figure."""
        return m.comparator is not None or m.unit_code is not None

    def _clause(
        self, ca: int, cb: int, ms: list[Mention], context: str, year: int | None, kind: str
    ) -> bool:
        folded = self.doc.folded
        clause = folded[ca:cb]
        # A denominator after the last figure is shared by the whole list:
        # 'Đạt 35 giường bệnh viện, 10 bác sĩ, ..., 20 điều dưỡng viên trên 10.000 dân'.
        tail = folded[ms[-1].num_end : cb]
        shared_unit = self.g.denominator_unit(tail)
        n = len(ms)
        befores, afters = [], []
        for i, m in enumerate(ms):
            prev_end = ms[i - 1].end if i else ca
            next_start = ms[i + 1].start if i + 1 < n else cb
            own = m.has_denominator or m.unit_kind == "rate" or shared_unit is not None
            before, after = folded[prev_end : m.start], folded[m.num_end : next_start]
            befores.append(
                self.catalog.match(before, has_denominator=own or self.g.has_denominator(before))
            )
            afters.append(
                self.catalog.match(after, has_denominator=own or self.g.has_denominator(after))
            )
        lf = sum(1 for x in befores if x)
        vf = sum(1 for x in afters if x)
        chosen = afters if vf > lf else befores
        any_figure = False
        for i, m in enumerate(ms):
            matches = chosen[i]
            region_a = (ms[i - 1].end if i else ca) if chosen is befores else m.num_end
            region_b = m.start if chosen is befores else (ms[i + 1].start if i + 1 < n else cb)
            if not matches:
                prev_text = context + " " + folded[ca:region_a]
                den = (
                    m.has_denominator
                    or m.unit_kind == "rate"
                    or shared_unit is not None
                    or self.g.has_denominator(clause)
                )
                matches = self.catalog.match(
                    folded[region_a:region_b], context=prev_text.strip(), has_denominator=den
                )
            bearing = self._figure_bearing(m) or bool(matches)
            if not bearing:
                continue
            any_figure = True
            span_a = min(region_a, m.start) if chosen is befores else m.start
            span_b = m.end if chosen is befores else max(region_b, m.end)
            span_a, span_b = self._trim(span_a, span_b)
            choice = self._choose(matches, m.unit_code or shared_unit)
            if isinstance(choice, str):
                self.unmapped.append(
                    Unmapped(span_a, span_b, "no_indicator" if not matches else "ambiguous", choice)
                )
                continue
            if year is None:
                self.unmapped.append(
                    Unmapped(
                        span_a,
                        span_b,
                        "no_year",
                        f"indicator {choice.code} recognised but no year can be attributed "
                        "(no year in the sentence, its headings, the title or the sidecar)",
                    )
                )
                continue
            label = self._clean_label(region_a, region_b)
            unit_text = self.printed(m.num_end, m.end) or None
            fig = Figure(
                choice.code,
                year,
                kind,
                m.is_estimate,
                m.comparator,
                m.value,
                self.printed(m.start, m.end),
                unit_text,
                m.unit_code if m.unit_code else shared_unit,
                label,
                span_a,
                span_b,
                "prose",
                range_high=m.range_high,
            )
            if m.unit_code == "count" and shared_unit:
                fig.unit_code_reported = shared_unit
            self.figures.append(fig)
        return any_figure

    def _clean_label(self, a: int, b: int) -> str:
        """The indicator's name as printed, without item markers or a trailing verb."""
        a, b = self._trim(a, b)
        folded = self.doc.folded
        m = _ITEM_MARKER.match(folded[a:b])
        if m:
            a += m.end()
        while True:
            comp, start = self.g.comparator_before(folded, b, a)
            if comp is None or start >= b or self.doc.text[start:b].strip() in "<>=≤≥~":
                break
            b = start
        return " ".join(self.doc.text[a:b].split()).strip(" ,;:.-")

    def _trim(self, a: int, b: int) -> tuple[int, int]:
        text = self.doc.text
        while a < b and text[a] in " \t\n,;:.-":
            a += 1
        while b > a and text[b - 1] in " \t\n,;:":
            b -= 1
        return a, b


def extract(doc: Document, catalog: Catalog, context: Context) -> Extraction:
    """Every figure in ``doc``: table rows, objective lists and running text."""
    return Reader(doc, catalog, context).run()
