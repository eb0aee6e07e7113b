"""The machinery behind Grammar.masked and the phrase pre-checks: which positions a label-number
pattern can match at (read from the pattern's parse tree), and phrase tests that skip texts
lacking a phrase's longest literal piece. Kept apart from the grammar's rules for reading."""

from __future__ import annotations

import re
import re._parser as _sre  # the stdlib regex parser: the mask patterns' shape is read from it
from collections.abc import Callable

import numpy as np

from pipeline.text.normalise import phrase_needle, phrase_pieces, phrase_regex

_DIGIT = re.compile(r"\d")

# ------------------------------------------------------------------------ mask pattern analysis
# Grammar.masked needs two facts about each label-number pattern, read from its parse tree:
# which characters a match can start with, and how many characters other than whitespace and
# commas a match can hold before its first digit (None: unbounded, or a match without a digit).
# Both are over-approximations, so skipping positions that fail them never loses a match.

_NEG = float("-inf")
SEP = re.compile(r"[\s,]")  # what the distance to a digit does not count
_CATEGORY_SRC = {
    _sre.CATEGORY_DIGIT: r"\d",
    _sre.CATEGORY_NOT_DIGIT: r"\D",
    _sre.CATEGORY_SPACE: r"\s",
    _sre.CATEGORY_NOT_SPACE: r"\S",
    _sre.CATEGORY_WORD: r"\w",
    _sre.CATEGORY_NOT_WORD: r"\W",
}


class _Unsupported(Exception):
    """A construct the analysis does not model: Grammar.masked falls back to the plain scan."""


def _char_kinds(op, av) -> tuple[bool, bool, bool]:
    """(may be a digit, may be a separator, may be another character) for one consumed char."""
    if op is _sre.LITERAL:
        ch = chr(av)
        dig, sep = bool(_DIGIT.match(ch)), bool(SEP.match(ch))
        return dig, sep, not dig and not sep
    if op is not _sre.IN:
        return True, True, True  # ANY, NOT_LITERAL
    chars: list[int] = []
    dig = sep = other = False
    for iop, iav in av:
        if iop is _sre.LITERAL:
            chars.append(iav)
        elif iop is _sre.RANGE and iav[1] - iav[0] < 4096:
            chars.extend(range(iav[0], iav[1] + 1))
        elif iop is _sre.CATEGORY and iav is _sre.CATEGORY_DIGIT:
            dig = True
        elif iop is _sre.CATEGORY and iav is _sre.CATEGORY_SPACE:
            sep = True
        elif iop is _sre.CATEGORY and iav in (_sre.CATEGORY_NOT_DIGIT, _sre.CATEGORY_NOT_WORD):
            sep = other = True
        else:  # NEGATE, wide ranges, other categories: anything
            return True, True, True
    for cp in chars:
        d, s, o = _char_kinds(_sre.LITERAL, cp)
        dig, sep, other = dig or d, sep or s, other or o
    return dig, sep, other


def _digit_distance(seq) -> tuple[float, float]:
    """(D, F) for a parsed sequence: D the most non-separator characters a path holding a digit
    consumes before its first digit, F the most a path without a digit consumes (-inf: no path)."""
    best, acc = _NEG, 0.0
    for op, av in seq:
        d, f = _node_distance(op, av)
        if d != _NEG:
            best = max(best, acc + d)
        acc = acc + f if f != _NEG else _NEG
        if acc == _NEG:
            break
    return best, acc


def _node_distance(op, av) -> tuple[float, float]:
    if op in (_sre.LITERAL, _sre.NOT_LITERAL, _sre.ANY, _sre.IN):
        dig, sep, other = _char_kinds(op, av)
        return (0.0 if dig else _NEG), (1.0 if other else 0.0 if sep else _NEG)
    if op in (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT):
        return _NEG, 0.0
    if op is _sre.SUBPATTERN:
        if av[1] or av[2]:
            raise _Unsupported("inline flags")
        return _digit_distance(av[3])
    if op is _sre.ATOMIC_GROUP:
        return _digit_distance(av)
    if op is _sre.BRANCH:
        pairs = [_digit_distance(b) for b in av[1]]
        return max(d for d, _f in pairs), max(f for _d, f in pairs)
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
        lo, hi, sub = av
        hi = float("inf") if hi == _sre.MAXREPEAT else hi
        ds, fs = _digit_distance(sub)
        if fs == _NEG:
            f = 0.0 if lo == 0 else _NEG
        elif fs == 0:
            f = 0.0
        else:
            f = hi * fs
        if ds == _NEG or hi == 0:
            d = _NEG
        elif fs in (_NEG, 0.0):
            d = ds
        else:
            d = (hi - 1) * fs + ds
        return d, f
    raise _Unsupported(str(op))


def _first_chars(seq) -> tuple[list[str], bool]:
    """Regex sources of the characters a match of ``seq`` can start with, and whether it can
    match the empty string."""
    out: list[str] = []
    for op, av in seq:
        if op in (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT):
            continue
        srcs, nullable = _node_first(op, av)
        out += srcs
        if not nullable:
            return out, False
    return out, True


