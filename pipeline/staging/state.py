"""The document as every layout reader sees it, and what the readers share while reading it.

Facts about the whole document are computed once, not per reader: its lines, their heading
levels, the label-number mask (digits that belong to labels, dates and item numbers, never to
figures) and the digits it leaves free. While reading, readers share which lines a table reader
consumed (the prose reader reads the rest) and the figures, unmapped text and layouts found.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from pipeline.reference import Catalog, GeoResolver
from pipeline.sources.table_spec import TableSpec
from pipeline.staging.patterns import after_break
from pipeline.staging.records import Extraction, Figure, Unmapped
from pipeline.text import Document, code_points, fold_phrase
from pipeline.text.grammar import Grammar

# Item numbers opening a line ('1.2.', '(3)', a row number before a tab) are never figures.
# Matched at a line's start in the whole text (its lookahead may see the line break).
ITEM_NUMBER = re.compile(r"[ \t]*(?:\(?\d{1,2}(?:\.\d{1,2})*[.)](?=\s)|\d{1,3}(?=\t))")
_DIGIT = re.compile(r"\d")
_PERCENT = re.compile(r"\d[.,]?\d*\s*%")
_LONGEST_YEAR_LINE = 80  # longer lines are sentences, whose years are their own


@dataclass
class Context:
    """What a document's sidecar tells its readers: where figures without their own year get
    one (title year, then sidecar default), and the document's place with the resolver that
    places a table's rows within it. For a tabular source (a CSV), its ``table:`` spec and the
    sidecar itself (title and url: what a wide table's figures cite)."""

    title_year: int | None
    default_year: int | None
    issued_year: int | None = None
    geo_code: str | None = None
    places: GeoResolver | None = None
    table: TableSpec | None = None
    sidecar: dict | None = None
    file: Path | None = None

    def fallback_year(self) -> int | None:
        return self.title_year if self.title_year is not None else self.default_year

    def reports_results(self, grammar: Grammar) -> bool:
        """Whether the document publishes statistics (its sidecar says so, or its title names
        a statistics publication): then its running text reports results, not targets."""
        sidecar = self.sidecar or {}
        if sidecar.get("official_statistics") is True:
            return True
        title = fold_phrase(str(sidecar.get("title") or ""))
        return bool(title) and grammar.is_statistics_title(title)

    def kind_of_year(self, year: int | None) -> str:
        """Kind of a column headed by a bare year: before the plan's year it reports results."""
        plan_year = self.title_year or self.issued_year
        if year is not None and plan_year is not None and year < plan_year:
            return "actual"
        return "target"


@dataclass
class Line:
    no: int  # index in doc lines
    start: int
    end: int
    text: str  # normalised text (no newline)
    folded: str
    stripped: str  # folded.strip(), computed once: readers ask for it many times per line
    blank: bool  # nothing but whitespace


def document_lines(doc: Document) -> list[Line]:
    """The document's lines, each in both views (normalised and folded) with its offsets."""
    out = []
    pos = 0
    # folding maps no character to or from a newline: both views split at the same places
    for i, (t, f) in enumerate(zip(doc.text.split("\n"), doc.folded.split("\n"), strict=True)):
        out.append(Line(i, pos, pos + len(t), t, f, f.strip(), not t.strip()))
        pos += len(t) + 1
    return out


@lru_cache(maxsize=8)
def _heading(grammar: Grammar) -> re.Pattern[str]:
    """Heading markers, one alternative per level, tried in this order (first match wins):
    'II. ' or a heading word such as 'Phụ lục' (1), '1.2.3. ' (4), '1.2. ' or 'a) ' (3), '1. ' (2).
    """
    return re.compile(
        r"^\s*(?:"
        r"(?P<l1>[ivx]{1,5}\.\s+\S|(?:" + grammar.heading_words.pattern + "))"
        r"|(?P<l4>\d{1,2}\.\d{1,2}\.\d{1,2}\.?\s+[^\d\s])"
        r"|(?P<l3>\d{1,2}\.\d{1,2}\.?\s+[^\d\s]|[a-zđ]\)\s+\S)"
        r"|(?P<l2>\d{1,2}\.\s+[^\d\s])"
        r")"
    )


def heading_levels(grammar: Grammar, lines: list[Line]) -> list[int | None]:
    """Each line's heading level (1 the highest), None for a line that is no heading."""
    match = _heading(grammar).match
    return [
        int(m.lastgroup[1:]) if (m := match(line.folded)) and m.lastgroup else None
        for line in lines
    ]


def free_digits(folded: str, mask: bytearray) -> list[int]:
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


class DocumentState:
    """One document being read: its facts, computed once, and what the readers found so far."""

    def __init__(self, doc: Document, catalog: Catalog, context: Context):
        self.doc = doc
        self.catalog = catalog
        self.grammar = catalog.grammar
        self.context = context
        self.lines = document_lines(doc)
        self._starts = [line.start for line in self.lines]
        self.levels = heading_levels(self.grammar, self.lines)  # asked for again and again
        self.mask = self.grammar.masked(doc.folded)
        for no, m in self.at_line_starts(ITEM_NUMBER):
            a = self.lines[no].start
            self.mask[a : m.end()] = b"\x01" * (m.end() - a)
        self.consumed = bytearray(len(self.lines))  # lines owned by a figure table
        self.figures: list[Figure] = []
        self.unmapped: list[Unmapped] = []
        self.layouts: list[str] = []
        # the latest year a statistics table of the document reports results for: a sentence
        # about that year or an earlier one restates a result ('năm 2022: … là 58,40')
        self.reported_through: int | None = None
        # a statistics publication's running text reports results (Context.reports_results)
        self.reports_results = context.reports_results(catalog.grammar)
        # what the readers of one family learn about the document and share, by family name
        self.shared: dict[str, object] = {}
        self._free: list[int] | None = None  # digits outside the mask: see has_free_digit

    def extraction(self) -> Extraction:
        """What the readers found, in the order they found it."""
        return Extraction(self.figures, self.unmapped, self.layouts)

    def line_no(self, pos: int) -> int:
        """Index of the line holding text position ``pos``."""
        return bisect_right(self._starts, pos) - 1

    def next_nonblank(self, i: int) -> int | None:
        """Index of the first line from ``i`` on holding more than whitespace."""
        while i < len(self.lines):
            if not self.lines[i].blank:
                return i
            i += 1
        return None

    def at_line_starts(self, rx: re.Pattern[str]) -> list[tuple[int, re.Match[str]]]:
        """(line index, match) for each line at whose start ``rx`` matches, in order.

        Same as ``rx.match(text, line.start)`` line by line, for a regex that matches no line
        break: one search that skips from line break to line break, much cheaper than a call per
        line. A match found after a break includes it: it ends at ``m.end()``, it starts at the
        line's start.
        """
        folded = self.doc.folded
        first = rx.match(folded)
        found = [(0, first)] if first is not None else []
        found += [(self.line_no(m.start() + 1), m) for m in after_break(rx).finditer(folded)]
        return found

    def lines_with_any(self, needles: tuple[str, ...]) -> list[int]:
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
                no = self.line_no(i)
                found.add(no)
                i = folded.find(needle, lines[no].end + 1)
        return sorted(found)

    def printed(self, a: int, b: int) -> str:
        """Text as printed in the raw file (composed, whitespace collapsed): '14,3%o'."""
        return " ".join(unicodedata.normalize("NFC", self.doc.quote(a, b)).split())

    def has_free_digit(self, a: int, b: int) -> bool:
        """A digit in [a, b) outside the mask: where a figure can start (a cheap pre-check)."""
        if self._free is None:
            self._free = free_digits(self.doc.folded, self.mask)  # once, on first use
        i = bisect_left(self._free, a)
        return i < len(self._free) and self._free[i] < b

    @cached_property
    def heading_years(self) -> list[int | None]:
        """Year given by the headings above each line ('2.1. Đến năm 2025'), read on first use."""
        out: list[int | None] = []
        stack: list[tuple[int, int]] = []  # (level, year)
        current: int | None = None  # the year of the innermost heading that gives one
        year_line = self.grammar.year_line
        for line, level in zip(self.lines, self.levels, strict=True):
            if level is not None:
                stack = [(lv, y) for lv, y in stack if lv < level]
                year = self._year_of_line(line)
                if year is not None:
                    stack.append((level, year))
                current = stack[-1][1] if stack else None
            elif (line.stripped.endswith(":") or year_line.fullmatch(line.folded)) and (
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
        if len(line.stripped) > _LONGEST_YEAR_LINE:
            return None
        year = self.grammar.year_in(line.folded)
        return year if year is not None and not _PERCENT.search(line.folded) else None
