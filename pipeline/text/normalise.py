"""Text layer: normalised, searchable text that still points back to the raw file.

Every later step works on ``Document.folded`` (lower case, no diacritics, y→i) because
Vietnamese documents spell the same word several ways (sỹ/sĩ, tỷ/tỉ, decomposed Unicode).
Normalisation never changes length except for Unicode composition, so any span found in the
folded text maps back to an exact slice of the raw file: that slice is the observation's quote.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

# ------------------------------------------------------------------------------------- folding


def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(0x00C0, 0x1EFF + 1):
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if len(base) == 1 and base != ch:
            table[cp] = base.lower()
    for src, dst in {
        "đ": "d",
        "Đ": "d",
        "y": "i",
        "Y": "i",
        "ý": "i",
        "Ý": "i",
        "ỳ": "i",
        "Ỳ": "i",
        "ỷ": "i",
        "Ỷ": "i",
        "ỹ": "i",
        "Ỹ": "i",
        "ỵ": "i",
        "Ỵ": "i",
    }.items():
        table[ord(src)] = dst
    for cp in range(ord("A"), ord("Z") + 1):
        table.setdefault(cp, chr(cp).lower())
    return table


_FOLD = _fold_table()
# The same table as an array of code points, for folding whole documents: str.translate looks
# every non-ASCII character up in a dict, ten times slower than one vectorised lookup.
_FOLD_CODES = np.arange(max(_FOLD) + 1, dtype="<u4")  # little-endian, as UTF-32-LE
for _cp, _dst in _FOLD.items():
    _FOLD_CODES[_cp] = ord(_dst)  # every folded character is one character
_VECTOR_MIN_LEN = 500  # below this, numpy's fixed cost exceeds str.translate's


def code_points(text: str) -> np.ndarray:
    """The text's code points, one per character, as an array (lone surrogates included)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


def fold(text: str) -> str:
    """Matching key for NFC text, same length: 'Tỷ lệ Bác sỹ' -> 'ti le bac si'."""
    if len(text) < _VECTOR_MIN_LEN:
        return text.translate(_FOLD)
    codes = code_points(text)
    mapped = _FOLD_CODES.take(codes, mode="clip")
    folded = np.where(codes < len(_FOLD_CODES), mapped, codes)
    return folded.astype("<u4", copy=False).tobytes().decode("utf-32-le", "surrogatepass")


def fold_phrase(text: str) -> str:
    """Fold a catalog phrase written by a person (any Unicode form, any spacing)."""
    return re.sub(r"\s+", " ", fold(unicodedata.normalize("NFC", text))).strip()


@lru_cache(maxsize=4096)
def phrase_regex(phrase: str) -> str:
    """Regex source for a folded phrase: word boundaries, flexible spaces, optional space at '/'."""
    parts = []
    for token in phrase.split(" "):
        pieces = [re.escape(p) for p in token.split("/")]
        parts.append(r"\s*/\s*".join(pieces))
    body = r"[\s,]+".join(parts)
    right = r"(?![0-9a-z])" if re.search(r"[0-9a-z]$", phrase) else ""
    if not re.match(r"[0-9a-z]", phrase):
        return body + right
    # Word boundary on the left, checked after the first word rather than before it: the same
    # matches, but a pattern that opens with a literal lets the regex engine skip ahead to it.
    first = re.escape(phrase.split(" ")[0].split("/")[0])
    return first + f"(?<![0-9a-z]{first})" + body[len(first) :] + right


def phrase_pieces(phrase: str) -> list[str]:
    """The literal pieces of :func:`phrase_regex` (phrase) in order, some maybe empty: every match
    holds each verbatim and starts with the first, so a text without them cannot match."""
    return [piece for token in phrase.split(" ") for piece in token.split("/")]


def phrase_needle(phrase: str) -> str:
    """The longest literal piece of a phrase: a text without it holds no match (a cheap test)."""
    return max(phrase_pieces(phrase), key=len)


# ------------------------------------------------------------------------------- normalisation