def _node_first(op, av) -> tuple[list[str], bool]:
    if op is _sre.LITERAL:
        return [re.escape(chr(av))], False
    if op is _sre.IN:
        items = []
        for iop, iav in av:
            if iop is _sre.NEGATE:
                items.insert(0, "^")
            elif iop is _sre.LITERAL:
                items.append(re.escape(chr(iav)))
            elif iop is _sre.RANGE:
                items.append(f"{re.escape(chr(iav[0]))}-{re.escape(chr(iav[1]))}")
            elif iop is _sre.CATEGORY and iav in _CATEGORY_SRC:
                items.append(_CATEGORY_SRC[iav])
            else:
                return [r"(?s:.)"], False
        return ["[" + "".join(items) + "]"], False
    if op in (_sre.NOT_LITERAL, _sre.ANY):
        return [r"(?s:.)"], False
    if op is _sre.SUBPATTERN:
        return _first_chars(av[3])
    if op is _sre.ATOMIC_GROUP:
        return _first_chars(av)
    if op is _sre.BRANCH:
        out, nullable = [], False
        for b in av[1]:
            srcs, n = _first_chars(b)
            out += srcs
            nullable = nullable or n
        return out, nullable
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
        srcs, nullable = _first_chars(av[2])
        return srcs, nullable or av[0] == 0
    raise _Unsupported(str(op))


def mask_pattern_shape(source: str) -> tuple[re.Pattern[str], int] | None:
    """(characters a match can start with, most non-separator characters before its first
    digit) for one mask pattern; None if a match may hold no digit or the distance is unbounded."""
    try:
        parsed = _sre.parse(source)
        if parsed.state.flags & (re.IGNORECASE | re.ASCII | re.LOCALE):
            return None
        d, f = _digit_distance(parsed.data)
        firsts, _nullable = _first_chars(parsed.data)
    except _Unsupported:
        return None
    if f != _NEG or d == _NEG or d == float("inf"):
        return None
    return re.compile("|".join(firsts) or r"(?!)"), int(d)


class Phrase:
    """A folded phrase's regex (:func:`phrase_regex`), tried only where the text can match it:
    at each occurrence of the piece every match starts with, if the text holds its longest."""

    __slots__ = ("head", "needle", "rx")

    def __init__(self, phrase: str):
        self.head = phrase_pieces(phrase)[0]
        self.needle = phrase_needle(phrase)
        self.rx = re.compile(phrase_regex(phrase))

    def found(self, text: str) -> bool:
        """Same as ``bool(self.rx.search(text))``."""
        if self.needle not in text:
            return False
        head, rx = self.head, self.rx
        if not head:
            return rx.search(text) is not None
        i = text.find(head)
        while i >= 0:
            if rx.match(text, i) is not None:
                return True
            i = text.find(head, i + 1)
        return False


class PhraseSet:
    """Whether a text holds any of some phrases. Phrases sharing a needle (their longest piece,
    e.g. 'dan' for every '/... dân' rate) are skipped together when the text lacks it."""

    __slots__ = ("by_needle",)

    def __init__(self, phrases: list[Phrase]):
        self.by_needle: dict[str, list[Phrase]] = {}
        for phrase in phrases:
            self.by_needle.setdefault(phrase.needle, []).append(phrase)

    def found(self, text: str) -> bool:
        """Same as ``any(p.found(text) for p in phrases)``."""
        for needle, phrases in self.by_needle.items():
            if needle in text and any(p.found(text) for p in phrases):
                return True
        return False


MaskRow = tuple[int, list[re.Pattern[str] | None] | None]


class MaskRows(dict):
    """Character -> its mask row (``Grammar._mask_row``), computed on first use."""

    def __init__(self, row_of: Callable[[str], MaskRow]):
        super().__init__()
        self.row_of = row_of

    def __missing__(self, c: str) -> MaskRow:
        row = self[c] = self.row_of(c)
        return row


SEPARATOR, DIGIT_CHAR, COUNTED, UNKNOWN = 0, 1, 2, 255  # MaskChars.kind


class MaskChars:
    """Per code point, what Grammar.masked needs to know of a character, as arrays so that a
    whole document is classified at once: its kind (a separator, a digit, or a character
    counted in the distance to a digit) and the farthest distance before a digit at which a
    mask match may start on it (-1: nowhere). Learnt from each new character's mask row."""

    _LIMIT = 0x110000  # one past the last code point

    def __init__(self, rows: MaskRows):
        self.rows = rows
        self.kind = np.full(0, UNKNOWN, dtype=np.uint8)
        self.reach = np.zeros(0, dtype=np.int32)

    def kinds(self, codes: np.ndarray) -> np.ndarray:
        """The kind of each code point, learning those not seen before."""
        if len(codes) == 0:
            return np.zeros(0, dtype=np.uint8)
        top = int(codes.max()) + 1
        if top > len(self.kind):
            size = min(self._LIMIT, max(top, 2 * len(self.kind), 256))
            grown = size - len(self.kind)
            self.kind = np.concatenate([self.kind, np.full(grown, UNKNOWN, dtype=np.uint8)])
            self.reach = np.concatenate([self.reach, np.zeros(grown, dtype=np.int32)])
        kinds = self.kind.take(codes)
        if kinds.max() == UNKNOWN:
            for cp in np.unique(codes[kinds == UNKNOWN]).tolist():
                self._learn(cp)
            kinds = self.kind.take(codes)
        return kinds

    def _learn(self, cp: int) -> None:
        c = chr(cp)
        step, subs = self.rows[c]
        self.kind[cp] = DIGIT_CHAR if _DIGIT.match(c) else COUNTED if step else SEPARATOR
        self.reach[cp] = -1 if subs is None else max(i for i, s in enumerate(subs) if s)
