"""Value grammar: how a figure is written (number, comparator, unit, estimate marker).

Knowledge lives in ``data/reference/lexicon.yaml`` and ``units.yaml``; this module compiles it.
All matching runs on folded text (see :func:`pipeline.text.fold`), whose positions equal those
of the normalised text, so every span maps back to the raw document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from pipeline.errors import ReferenceError
from pipeline.text.lexicon import load_lexicon
from pipeline.text.masks import (
    COUNTED,
    DIGIT_CHAR,
    SEP,
    MaskChars,
    MaskRow,
    MaskRows,
    Phrase,
    PhraseSet,
    mask_pattern_shape,
)
from pipeline.text.normalise import (
    code_points,
    fold_phrase,
    phrase_needle,
    phrase_regex,
)
from pipeline.yaml_load import safe_load as safe_yaml

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


def _any(sources: list[str]) -> str:
    """A regex matching where any of ``sources`` does; one that never matches for none (an
    empty lexicon list means no words, not every text)."""
    return "|".join(f"(?:{s})" for s in sources) or r"(?!)"


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
        lex = load_lexicon(reference_dir)
        units_doc = safe_yaml((reference_dir / "units.yaml").read_text(encoding="utf-8"))
        self.units: dict[str, Unit] = {u["code"]: Unit(**u) for u in units_doc["units"]}
        for code, more in (units_doc.get("more_aliases") or {}).items():
            if code not in self.units:
                raise ReferenceError(f"units.yaml: more_aliases: unknown unit {code!r}")
            self.units[code].aliases = [*self.units[code].aliases, *more]
        self.lexicon = lex
        self._compile_comparators(lex)
        aliases = self._compile_units()
        self._compile_masks(lex, aliases)
        self._compile_words(lex)

    def _compile_comparators(self, lex: dict) -> None:
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

    def _compile_units(self) -> list[tuple[str, str, str]]:
        """Unit aliases as (folded alias, code, kind), longest first, and the regexes over them."""
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
            (Phrase(fa), code, len(fa))
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
        self._denominator_phrases = PhraseSet([Phrase(fa) for fa in rate_aliases])
        return aliases

    def _compile_masks(self, lex: dict, aliases: list[tuple[str, str, str]]) -> None:
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
        self._mask_rows = MaskRows(self._mask_row)
        self._mask_chars = MaskChars(self._mask_rows)
        self._mask_subs: dict[tuple[int, ...], re.Pattern[str] | None] = {(): None}

    def _compile_words(self, lex: dict) -> None:
        # the upper end of a range, after its separator: '0,05 - 0,1', 'từ 5 đến 10'
        separators = _any([re.escape(fold_phrase(w)) for w in lex["range_separators"]])
        self._range_tail = re.compile(rf"\s*(?:{separators})\s*({NUMBER})")
        self._per_year = re.compile(_any(lex["per_year_patterns"]))
        self.year_line = re.compile(_any(lex["year_line_patterns"]))
        # a table cell's note that only says its figure is an estimate: '(Ước)', 'ước tính'
        estimate = _any([re.escape(fold_phrase(w)) for w in lex["column_estimate"]])
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
        self._not_year = re.compile(_any(lex["not_year_patterns"]))
        self._years: dict[str, int | None] = {}  # year_in's answers, bounded
        cues = [fold_phrase(p) for p in lex["actual_cues"]]
        self.actual_cues = [re.compile(phrase_regex(p)) for p in cues]
        self._actual_cues = PhraseSet([Phrase(p) for p in cues])
        stats = lex["statistics"]
        self._publications = PhraseSet([Phrase(fold_phrase(p)) for p in stats["publications"]])
        self._target_cues = PhraseSet([Phrase(fold_phrase(p)) for p in stats["target_cues"]])

    # ----------------------------------------------------------------------------- numbers
    def masked(self, folded: str) -> bytearray:
        """1 at every position whose digits belong to a label, a date or a reference."""
        # Same result as one finditer of ``self._masks`` over the whole text (leftmost match
        # first, no overlaps), without trying all its patterns at every position. Every match
        # holds a digit, and each pattern can only start with certain characters and hold a
        # bounded number of characters other than whitespace and commas before its first digit
        # (mask_pattern_shape reads both from the pattern; tests/text/test_grammar_mask.py checks
        # the lexicon has such a shape). So only the positions within that distance before a digit
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
        digits = np.flatnonzero(kinds == DIGIT_CHAR)
        if len(digits) == 0:
            return [], []
        # runs of digits [run_start, run_end)
        firsts = np.flatnonzero(np.diff(digits, prepend=-2) != 1)
        run_start = digits.take(firsts)
        run_end = np.append(digits.take(firsts[1:] - 1), digits[-1]) + 1
        # each run's window: after the (reach + 1)-th counted character before the run, and
        # not before the previous run ends
        counted = np.flatnonzero(kinds == COUNTED)
        beyond = np.searchsorted(counted, run_start) - (self._mask_reach + 1)
        window = np.zeros_like(run_start)
        far = beyond >= 0
        window[far] = counted.take(beyond[far]) + 1
        seg_start = np.maximum(window, np.append(0, run_end[:-1]))
        seg_len = run_end - seg_start
        # every position of every window and run, ascending
        seg_first = np.cumsum(seg_len) - seg_len  # where each segment begins in ``pos``
        pos = np.arange(int(seg_len.sum())) + np.repeat(seg_start - seg_first, seg_len)
        counts = (kinds.take(pos) == COUNTED).astype(np.int32)
        total = np.cumsum(counts)
        dist = total.take(np.repeat(seg_first + seg_len - 1, seg_len)) - total + counts
        ok = np.flatnonzero(dist <= chars.reach.take(codes.take(pos)))
        return pos.take(ok).tolist(), dist.take(ok).tolist()

    def _mask_row(self, c: str) -> MaskRow:
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
        return (0 if SEP.match(c) else 1, subs if alts else None)

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

    def is_target_sentence(self, folded: str) -> bool:
        """Whether a sentence speaks of a target (the lexicon's ``statistics.target_cues``)."""
        return self._target_cues.found(folded)

    def is_statistics_title(self, folded: str) -> bool:
        """Whether a title names a statistics publication (``statistics.publications``)."""
        return self._publications.found(folded)

    @cached_property
    def column_words(self) -> list[tuple[str, str]]:
        words = []
        for kind, phrases in self.lexicon["column_kinds"].items():
            for p in phrases:
                words.append((fold_phrase(p), kind))
        return sorted(words, key=lambda t: -len(t[0]))
