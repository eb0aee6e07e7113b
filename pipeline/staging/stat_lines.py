"""Lines of official statistics tables (statistical yearbooks, the Ministry of Health's yearbook,
statistics portals) as the statistics readers see them.

Their pages reach us as text copied from a flip-book page or a PDF: the table survives only as
line breaks and spaces. A line can hold words (a label, a title, a column header), figures (one
per line, or a run of them after a label), a year header ('2015 2018 2019 2020', 'Sơ bộ',
'Prel. 2022'), or page furniture ('Page 120 - …', a page number). What a line is depends on the
table it stands in, so this module only describes each line; the readers decide.

A cell is a whitespace-delimited token: a number (with a comparator glued to it or standing just
before it: '>95', '≥ 95'), a dash (none), an ellipsis or '..' (not available). A run of cells
ends a line; the words before it are the row's label.
"""

from __future__ import annotations

import itertools
import re
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from pipeline.staging.cells import Cell
from pipeline.staging.state import DocumentState, Line
from pipeline.text import fold_phrase, phrase_regex
from pipeline.text.grammar import Grammar

# Tokens of a line: whitespace and '|' (a portal's cell rule) part them. A number, maybe with
# a comparator glued on ('>95') and a percent or per-mille sign; a comparator alone ('≥' of
# '≥ 95'); a cell with no figure: ellipsis or '..' (not available), a dash (none).
_TOKEN, _NUMBER_TOKEN, _COMPARATOR_TOKEN, _EMPTY_TOKEN = (
    re.compile(r"[^\s|]+"),
    re.compile(r"[<>≤≥=]{0,2}\d(?:[\d.,]*\d)?[%‰]?"),
    re.compile(r"[<>≤≥=]{1,2}"),
    re.compile(r"…+|\.{2,3}|-{1,2}"),
)
_ROW_NUMBER_TOKEN = re.compile(r"\d{1,3}[.)]")  # '1.' of '1. Thành phố …'
PLAIN_YEAR = re.compile(r"(?:19|20)\d\d")  # a year as a whole token
YEAR_START = re.compile(r"[ \t]*(?:19|20)\d\d(?![\d.,]\d)")  # a line opening with a year
_YEAR = re.compile(r"(?<![\d.,])((?:19|20)\d\d)(?![\d.,]\d)")  # a year within words
_PERIOD = re.compile(r"(?:19|20)\d\d\s*-\s*(?:19|20)\d\d")  # '2016-2020', '2016 - 2020'
FIRST_YEAR, LAST_YEAR = 1990, 2050  # a header year outside these is a figure, not a year


@dataclass(frozen=True)
class StatWords:
    """The lexicon's statistics words, compiled once per grammar."""

    preliminary: re.Pattern[str]  # 'sơ bộ', 'prel.' anywhere in a folded text
    header_line: re.Pattern[str]  # a line of years, preliminary words and dashes only
    year_label: re.Pattern[str]  # a row label that is a year, maybe preliminary
    noise: re.Pattern[str]  # page furniture
    unit_line: re.Pattern[str]  # 'Đơn vị tính - Unit: %', 'ĐVT: Người'
    unit_in_title: re.Pattern[str]  # '(ĐVT: người)' in a title; group 1: the unit
    by_place: re.Pattern[str]
    of_which: re.Pattern[str]
    count_prefix: str  # 'số'
    splits: dict[str, tuple[str, str]]  # lower-cased word (diacritics kept) -> (axis, value)
    whole: frozenset[str]  # folded names of a whole place ('toàn tỉnh', 'cả nước')
    totals: frozenset[str]  # folded words for a total ('tổng số', 'total')
    # words opening a district's name ('quận', 'thị xã'), split, by their last word
    name_prefixes: dict[str, tuple[tuple[str, ...], ...]]
    header_filler: re.Pattern[str]  # header words naming no column ('Chia ra - Of which')
    total_line: re.Pattern[str]  # a header line opening with a total word ('Tổng số   Chia ra')
    header_scan: re.Pattern[str]  # header_line, at a line start and to its end


def _alternation(phrases: list[str]) -> str:
    """One regex source for folded phrases, longest first (on word boundaries)."""
    ordered = sorted({fold_phrase(p) for p in phrases}, key=len, reverse=True)
    return "|".join(phrase_regex(p) for p in ordered) or r"(?!)"


