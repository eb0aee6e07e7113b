"""Value grammar: how a figure is written (number, comparator, unit, estimate marker).

Knowledge lives in ``data/reference/lexicon.yaml`` and ``units.yaml``; this module compiles it.
All matching runs on folded text (see :func:`pipeline.text.fold`), whose positions equal those
of the normalised text, so every span maps back to the raw document.
"""

from __future__ import annotations

import re
import re._parser as _sre  # the stdlib regex parser: Grammar reads its mask patterns' shape
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import yaml

from pipeline.text import code_points, fold_phrase, phrase_needle, phrase_pieces, phrase_regex

# A number as Vietnamese documents print it: thousands dot (5.130, 100.000), decimal comma
# (17,6), or a plain integer. A dot followed by one or two digits is read as a decimal point.
NUMBER = (
    r"(?<![0-9a-z.,/])"
    r"(?:\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+,\d+|\d+\.\d{1,2}|\d+)"
    r"(?![0-9a-z]|[.,]\d)"
)
_NUMBER_RE = re.compile(NUMBER)
_DIGIT = re.compile(r"\d")
_SYMBOL_UNIT = re.compile(r"[%‰‱]")
_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?")
_DECIMAL_COMMA = re.compile(r"\d+,\d+")
_PLAIN = re.compile(r"\d+(?:\.\d+)?")
_YEAR_MEMO_SIZE = 20_000
_SYMBOL_COMPARATORS = {"<": "<", ">": ">", "≤": "<=", "≥": ">=", "=": "=", "~": "~", "≈": "~"}


def parse_number(text: str) -> float | None:
    """'5.130' -> 5130, '17,6' -> 17.6, '100.000' -> 100000, '1.5' -> 1.5; None if not a number."""
    s = text.strip()
    if _THOUSANDS.fullmatch(s):
        return float(s.replace(".", "").replace(",", "."))
    if _DECIMAL_COMMA.fullmatch(s):
        return float(s.replace(",", "."))
    if _PLAIN.fullmatch(s):
        return float(s)
    return None


# ------------------------------------------------------------------------ mask pattern analysis
# Grammar.masked needs two facts about each label-number pattern, read from its parse tree:
# which characters a match can start with, and how many characters other than whitespace and
# commas a match can hold before its first digit (None: unbounded, or a match without a digit).
# Both are over-approximations, so skipping positions that fail them never loses a match.

_NEG = float("-inf")
_SEP = re.compile(r"[\s,]")  # what the distance to a digit does not count
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
        dig, sep = bool(_DIGIT.match(ch)), bool(_SEP.match(ch))
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


class _Phrase:
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


class _PhraseSet:
    """Whether a text holds any of some phrases. Phrases sharing a needle (their longest piece,
    e.g. 'dan' for every '/... dân' rate) are skipped together when the text lacks it."""

    __slots__ = ("by_needle",)

    def __init__(self, phrases: list[_Phrase]):
        self.by_needle: dict[str, list[_Phrase]] = {}
        for phrase in phrases:
            self.by_needle.setdefault(phrase.needle, []).append(phrase)

    def found(self, text: str) -> bool:
        """Same as ``any(p.found(text) for p in phrases)``."""
        for needle, phrases in self.by_needle.items():
            if needle in text and any(p.found(text) for p in phrases):
                return True
        return False


_MaskRow = tuple[int, list[re.Pattern[str] | None] | None]


class _MaskRows(dict):
    """Character -> Grammar._mask_row(character), computed on first use."""

    def __init__(self, grammar: Grammar):
        super().__init__()
        self.grammar = grammar

    def __missing__(self, c: str) -> _MaskRow:
        row = self[c] = self.grammar._mask_row(c)
        return row


_SEPARATOR, _DIGIT_CHAR, _COUNTED, _UNKNOWN = 0, 1, 2, 255  # _MaskChars.kind


