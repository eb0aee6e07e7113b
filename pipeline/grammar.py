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

import yaml

from pipeline.text import fold_phrase, phrase_regex

# A number as Vietnamese documents print it: thousands dot (5.130, 100.000), decimal comma
# (17,6), or a plain integer. A dot followed by one or two digits is read as a decimal point.
NUMBER = (
    r"(?<![0-9a-z.,/])"
    r"(?:\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+,\d+|\d+\.\d{1,2}|\d+)"
    r"(?![0-9a-z]|[.,]\d)"
)
_NUMBER_RE = re.compile(NUMBER)
_RANGE_TAIL = re.compile(r"\s*(?:-|den)\s*(" + NUMBER + ")")  # '0,05 - 0,1', 'từ 5 đến 10'
_PER_YEAR = re.compile(r"\s*/\s*nam\b")  # '0,5‰ /năm'
# Runs of text a label-number mask can lie in (see Grammar.masked), and a digit.
_MASK_RUN = re.compile(r"(?:[\w\s/\-,⁰]|\.(?=\d))+")
_DIGIT = re.compile(r"\d")
_SYMBOL_COMPARATORS = {"<": "<", ">": ">", "≤": "<=", "≥": ">=", "=": "=", "~": "~", "≈": "~"}


def parse_number(text: str) -> float | None:
    """'5.130' -> 5130, '17,6' -> 17.6, '100.000' -> 100000, '1.5' -> 1.5; None if not a number."""
    s = text.strip()
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", s):
        return float(s.replace(".", "").replace(",", "."))
    if re.fullmatch(r"\d+,\d+", s):
        return float(s.replace(",", "."))
    if re.fullmatch(r"\d+(?:\.\d+)?", s):
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
        lex = yaml.safe_load((reference_dir / "lexicon.yaml").read_text(encoding="utf-8"))
        units_doc = yaml.safe_load((reference_dir / "units.yaml").read_text(encoding="utf-8"))
        self.units: dict[str, Unit] = {u["code"]: Unit(**u) for u in units_doc["units"]}
        self.lexicon = lex

        # comparator words: longest first
        words: list[tuple[str, str]] = []
        for comp, phrases in lex["comparators"].items():
            for p in phrases:
                words.append((fold_phrase(p), comp))
        self._comparator_words = sorted(words, key=lambda t: -len(t[0]))
        self._estimate = [re.compile(p) for p in lex["estimate_patterns"]]
        self.qualitative_starters = [
            re.compile(phrase_regex(fold_phrase(s))) for s in lex["qualitative_starters"]
        ]

        # unit aliases: (regex, code, kind, folded alias), longest alias first
        aliases = []
        for u in self.units.values():
            for a in u.aliases:
                fa = fold_phrase(a)
                aliases.append((fa, u.code, u.kind))
        aliases.sort(key=lambda t: -len(t[0]))
        self._unit_aliases = [
            (re.compile(phrase_regex(fa)), code, kind, fa) for fa, code, kind in aliases
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
        self._denominator = re.compile("|".join(phrase_regex(fa) for fa in rate_aliases))
        digit_aliases = [fa for fa, *_r in aliases if re.search(r"\d", fa)]
        mask_sources = list(lex["label_number_patterns"]) + [
            phrase_regex(fa) for fa in digit_aliases
        ]
        self._masks = re.compile("|".join(f"(?:{p})" for p in mask_sources))
        self._year_patterns = [re.compile(p) for p in lex["year_patterns"]]
        self._not_year = re.compile("|".join(f"(?:{p})" for p in lex["not_year_patterns"]))
        self.actual_cues = [re.compile(phrase_regex(fold_phrase(p))) for p in lex["actual_cues"]]

    # ----------------------------------------------------------------------------- numbers
    def masked(self, folded: str) -> bytearray:
        """1 at every position whose digits belong to a label, a date or a reference."""
        # Same result as one finditer over the whole text, ~3x faster: every mask pattern
        # contains a digit and consumes only word characters, whitespace, '/', '-', ',', '⁰'
        # and a '.' before a digit (tests/test_grammar_mask.py holds the lexicon to that), so a
        # match lies inside one run of such characters holding a digit; only those are scanned.
        mask = bytearray(len(folded))
        masks = self._masks
        for run in _MASK_RUN.finditer(folded):
            a, b = run.span()
            if _DIGIT.search(folded, a, b) is None:
                continue
            for m in masks.finditer(folded, a, b):
                mask[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
        return mask

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
        window = folded[max(floor, i - 40) : i]
        for phrase, comp in self._comparator_words:
            if window.endswith(phrase):
                start = i - len(phrase)
                if start == 0 or not folded[start - 1].isalnum():
                    return comp, start
        return None, pos

    def comparator_at_end(self, folded: str) -> str | None:
        """Comparator word that ends a table label ('... suy dinh dưỡng giảm còn')."""
        s = folded.rstrip()
        for phrase, comp in self._comparator_words:
            start = len(s) - len(phrase)
            if s.endswith(phrase) and (start == 0 or not s[start - 1].isalnum()):
                return comp
        return None

    def unit_at(self, folded: str, pos: int, limit: int) -> tuple[str | None, str | None, int]:
        """Unit printed right after a number: (code, kind, end)."""
        m = self._unit_at.match(folded, pos, limit)
        if not m or m.end() == pos:
            return None, None, pos
        for name, val in m.groupdict().items():
            if val is not None:
                code, kind = self._unit_at_codes[int(name[1:])]
                return code, kind, m.end()
        return None, None, pos

    def has_denominator(self, folded: str) -> bool:
        return bool(self._denominator.search(folded))

    def denominator_unit(self, folded: str) -> str | None:
        """Rate unit named by a denominator in a label ('/vạn dân' -> per_10000)."""
        best = None
        for rx, code, kind, fa in self._unit_aliases:
            symbol_only = re.fullmatch(r"[%‰‱⁰/0]+", fa) is not None
            if (
                kind == "rate"
                and not symbol_only
                and rx.search(folded)
                and (best is None or len(fa) > best[1])
            ):
                best = (code, len(fa))
        return best[0] if best else None

    def unit_from_text(self, folded: str) -> tuple[str | None, str | None]:
        """Unit named by a whole cell or column ('Giường bệnh', '‰', 'Con/phụ nữ')."""
        s = folded.strip()
        for rx, code, kind, _fa in self._unit_aliases:
            m = rx.search(s)
            if m and m.start() == 0 and m.end() == len(s):
                return code, kind
        for rx, code, kind, _fa in self._unit_aliases:
            if rx.search(s):
                return code, kind
        return None, None

    def unit_suffix(self, folded: str) -> tuple[str | None, str | None, int]:
        """Unit alias that ends a label text (the table's unit column): (code, kind, start)."""
        s = folded.rstrip()
        best: tuple[str | None, str | None, int] = (None, None, len(folded))
        for rx, code, kind, _fa in self._unit_aliases:
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
        mask = mask if mask is not None else self.masked(folded)
        out: list[Mention] = []
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
                r = _RANGE_TAIL.match(folded, pos, end)
                if r and not mask[r.start(1)]:
                    range_high = parse_number(r.group(1))
                    pos = r.end()
            code, kind, uend = self.unit_at(folded, pos, end)
            unit_text = folded[pos:uend].strip() or None
            denom = False
            if code is not None:
                pos = uend
                if kind == "rate" and not re.fullmatch(r"[%‰‱]", unit_text or ""):
                    denom = True
                # a noun or symbol may be followed by its denominator: '7,6 bác sĩ/vạn dân'
                code2, kind2, uend2 = self.unit_at(folded, pos, end)
                if kind2 == "rate" and code2 is not None and kind != "rate":
                    code, kind, denom = code2, kind2, True
                    unit_text = folded[m.end() : uend2].strip()
                    pos = uend2
            per_year = _PER_YEAR.match(folded, pos, end)
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
        cleaned = self._not_year.sub(lambda m: " " * len(m.group()), folded)
        years = set()
        for rx in self._year_patterns:
            for m in rx.finditer(cleaned):
                years.add(int(m.group(1)))
        return years.pop() if len(years) == 1 else None

    def is_actual_sentence(self, folded: str) -> bool:
        return any(rx.search(folded) for rx in self.actual_cues)

    @cached_property
    def column_words(self) -> list[tuple[str, str]]:
        words = []
        for kind, phrases in self.lexicon["column_kinds"].items():
            for p in phrases:
                words.append((fold_phrase(p), kind))
        return sorted(words, key=lambda t: -len(t[0]))