@lru_cache(maxsize=8)
def stat_words(grammar: Grammar) -> StatWords:
    """The statistics words of ``grammar``'s lexicon."""
    lex = grammar.lexicon
    stats = lex["statistics"]
    prelim = _alternation(stats["preliminary"])
    piece = rf"(?:{prelim}|\.|-|:|\|)"
    # the head of a unit column before the year columns ('Đơn vị tính   2019 2020', 'Unit')
    unit_head = rf"(?:(?:{_alternation(stats['unit_line'])})[ \t]+)?"
    splits: dict[str, tuple[str, str]] = {}
    for value, words in lex["statistics_splits"].items():
        axis = "sex" if value in ("male", "female") else "residence"
        for w in words:
            splits[" ".join(w.lower().split())] = ("any" if value == "total" else axis, value)
    return StatWords(
        preliminary=re.compile(prelim),
        header_line=re.compile(rf"\s*{unit_head}(?:(?:{piece}|(?:19|20)\d\d(?![\d.,]\d))\s*)+"),
        year_label=re.compile(rf"\s*(?:{piece}\s*)*((?:19|20)\d\d)\s*"),
        noise=re.compile("|".join(f"(?:{p})" for p in lex["statistics_noise_patterns"])),
        unit_line=re.compile(
            rf"[ \t]*(?:[-(][ \t]*)?(?:{_alternation(stats['unit_line'])})\b"  # no '[-(]?[ \t]*'
        ),  # after '[ \t]*': it would try every split of the indent, at every line
        unit_in_title=re.compile(
            rf"\(\s*(?:{_alternation(stats['unit_line'])})\s*:?\s*([^)]*?)\s*\)"
        ),
        by_place=re.compile(_alternation(stats["by_place"])),
        of_which=re.compile(rf"\s*(?:\d{{1,3}}[.)]\s*)?(?:{_alternation(stats['of_which'])})"),
        count_prefix=fold_phrase(stats["count_prefix"][0]) if stats["count_prefix"] else "",
        splits=splits,
        whole=frozenset(fold_phrase(w) for ws in lex["geo_whole"].values() for w in ws),
        totals=frozenset(fold_phrase(w) for w in lex["statistics_splits"]["total"]),
        name_prefixes=_by_last_word(
            w for level in ("district", "any") for w in lex["geo_prefixes"][level]
        ),
        header_filler=re.compile(_alternation(stats["header_filler"])),
        total_line=re.compile(
            rf"[ \t]*(?:{_alternation(lex['statistics_splits']['total'])})"
            r"(?:[ \t:-]*(?=\n|\Z)|[ \t]{2,}|[ \t]+-[ \t]+)"
        ),
        header_scan=re.compile(
            rf"[ \t]*{unit_head}(?:(?:{piece}|(?:19|20)\d\d(?![\d.,]\d))[ \t]*)+(?=\n|\Z)"
        ),
    )


def _by_last_word(phrases: Iterable[str]) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Folded phrases split into words, grouped by their last word."""
    found: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        split = tuple(fold_phrase(phrase).split())
        if split:
            found.setdefault(split[-1], []).append(split)
    return {last: tuple(group) for last, group in found.items()}


@dataclass(slots=True)
class Cells:
    """The run of cells that ends a line, and where the words before it end."""

    spans: list[tuple[int, int]]  # each cell's span in the document
    label_end: int  # end of the words before the cells (the line's start if there are none)
    numbers: int  # how many cells hold a number (the others are dashes or ellipses)
    value_only: bool  # the line holds cells and nothing else


class StatDoc:
    """What the statistics readers know of one document: its statistics words, and each line's
    cells, read on first use and shared by the readers (see ``stat_doc``)."""

    def __init__(self, state: DocumentState):
        # the state holds this view (``stat_doc``): a weak reference back keeps the two out of
        # a reference cycle, so that a document read is freed at once, not by the collector
        self._state = weakref.ref(state)
        self.words = stat_words(state.grammar)
        self._cells: dict[int, Cells] = {}
        self._unmasked: bytearray | None = None

    @property
    def state(self) -> DocumentState:
        state = self._state()
        assert state is not None  # the state outlives its readers
        return state

    def cells(self, line: Line) -> Cells:
        """The cells ending ``line`` (memoised: readers ask about a line more than once)."""
        found = self._cells.get(line.no)
        if found is None:
            if "\t" in line.text:  # a tab-separated row is the TSV reader's, never ours
                found = Cells([], line.end, 0, False)
            else:
                found = _line_cells(self.state, line)
            self._cells[line.no] = found
        return found

    def published(self) -> int | None:
        """The year the document was issued (its sidecar's ``issued_on``), if known: statistics
        report earlier years, so a table with a later year is a plan's, not theirs."""
        return self.state.context.issued_year

    def cell(self, span: tuple[int, int]) -> Cell | None:
        """The cell at ``span``: its figure, or None for a dash or an ellipsis (a column
        without a figure). The label mask is not applied: a cell is a cell because of where it
        stands ('dân số 49,85' is a label, then a figure, not 'số 49')."""
        a, b = span
        folded = self.state.doc.folded
        if _EMPTY_TOKEN.fullmatch(folded, a, b):
            return None
        if self._unmasked is None:
            self._unmasked = bytearray(len(folded))
        ms = self.state.grammar.mentions(folded, a, b, self._unmasked)
        if not ms:
            return Cell(a, b, None, folded[a:b], qualitative=True)
        return Cell(ms[0].start, b, ms[0], folded[a:b])


def stat_doc(state: DocumentState) -> StatDoc:
    """The statistics view of the document ``state`` reads, made once for all the readers."""
    found = state.shared.get("statistics")
    if not isinstance(found, StatDoc):
        found = state.shared["statistics"] = StatDoc(state)
    return found


def _line_cells(state: DocumentState, line: Line) -> Cells:
    """The cells ending ``line``: numbers (a comparator just before one joins it), dashes and
    ellipses, read from the end back to the first token that is none of these.

    A label's own last word may be a dash ('Tỷ lệ … (%) -' before its English half): a lone
    dash or ellipsis after words is no cell. A number the label mask claims from its own first
    digit on ('2500 gram', '7 loại') is the label's, and ends the run.
    """
    tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(line.folded)]
    mask, words = state.mask, stat_words(state.grammar)
    cells: list[tuple[int, int]] = []
    numbers = 0
    i = len(tokens) - 1
    while i >= 0:
        a, b, tok = tokens[i]
        if _NUMBER_TOKEN.fullmatch(tok) and not _COMPARATOR_TOKEN.fullmatch(tok):
            if _label_number(mask, line, line.start + a) or _names_a_place(words, tokens, i):
                break
            if i > 0 and _COMPARATOR_TOKEN.fullmatch(tokens[i - 1][2]):
                i -= 1
                a = tokens[i][0]
            numbers += 1
        elif not _EMPTY_TOKEN.fullmatch(tok):
            break
        cells.append((line.start + a, line.start + b))
        i -= 1
    cells.reverse()
    if i >= 0 and not numbers and len(cells) < 2:
        cells = []  # 'TỔNG SỐ -': the dash belongs to the label
    if not cells:
        return Cells([], line.end, 0, False)
    label_end = line.start if i < 0 else line.start + tokens[i][1]
    return Cells(cells, label_end, numbers, i < 0)