class _MaskChars:
    """Per code point, what Grammar.masked needs to know of a character, as arrays so that a
    whole document is classified at once: its kind (a separator, a digit, or a character
    counted in the distance to a digit) and the farthest distance before a digit at which a
    mask match may start on it (-1: nowhere). Learnt from each new character's mask row."""

    _LIMIT = 0x110000  # one past the last code point

    def __init__(self, rows: _MaskRows):
        self.rows = rows
        self.kind = np.full(0, _UNKNOWN, dtype=np.uint8)
        self.reach = np.zeros(0, dtype=np.int32)

    def kinds(self, codes: np.ndarray) -> np.ndarray:
        """The kind of each code point, learning those not seen before."""
        if len(codes) == 0:
            return np.zeros(0, dtype=np.uint8)
        top = int(codes.max()) + 1
        if top > len(self.kind):
            size = min(self._LIMIT, max(top, 2 * len(self.kind), 256))
            grown = size - len(self.kind)
            self.kind = np.concatenate([self.kind, np.full(grown, _UNKNOWN, dtype=np.uint8)])
            self.reach = np.concatenate([self.reach, np.zeros(grown, dtype=np.int32)])
        kinds = self.kind.take(codes)
        if kinds.max() == _UNKNOWN:
            for cp in np.unique(codes[kinds == _UNKNOWN]).tolist():
                self._learn(cp)
            kinds = self.kind.take(codes)
        return kinds

    def _learn(self, cp: int) -> None:
        c = chr(cp)
        step, subs = self.rows[c]
        self.kind[cp] = _DIGIT_CHAR if _DIGIT.match(c) else _COUNTED if step else _SEPARATOR
        self.reach[cp] = -1 if subs is None else max(i for i, s in enumerate(subs) if s)


@dataclass
class Mention:
    """One figure in the text: '< 25 (Ước)', 'trên 96,1%', '7,6 bác sỹ/vạn dân'."""

    start: int  # comparator (or number) start in the document text
    end: int  # end of number, unit and estimate marker
    num_start: int
    num_end: int
    value: float
    comparator: str | None  # None: none printed
    unit_code: str | None
    unit_text: str | None
    unit_kind: str | None
    has_denominator: bool
    is_estimate: bool = False
    footnote: int | None = None
    range_high: float | None = None


@dataclass
class Unit:
    code: str
    symbol: str
    name_vi: str
    name_en: str
    per: int | None
    kind: str
    aliases: list[str]
    convert: dict | None = None


