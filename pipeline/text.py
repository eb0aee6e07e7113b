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
from dataclasses import dataclass, field
from functools import lru_cache

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


def fold(text: str) -> str:
    """Matching key for NFC text, same length: 'Tỷ lệ Bác sỹ' -> 'ti le bac si'."""
    return text.translate(_FOLD)


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
    left = r"(?<![0-9a-z])" if re.match(r"[0-9a-z]", phrase) else ""
    right = r"(?![0-9a-z])" if re.search(r"[0-9a-z]$", phrase) else ""
    return left + body + right


def phrase_pieces(phrase: str) -> list[str]:
    """The literal pieces of :func:`phrase_regex` (phrase) in order, some maybe empty: every match
    holds each verbatim and starts with the first, so a text without them cannot match."""
    return [piece for token in phrase.split(" ") for piece in token.split("/")]


# ------------------------------------------------------------------------------- normalisation

# Same-length replacements, applied after NFC. Each maps a match to text of equal length.
_SAME_LENGTH_SUBS: list[tuple[re.Pattern[str], object]] = [
    (re.compile("[\u00a0\u2007\u202f\u2009\u200a\u200b\u2060\ufeff]"), " "),
    (re.compile("[\u2010\u2011\u2012\u2013\u2014\u2015\u2212]"), "-"),
    (re.compile("[\u201c\u201d\u201e\u00ab\u00bb]"), '"'),
    (re.compile("[\u2018\u2019\u201a]"), "'"),
    (re.compile(r"</?[A-Za-z][^<>\n]{0,200}>"), lambda m: " " * len(m.group())),
    (re.compile(r"^[ \t]*#{1,6}(?=\s)", re.M), lambda m: " " * len(m.group())),
    (re.compile(r"\*\*|__"), "  "),
    (re.compile(r"(?<=\w)\*|\*(?=\w)"), " "),
    # unit symbols are right-aligned so a span ending at the symbol ends where the raw text does
    (re.compile(r"%\s?o(?![a-zđ])", re.I), lambda m: "‰".rjust(len(m.group()))),
    (
        re.compile(r"[⁰°o0]\s?/\s?0000|o/oooo"),
        lambda m: "⁰/0000".rjust(len(m.group())) if len(m.group()) >= 6 else m.group(),
    ),
    (re.compile(r"[⁰°]\s?/\s?00(?!0)"), lambda m: "‰".rjust(len(m.group()))),
]

_FOOTNOTE_RULE = re.compile(r"^[ \t_]{20,}$")
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

    def quote(self, start: int, end: int) -> str:
        """Verbatim raw text for text span [start, end): a substring of the raw file."""
        return self.raw[self.raw_pos(start) : self.raw_pos(end)]

    def lines_of(self, start: int, end: int) -> tuple[int, int]:
        return self.line_of(start), self.line_of(max(start, end - 1))

    @property
    def n_lines(self) -> int:
        return len(self._raw_line_starts)


def _nfc_with_offsets(raw: str) -> tuple[str, list[int] | None]:
    nfc = unicodedata.normalize("NFC", raw)
    if nfc == raw:
        return raw, None
    # Compose cluster by cluster so each composed character remembers where it started.
    out: list[str] = []
    offsets: list[int] = []
    i, n = 0, len(raw)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(raw[j]):
            j += 1
        composed = unicodedata.normalize("NFC", raw[i:j])
        out.append(composed)
        offsets.extend([i] * len(composed))
        i = j
    offsets.append(n)
    return "".join(out), offsets


def _same_length_sub(text: str, pattern: re.Pattern[str], repl: object) -> str:
    if callable(repl):
        return pattern.sub(repl, text)  # type: ignore[arg-type]
    return pattern.sub(lambda m: (repl * len(m.group()))[: len(m.group())], text)  # type: ignore[operator]


def _blank_footnotes(text: str) -> tuple[str, dict[int, tuple[int, str]]]:
    """Blank footnote blocks (a long rule line, then lines opening with their number)."""
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
    for pattern, repl in _SAME_LENGTH_SUBS:
        text = _same_length_sub(text, pattern, repl)
    text, notes = _blank_footnotes(text)
    raw_line_starts = [0] + [m.end() for m in re.finditer("\n", raw)]
    if raw.endswith("\n"):
        raw_line_starts.pop()
    doc = Document(raw, text, fold(text), offsets, raw_line_starts)
    doc.footnotes = {
        num: Footnote(num, doc.line_of(pos), note) for num, (pos, note) in notes.items()
    }
    return doc