# Same-length replacements, applied after NFC, in order.
# Single characters first, all at once (no target is itself a source).
_CHAR_MAP = {
    **dict.fromkeys("\u00a0\u2007\u202f\u2009\u200a\u200b\u2060\ufeff", " "),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    **dict.fromkeys("\u201c\u201d\u201e\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2018\u2019\u201a", "'"),
    # Glyphs that PDF fonts put where Vietnamese letters belong, repaired before matching so
    # that 'Giƣờng', 'Lƣơng Sơn' and 'TӸ SUҨT' read as the words they print (the raw bytes stay
    # the quote): Latin 'oi' for 'ư'/'Ư', and Cyrillic look-alikes for 'Ỷ' and 'Ấ'.
    "\u01a3": "\u01b0",  # ƣ -> ư
    "\u01a2": "\u01af",  # Ƣ -> Ư
    "\u04f8": "\u1ef6",  # Ӹ -> Ỷ
    "\u04a8": "\u1ea4",  # Ҩ -> Ấ
}
_CHAR_MAP_RE = re.compile("[" + "".join(_CHAR_MAP) + "]")

Repl = str | Callable[[re.Match[str]], str]


@dataclass(frozen=True)
class _Sub:
    """A same-length replacement; it can only match where one of ``needles`` occurs."""

    pattern: re.Pattern[str]
    repl: Repl
    needles: tuple[str, ...]


def _blank(m: re.Match[str]) -> str:
    return " " * len(m.group())


# Then patterns, each mapping a match to text of equal length.
_SAME_LENGTH_SUBS: list[_Sub] = [
    _Sub(re.compile(r"</?[A-Za-z][^<>\n]{0,200}>"), _blank, ("<",)),
    _Sub(re.compile(r"^[ \t]*#{1,6}(?=\s)", re.M), _blank, ("#",)),
    _Sub(re.compile(r"\*\*|__"), "  ", ("**", "__")),
    # a '*' touching a word character (written star-first so the search skips to each '*')
    _Sub(re.compile(r"\*(?:(?<=\w\*)|(?=\w))"), " ", ("*",)),
    # unit symbols are right-aligned so a span ending at the symbol ends where the raw text does
    _Sub(re.compile(r"%\s?o(?![a-zđ])", re.I), lambda m: "‰".rjust(len(m.group())), ("%",)),
    _Sub(
        re.compile(r"[⁰°o0]\s?/\s?0000|o/oooo"),
        lambda m: "⁰/0000".rjust(len(m.group())) if len(m.group()) >= 6 else m.group(),
        ("0000", "o/oooo"),
    ),
    _Sub(re.compile(r"[⁰°]\s?/\s?00(?!0)"), lambda m: "‰".rjust(len(m.group())), ("⁰", "°")),
]

_FOOTNOTE_RULE = re.compile(r"^[ \t_]{20,}$")
_ANY_FOOTNOTE_RULE = re.compile(r"^[ \t_]{20,}$", re.M)  # the same, over a whole text
_NEWLINE = re.compile("\n")
_FOOTNOTE_LINE = re.compile(r"^\s*(\d{1,3})\s*(?=[^\d\s.,%])(.+)$")


@dataclass
class Footnote:
    number: int
    line: int
    text: str


@dataclass
class Document:
    """A raw document and its normalised views, with offsets for provenance."""

    raw: str
    text: str  # NFC, same-length normalised
    folded: str  # fold(text)
    _offsets: list[int] | None  # text index -> raw index (None: identity)
    _raw_line_starts: list[int]
    footnotes: dict[int, Footnote] = field(default_factory=dict)

    # -- provenance
    def raw_pos(self, pos: int) -> int:
        return pos if self._offsets is None else self._offsets[pos]

    def line_of(self, pos: int) -> int:
        """1-based line number in the raw file of text position ``pos``."""
        return bisect.bisect_right(self._raw_line_starts, self.raw_pos(pos))

    def text_pos(self, raw_pos: int) -> int:
        """The text position of raw position ``raw_pos`` (the inverse of :meth:`raw_pos`)."""
        return raw_pos if self._offsets is None else bisect.bisect_left(self._offsets, raw_pos)

    def quote(self, start: int, end: int) -> str:
        """Verbatim raw text for text span [start, end): a substring of the raw file."""
        return self.raw[self.raw_pos(start) : self.raw_pos(end)]

    def lines_of(self, start: int, end: int) -> tuple[int, int]:
        return self.line_of(start), self.line_of(max(start, end - 1))

    @property
    def n_lines(self) -> int:
        return len(self._raw_line_starts)