class Grammar:
    """Compiled lexicon and units."""

    def __init__(self, reference_dir: Path):
        lex = yaml.safe_load((reference_dir / "lexicon.yaml").read_text(encoding="utf-8"))
        units_doc = yaml.safe_load((reference_dir / "units.yaml").read_text(encoding="utf-8"))
        self.units: dict[str, Unit] = {u["code"]: Unit(**u) for u in units_doc["units"]}
        self.lexicon = lex

        # comparator words: longest first
        words: list[tuple[str, str]] = []
        for comp, phrases in lex["comparators"].items():
            for p in phrases:
                words.append((fold_phrase(p), comp))
        # by last character, longest first: a text can only end with the words ending like it
        self._comparators_ending: dict[str, list[tuple[str, str]]] = {}
        for phrase, comp in sorted(words, key=lambda t: -len(t[0])):
            self._comparators_ending.setdefault(phrase[-1], []).append((phrase, comp))
        self._estimate = [re.compile(p) for p in lex["estimate_patterns"]]
        self.qualitative_starters = [
            re.compile(phrase_regex(fold_phrase(s))) for s in lex["qualitative_starters"]
        ]

        # unit aliases: (regex, code, kind, folded alias, needle), longest alias first; the
        # needle (phrase_needle) is a cheap test before the regex
        aliases = []
        for u in self.units.values():
            for a in u.aliases:
                fa = fold_phrase(a)
                aliases.append((fa, u.code, u.kind))
        aliases.sort(key=lambda t: -len(t[0]))
        self._unit_aliases = [
            (re.compile(phrase_regex(fa)), code, kind, fa, phrase_needle(fa))
            for fa, code, kind in aliases
        ]
        # denominator_unit's candidates: rate aliases other than bare symbols, longest first
        self._denominator_aliases = [
            (_Phrase(fa), code, len(fa))
            for fa, code, kind in aliases
            if kind == "rate" and re.fullmatch(r"[%‰‱⁰/0]+", fa) is None
        ]
        self._unit_at = re.compile(
            r"[ \n]*(?:"
            + "|".join(f"(?P<u{i}>{phrase_regex(fa)})" for i, (fa, *_r) in enumerate(aliases))
            + ")"
        )
        self._unit_at_codes = [(code, kind) for _fa, code, kind in aliases]
        rate_aliases = [
            fa for fa, _c, kind in aliases if kind == "rate" and not re.fullmatch(r"[%‰‱]", fa)
        ]
        # the plain regex forms of the phrase sets below (tests hold the fast paths equal to them)
        self._denominator = re.compile("|".join(phrase_regex(fa) for fa in rate_aliases))
        self._denominator_phrases = _PhraseSet([_Phrase(fa) for fa in rate_aliases])
        digit_aliases = [fa for fa, *_r in aliases if re.search(r"\d", fa)]
        mask_sources = list(lex["label_number_patterns"]) + [
            phrase_regex(fa) for fa in digit_aliases
        ]
        self._masks = re.compile("|".join(f"(?:{p})" for p in mask_sources))
        self._mask_sources = mask_sources
        shapes = [mask_pattern_shape(p) for p in mask_sources]
        # None: some pattern's shape is unknown, and masked() scans the whole text
        self._mask_shapes = None if None in shapes else shapes
        self._mask_reach = max((d for _f, d in self._mask_shapes or ()), default=0)
        self._mask_rows = _MaskRows(self)
        self._mask_chars = _MaskChars(self._mask_rows)
        self._mask_subs: dict[tuple[int, ...], re.Pattern[str] | None] = {(): None}
        # the upper end of a range, after its separator: '0,05 - 0,1', 'từ 5 đến 10'
        separators = "|".join(re.escape(fold_phrase(w)) for w in lex["range_separators"])
        self._range_tail = re.compile(rf"\s*(?:{separators})\s*({NUMBER})")
        self._per_year = re.compile("|".join(f"(?:{p})" for p in lex["per_year_patterns"]))
        self.year_line = re.compile("|".join(f"(?:{p})" for p in lex["year_line_patterns"]))
        # a table cell's note that only says its figure is an estimate: '(Ước)', 'ước tính'
        estimate = "|".join(re.escape(fold_phrase(w)) for w in lex["column_estimate"])
        self.estimate_note = re.compile(rf"\(?\s*(?:{estimate}).*\)?")
        # words opening a top-level heading ('Phụ lục'): any spacing inside, a word boundary after
        self.heading_words = re.compile(
            "|".join(
                r"\s+".join(re.escape(w) for w in fold_phrase(p).split(" ")) + r"\b"
                for p in lex["heading_words"]
            )
            or r"(?!)"  # no heading words: a regex that never matches
        )
        # a column header's filler words ('năm', 'giai đoạn'), or a dash, on a header whose
        # spacing is already collapsed
        filler = [re.escape(fold_phrase(w)) for w in lex["column_filler_words"]]
        self.column_filler = re.compile(rf"\b(?:{'|'.join([*filler, '-'])})\b")
        self._year_patterns = [re.compile(p) for p in lex["year_patterns"]]
        self._not_year = re.compile("|".join(f"(?:{p})" for p in lex["not_year_patterns"]))
        self._years: dict[str, int | None] = {}  # year_in's answers, bounded
        cues = [fold_phrase(p) for p in lex["actual_cues"]]
        self.actual_cues = [re.compile(phrase_regex(p)) for p in cues]
        self._actual_cues = _PhraseSet([_Phrase(p) for p in cues])

    # ----------------------------------------------------------------------------- numbers
    def masked(self, folded: str) -> bytearray:
        """1 at every position whose digits belong to a label, a date or a reference."""
        # Same result as one finditer of ``self._masks`` over the whole text (leftmost match
        # first, no overlaps), without trying all its patterns at every position. Every match
        # holds a digit, and each pattern can only start with certain characters and hold a
        # bounded number of characters other than whitespace and commas before its first digit
        # (mask_pattern_shape reads both from the pattern; tests/test_grammar_mask.py checks the
        # lexicon has such a shape). So only the positions within that distance before a digit
        # can start a match (_mask_starts finds them), and at each only the patterns that may
        # start with its character and reach that far are tried, in lexicon order.
        mask = bytearray(len(folded))
        if self._mask_shapes is None:
            for m in self._masks.finditer(folded):
                mask[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
            return mask
        rows = self._mask_rows
        cur = 0  # end of the last match
        for p, dist in zip(*self._mask_starts(folded), strict=True):
            if p < cur:
                continue
            m = rows[folded[p]][1][dist].match(folded, p)  # type: ignore[index]
            if m is not None:
                cur = m.end()
                mask[p:cur] = b"\x01" * (cur - p)
        return mask

    def _mask_starts(self, folded: str) -> tuple[list[int], list[int]]:
        """Positions where a mask match may start, ascending, and each one's distance to the
        next digit: the characters other than whitespace and commas from it up to that digit.

        Computed with arrays over the whole text: a Python loop walking back from each run of
        digits (and even a regex search for the digits) cost more than the matches themselves.
        """
        codes = code_points(folded)
        chars = self._mask_chars
        kinds = chars.kinds(codes)
        digits = np.flatnonzero(kinds == _DIGIT_CHAR)
        if len(digits) == 0:
            return [], []
        # runs of digits [run_start, run_end)
        firsts = np.flatnonzero(np.diff(digits, prepend=-2) != 1)
        run_start = digits.take(firsts)
        run_end = np.append(digits.take(firsts[1:] - 1), digits[-1]) + 1
        # each run's window: after the (reach + 1)-th counted character before the run, and
        # not before the previous run ends
        counted = np.flatnonzero(kinds == _COUNTED)
        beyond = np.searchsorted(counted, run_start) - (self._mask_reach + 1)
        window = np.zeros_like(run_start)
        far = beyond >= 0
        window[far] = counted.take(beyond[far]) + 1
        seg_start = np.maximum(window, np.append(0, run_end[:-1]))
        seg_len = run_end - seg_start
        # every position of every window and run, ascending
        seg_first = np.cumsum(seg_len) - seg_len  # where each segment begins in ``pos``
        pos = np.arange(int(seg_len.sum())) + np.repeat(seg_start - seg_first, seg_len)
        counts = (kinds.take(pos) == _COUNTED).astype(np.int32)
        total = np.cumsum(counts)
        dist = total.take(np.repeat(seg_first + seg_len - 1, seg_len)) - total + counts
        ok = np.flatnonzero(dist <= chars.reach.take(codes.take(pos)))
        return pos.take(ok).tolist(), dist.take(ok).tolist()

    def _mask_row(self, c: str) -> _MaskRow:
        """For one character: whether it counts towards the distance to a digit, and by that
        distance, the mask patterns (joined in lexicon order) a match starting on it may be."""
        shapes = self._mask_shapes
        assert shapes is not None
        alts = [i for i, (first, _d) in enumerate(shapes) if first.match(c)]
        subs: list[re.Pattern[str] | None] = []
        for dist in range(self._mask_reach + 1):
            key = tuple(i for i in alts if shapes[i][1] >= dist)
            if key not in self._mask_subs:
                src = "|".join(f"(?:{self._mask_sources[i]})" for i in key)
                self._mask_subs[key] = re.compile(src)
            subs.append(self._mask_subs[key])
        return (0 if _SEP.match(c) else 1, subs if alts else None)

    def comparator_before(self, folded: str, pos: int, floor: int = 0) -> tuple[str | None, int]:
        """Comparator printed just before ``pos`` (nearest wins) and where it starts."""
        i = pos
        while i > floor and folded[i - 1] in " \t\n:":
            i -= 1
        if i > floor and folded[i - 1] in _SYMBOL_COMPARATORS:
            sym = folded[i - 1]
            if sym in "=" and i - 1 > floor and folded[i - 2] in "<>":
                return ("<=" if folded[i - 2] == "<" else ">="), i - 2
            return _SYMBOL_COMPARATORS[sym], i - 1
        if i <= floor:
            return None, pos
        window = folded[max(floor, i - 40) : i]
        for phrase, comp in self._comparators_ending.get(window[-1], ()):
            if window.endswith(phrase):
                start = i - len(phrase)
                if start == 0 or not folded[start - 1].isalnum():
                    return comp, start
        return None, pos

    def comparator_at_end(self, folded: str) -> str | None:
        """Comparator word that ends a table label ('... suy dinh dưỡng giảm còn')."""
        s = folded.rstrip()
        for phrase, comp in self._comparators_ending.get(s[-1:], ()):
            start = len(s) - len(phrase)
            if s.endswith(phrase) and (start == 0 or not s[start - 1].isalnum()):
                return comp
        return None

    def unit_at(self, folded: str, pos: int, limit: int) -> tuple[str | None, str | None, int]:
        """Unit printed right after a number: (code, kind, end)."""
        m = self._unit_at.match(folded, pos, limit)
        if not m or m.end() == pos or m.lastindex is None:
            return None, None, pos
        # the alias that matched: its group (u0, u1, ...) is the only one, the aliases' regexes
        # hold no groups of their own
        code, kind = self._unit_at_codes[m.lastindex - 1]
        return code, kind, m.end()

    def has_denominator(self, folded: str) -> bool:
        """Whether a rate unit's denominator is named (same as ``self._denominator.search``)."""
        return self._denominator_phrases.found(folded)

    def denominator_unit(self, folded: str) -> str | None:
        """Rate unit named by a denominator in a label ('/vạn dân' -> per_10000)."""
        best = None
        for phrase, code, length in self._denominator_aliases:
            if (best is None or length > best[1]) and phrase.found(folded):
                best = (code, length)
        return best[0] if best else None

    def unit_from_text(self, folded: str) -> tuple[str | None, str | None]:
        """Unit named by a whole cell or column ('Giường bệnh', '‰', 'Con/phụ nữ')."""
        s = folded.strip()
        found = [(rx, code, kind) for rx, code, kind, _fa, n in self._unit_aliases if n in s]
        for rx, code, kind in found:
            m = rx.search(s)
            if m and m.start() == 0 and m.end() == len(s):
                return code, kind
        for rx, code, kind in found:
            if rx.search(s):
                return code, kind
        return None, None

    def unit_suffix(self, folded: str) -> tuple[str | None, str | None, int]:
        """Unit alias that ends a label text (the table's unit column): (code, kind, start)."""
        s = folded.rstrip()
        best: tuple[str | None, str | None, int] = (None, None, len(folded))
        for rx, code, kind, _fa, needle in self._unit_aliases:
            if needle not in s:
                continue
            for m in rx.finditer(s):
                if m.end() == len(s) and m.start() < best[2]:
                    best = (code, kind, m.start())
        return best

    def estimate_at(self, folded: str, pos: int) -> tuple[bool, int | None, int]:
        """An estimate marker '(Ước)' right at ``pos``: (found, footnote, end)."""
        j = pos
        while j < len(folded) and folded[j] in " \t\n":
            j += 1
        for rx in self._estimate:
            m = rx.match(folded, j)
            if m:
                note = int(m.group(1)) if m.groups() and m.group(1) else None
                return True, note, m.end()
        return False, None, pos

    def mentions(
        self,
        folded: str,
        start: int = 0,
        end: int | None = None,
        mask: bytearray | None = None,
        ranges: bool = False,
    ) -> list[Mention]:
        """Every figure in folded[start:end], skipping numbers that belong to labels."""
        end = len(folded) if end is None else end
        out: list[Mention] = []
        if _DIGIT.search(folded, start, end) is None:
            return out  # no number (a cheap scan: most label and cell texts have none)
        mask = mask if mask is not None else self.masked(folded)
        floor = start
        for m in _NUMBER_RE.finditer(folded, start, end):
            if mask[m.start()] or m.start() < floor:
                continue  # a label's number, or the second half of a range already read
            value = parse_number(m.group())
            if value is None:
                continue
            comp, cstart = self.comparator_before(folded, m.start(), floor)
            pos = m.end()
            range_high = None
            if ranges:
                r = self._range_tail.match(folded, pos, end)
                if r and not mask[r.start(1)]:
                    range_high = parse_number(r.group(1))
                    pos = r.end()
            code, kind, uend = self.unit_at(folded, pos, end)
            unit_text = folded[pos:uend].strip() or None
            denom = False
            if code is not None:
                pos = uend
                if kind == "rate" and not _SYMBOL_UNIT.fullmatch(unit_text or ""):
                    denom = True
                # a noun or symbol may be followed by its denominator: '7,6 bác sĩ/vạn dân'
                code2, kind2, uend2 = self.unit_at(folded, pos, end)
                if kind2 == "rate" and code2 is not None and kind != "rate":
                    code, kind, denom = code2, kind2, True
                    unit_text = folded[m.end() : uend2].strip()
                    pos = uend2
            per_year = self._per_year.match(folded, pos, end)
            if per_year and code is not None:
                pos = per_year.end()
            est, note, eend = self.estimate_at(folded, pos)
            if est:
                pos = eend
            out.append(
                Mention(
                    start=cstart if comp else m.start(),
                    end=pos,
                    num_start=m.start(),
                    num_end=m.end(),
                    value=value,
                    comparator=comp,
                    unit_code=code,
                    unit_text=unit_text,
                    unit_kind=kind,
                    has_denominator=denom,
                    is_estimate=est,
                    footnote=note,
                    range_high=range_high,
                )
            )
            floor = pos
        return out

    # ------------------------------------------------------------------------------- years
    def year_in(self, folded: str) -> int | None:
        """The single year a phrase points at ('Đến năm 2025'), ignoring periods and dates."""
        if "19" not in folded and "20" not in folded:
            return None  # every year pattern needs a 19xx or 20xx
        # headings and sentence heads recur ('Đến năm 2025'): remember the answer per text
        try:
            return self._years[folded]
        except KeyError:
            pass
        if len(self._years) >= _YEAR_MEMO_SIZE:
            self._years.clear()
        year = self._years[folded] = self._year_in(folded)
        return year

    def _year_in(self, folded: str) -> int | None:
        cleaned = self._not_year.sub(lambda m: " " * len(m.group()), folded)
        years = set()
        for rx in self._year_patterns:
            for m in rx.finditer(cleaned):
                years.add(int(m.group(1)))
        return years.pop() if len(years) == 1 else None

    def is_actual_sentence(self, folded: str) -> bool:
        """Whether a sentence holds an actual cue (any of ``self.actual_cues``)."""
        return self._actual_cues.found(folded)

    @cached_property
    def column_words(self) -> list[tuple[str, str]]:
        words = []
        for kind, phrases in self.lexicon["column_kinds"].items():
            for p in phrases:
                words.append((fold_phrase(p), kind))
        return sorted(words, key=lambda t: -len(t[0]))