def _names_a_place(words: StatWords, tokens: list[tuple[int, int, str]], i: int) -> bool:
    """Whether the number token ``i`` ends a district's name right after the word opening it,
    itself at the start of the label or of its English half ('Quận 1', 'Quận 1 - District 1',
    '2. Q. 3'): the name's, not a cell. After a name ('Go Vap district 780') it is a cell."""
    for prefix in words.name_prefixes.get(tokens[i - 1][2], ()) if i else ():
        k = i - len(prefix)
        if k < 0 or tuple(t for _a, _b, t in tokens[k:i]) != prefix:
            continue
        if k == 0 or tokens[k - 1][2] == "-" or _ROW_NUMBER_TOKEN.fullmatch(tokens[k - 1][2]):
            return True
    return False


def _label_number(mask: bytearray, line: Line, at: int) -> bool:
    """Whether the label mask claims the number at ``at`` from its own start to within its line
    ('2500 gram'): a mask that starts before it ('dân số 49,85') or runs on into the next line
    ('127' above 'Bệnh viện') claims a cell, not a label number."""
    if not mask[at] or (at > 0 and mask[at - 1]):
        return False
    end = at
    while end < line.end and mask[end]:
        end += 1
    return end < line.end or not mask[min(end, len(mask) - 1)] or end == len(mask)


def header_years(words: StatWords, line: Line) -> tuple[list[int], bool] | None:
    """The years of a year-header line and whether it says 'preliminary'; None if the line
    holds anything else (or nothing: a lone dash is no header)."""
    if "\t" in line.text or not words.header_line.fullmatch(line.folded):
        return None
    if _PERIOD.search(line.folded):
        return None  # 'Giai đoạn 2016-2020' printed alone: a period, not two year columns
    years = [int(y) for y in PLAIN_YEAR.findall(line.folded)]
    prelim = words.preliminary.search(line.folded) is not None
    if not years and not prelim:
        return None
    if any(not FIRST_YEAR <= y <= LAST_YEAR for y in years):
        return None
    return years, prelim


def year_label(words: StatWords, folded: str) -> tuple[int, bool] | None:
    """The year a row label names ('2019', 'Sơ bộ - Prel. 2022') and whether it is
    preliminary; None if the label is anything else."""
    m = words.year_label.fullmatch(folded)
    if m is None:
        return None
    year = int(m.group(1))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return None
    return year, words.preliminary.search(folded) is not None


def is_noise(words: StatWords, line: Line) -> bool:
    """Page furniture ('Page 120 - …', 'P. 120', 'Basic HTML Version')."""
    return words.noise.match(line.folded) is not None


def is_page_strip(line: Line) -> bool:
    """A strip of neighbouring page numbers ('282 283 284 … 290'): consecutive integers."""
    numbers = line.folded.split()
    if len(numbers) < 3 or not all(n.isdigit() and len(n) <= 4 for n in numbers):
        return False
    values = [int(n) for n in numbers]
    return all(b == a + 1 for a, b in itertools.pairwise(values))


def split_words(words: StatWords, line: Line) -> list[tuple[str, str]]:
    """The split words of a header line, in order: each cell of the line (cells are parted by
    ' - ' and runs of spaces) that is wholly a split word gives its (axis, value)."""
    found = []
    for cell in re.split(r"\s+-\s+|\s{2,}|\s*-\s*$|^\s*-\s*", line.text.strip()):
        key = " ".join(cell.lower().split())
        if key in words.splits:
            found.append(words.splits[key])
    return found


def years_in(folded: str) -> list[int]:
    """Every year printed in a text, in order."""
    return [int(y) for y in _YEAR.findall(folded)]