@lru_cache(maxsize=64)
def _cluster_re(marks: frozenset[str]) -> re.Pattern[str]:
    """A character and the combining ``marks`` after it: the unit composed by NFC."""
    return re.compile("(?s:.)[" + "".join(re.escape(c) for c in sorted(marks)) + "]+")


def _nfc_with_offsets(raw: str) -> tuple[str, list[int] | None]:
    if unicodedata.is_normalized("NFC", raw):
        return raw, None
    # Compose cluster by cluster so each composed character remembers where it started;
    # between clusters with marks, characters are composed one by one.
    out: list[str] = []
    offsets: list[int] = []
    pos = 0
    marks = frozenset(c for c in set(raw) if unicodedata.combining(c))
    for m in _cluster_re(marks).finditer(raw) if marks else ():
        start = m.start()
        _compose_singles(raw, pos, start, out, offsets)
        composed = unicodedata.normalize("NFC", m.group())
        out.append(composed)
        offsets.extend([start] * len(composed))
        pos = m.end()
    _compose_singles(raw, pos, len(raw), out, offsets)
    offsets.append(len(raw))
    return "".join(out), offsets


def _compose_singles(raw: str, a: int, b: int, out: list[str], offsets: list[int]) -> None:
    """NFC of each character of raw[a:b] on its own, appended with its offsets."""
    run = raw[a:b]
    if unicodedata.is_normalized("NFC", run):  # then so is each character: copy the run
        out.append(run)
        offsets.extend(range(a, b))
        return
    for i in range(a, b):
        composed = unicodedata.normalize("NFC", raw[i])
        out.append(composed)
        offsets.extend([i] * len(composed))


def _same_length_sub(text: str, pattern: re.Pattern[str], repl: Repl) -> str:
    if callable(repl):
        return pattern.sub(repl, text)
    return pattern.sub(lambda m: (repl * len(m.group()))[: len(m.group())], text)


def _blank_footnotes(text: str) -> tuple[str, dict[int, tuple[int, str]]]:
    """Blank footnote blocks (a long rule line, then lines opening with their number)."""
    if not _ANY_FOOTNOTE_RULE.search(text):
        return text, {}
    lines = text.split("\n")
    notes: dict[int, tuple[int, str]] = {}
    pos = 0
    starts = []
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    i = 0
    while i < len(lines):
        if _FOOTNOTE_RULE.match(lines[i]):
            j = i + 1
            while j < len(lines):
                if not lines[j].strip():
                    j += 1
                    continue
                m = _FOOTNOTE_LINE.match(lines[j])
                if not m:
                    break
                notes[int(m.group(1))] = (starts[j], m.group(2).strip())
                lines[j] = " " * len(lines[j])
                j += 1
            i = j
        else:
            i += 1
    return "\n".join(lines), notes


def normalise(raw: str) -> Document:
    """Build the searchable views of a raw document (already decoded from UTF-8)."""
    text, offsets = _nfc_with_offsets(raw)
    text = _CHAR_MAP_RE.sub(lambda m: _CHAR_MAP[m.group()], text)
    for sub in _SAME_LENGTH_SUBS:
        if any(needle in text for needle in sub.needles):
            text = _same_length_sub(text, sub.pattern, sub.repl)
    text, notes = _blank_footnotes(text)
    raw_line_starts = [0] + [m.end() for m in _NEWLINE.finditer(raw)]
    if raw.endswith("\n"):
        raw_line_starts.pop()
    doc = Document(raw, text, fold(text), offsets, raw_line_starts)
    doc.footnotes = {
        num: Footnote(num, doc.line_of(pos), note) for num, (pos, note) in notes.items()
    }
    return doc
