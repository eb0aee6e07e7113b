"""Figure columns named by a table header: their year, their kind, whether they are estimates.

'Thực hiện năm 2023 | Kế hoạch đến năm 2025' is two columns (2023 actual, 2025 target); a
header without years is a column per kind word, but only if it holds nothing else, so that a
column of names ('Đơn vị chủ trì thực hiện') is not taken for a column of figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.text import fold_phrase, phrase_regex
from pipeline.text.grammar import Grammar

_SPACES = re.compile(r"\s+")
# a period column ('Giai đoạn 2021-2025') is one column, named by its last year
_PERIOD = re.compile(r"\b(?:19|20)\d\d\s*-\s*((?:19|20)\d\d)\b")
_WORDS_THEN_YEAR = re.compile(r"(.*?)\b((?:19|20)\d\d)\b")


@dataclass
class Column:
    year: int | None
    kind: str  # actual | target, or '' for a bare year (resolved against the plan's year)
    is_estimate: bool
    header: str
    preliminary: bool = False  # 'Sơ bộ' / 'Prel.': kept, and marked as such
    sex: str = "total"  # total | male | female: a split column never passes for the total
    residence: str = "total"  # total | urban | rural


def parse_columns(grammar: Grammar, header_folded: str) -> list[Column]:
    """Value columns named in a header: 'Thực hiện năm 2023 Kế hoạch đến năm 2025' -> 2 columns."""
    text = _PERIOD.sub(r"\1", _SPACES.sub(" ", header_folded).strip())
    cols: list[Column] = []
    rest = text
    for m in _WORDS_THEN_YEAR.finditer(text):
        words = m.group(1).strip()
        cols.append(_column(grammar, words, int(m.group(2))))
        rest = text[m.end() :]
    if not cols:
        if not _only_kind_words(grammar, text):
            return []
        for part in _split_kind_words(grammar, text):
            cols.append(_column(grammar, part, None))
    elif rest.strip() and _kind_of(grammar, rest) is not None:
        cols.append(_column(grammar, rest.strip(), None))
    return [c for c in cols if c.kind or c.year is not None]


def _only_kind_words(grammar: Grammar, text: str) -> bool:
    """Whether a header without years holds kind words and filler words only ('Kế hoạch',
    'Thực hiện'), which makes each kind word a column of figures."""
    leftover = text
    for phrase, _kind in grammar.column_words:
        leftover = re.sub(phrase_regex(phrase), " ", leftover)
    return not grammar.column_filler.sub(" ", leftover).strip()


def _kind_of(grammar: Grammar, words: str) -> str | None:
    """The kind named by the longest kind word in ``words`` ('ước thực hiện' before 'th')."""
    for phrase, kind in grammar.column_words:
        if re.search(phrase_regex(phrase), words):
            return kind
    return None


def _split_kind_words(grammar: Grammar, text: str) -> list[str]:
    """A header without years cut before each kind word: 'Kế hoạch Thực hiện' -> 2 parts."""
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
    """A column from its header words; an estimate ('Ước') reports a result, whatever else."""
    kind = _kind_of(grammar, words) or ""  # a bare year: resolved against the plan's year
    est = any(
        re.search(phrase_regex(fold_phrase(w)), words) for w in grammar.lexicon["column_estimate"]
    )
    if est:
        kind = "actual"
    prelim = any(  # 'Sơ bộ 2022': a statistics office's preliminary result
        re.search(phrase_regex(fold_phrase(w)), words)
        for w in grammar.lexicon["statistics"]["preliminary"]
    )
    return Column(year, kind, est, words, preliminary=prelim)
