"""Prose: targets in running text, numbered objectives and bullets under headings such as
'Đến năm 2025', lists sharing one unit at the end ('Đạt 35 giường bệnh viện, 10 bác sĩ, …
trên 10.000 dân'), value-first statements ('trên 50% dân số được quản lý …') and sub-items that
inherit their sentence's head ('tử vong trẻ em: Dưới 5 tuổi còn <11%; dưới 1 tuổi còn <9%').

It runs last and reads every line no table reader consumed. A figure's year is its sentence's,
else its headings', else the document's; its kind is 'actual' if the sentence speaks of results.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pipeline.reference import Match
from pipeline.staging.layout import Block, BlockRead, LayoutReader, register
from pipeline.staging.records import Figure, Unmapped
from pipeline.staging.rows import choose
from pipeline.text import fold_phrase, phrase_regex
from pipeline.text.grammar import Grammar, Mention

# A line opening an item of a list: '- ', '(2)', '3. ', '1.2 ', 'b) '.
_ITEM_OPEN = re.compile(r"^\s*(?:[-+•]\s|\(\d{1,2}\)|\d{1,2}(?:\.\d{1,2})*\.?\s|[a-zđ]\)\s)")
# A full stop (not in a number) before a capital, a digit or the end; or a tab. Its lookbehind
# comes after the '.', so that the search skips from '.' to '.'.
_SENTENCE_END = re.compile(r"\.(?<![\d.]\.)(?=\s+[\"'(\-A-ZĐÀ-Ỹ0-9]|\s*$)|\t")
_CLAUSE_END = re.compile(r"[;:]")
_ITEM_MARKER = re.compile(r"\s*(?:\(\d{1,2}\)|\d{1,2}[.)]|[-+•%])\s*")
_SYMBOLS = "<>=≤≥~"
_CHANGE_WINDOW = 20  # characters before a figure where a change word ('tăng thêm') is looked for


@lru_cache(maxsize=8)
def _change_words(grammar: Grammar) -> re.Pattern[str]:
    """The lexicon's change words, at the end of a text (right before a figure)."""
    words = "|".join(phrase_regex(fold_phrase(w)) for w in grammar.lexicon["change_words"])
    return re.compile(rf"(?:{words or '(?!)'})$")


@dataclass(slots=True)
class _Clause:
    """A clause holding figures, and what all its figures share."""

    start: int
    end: int
    mentions: list[Mention]
    head: str  # folded text of its sentence before it: the head its sub-items inherit
    year: int | None
    kind: str
    shared_unit: str | None = None  # a denominator after the last figure, shared by the list


def _is_figure(m: Mention) -> bool:
    """In running text a bare number (no comparator, no unit) is not a figure."""
    return m.comparator is not None or m.unit_code is not None


@register
class ProseReader(LayoutReader[Block]):
    """Running text: whatever no table reader consumed."""

    name = "prose"
    rank = 90

    def find(self, start: int) -> Block | None:
        """The rest of the document: prose is whatever no table reader consumed."""
        return Block(start) if start < len(self.state.lines) else None

    def read(self, block: Block) -> BlockRead:
        """Figures of every sentence that can hold one, clause by clause ('; ' and ': ' split a
        list whose items share the sentence's head)."""
        state = self.state
        folded = state.doc.folded
        saw = False
        for a, b in self._figure_sentences(block.start):
            clauses = [
                (ca, cb, ms) for ca, cb in self._clauses(a, b) if (ms := self._figures_in(ca, cb))
            ]
            if not clauses:
                continue
            year, kind = self._sentence_year_kind(a, b)
            for ca, cb, ms in clauses:
                if self._read_clause(_Clause(ca, cb, ms, folded[a:ca], year, kind)):
                    saw = True
        return BlockRead(len(state.lines), saw)

    # --------------------------------------------------------------------------- sentences
    def _figure_sentences(self, first_line: int) -> list[tuple[int, int]]:
        """Sentence spans outside figure tables (split at full stops, items and headings) with a
        digit outside the mask, the only ones that can hold a figure; passages without one are
        not split at all."""
        free = self.state.has_free_digit
        return [
            s
            for a, b in self._passages(first_line)
            if free(a, b)
            for s in self._split_sentences(a, b)
            if free(*s)
        ]

    def _passages(self, first_line: int) -> list[tuple[int, int]]:
        """Runs of lines outside figure tables, split before items, headings and TSV lines."""
        state = self.state
        spans: list[tuple[int, int]] = []
        start: int | None = None
        for line in state.lines[first_line:]:
            if state.consumed[line.no]:
                if start is not None:
                    spans.append((start, state.lines[line.no - 1].end))
                    start = None
                continue
            if line.blank:
                continue
            opens = bool(_ITEM_OPEN.match(line.folded)) or state.levels[line.no] is not None
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
            spans.append((start, len(state.doc.text)))
        return spans

    def _split_sentences(self, a: int, b: int) -> list[tuple[int, int]]:
        """Sentences of the passage [a, b): split at full stops and tabs, blank ones dropped."""
        text = self.state.doc.text
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
        """A sentence's clauses: split after each ';' and ':'."""
        text = self.state.doc.text
        out = []
        s = a
        for m in _CLAUSE_END.finditer(text, a, b):
            e = m.end()
            out.append((s, e))
            s = e
        out.append((s, b))
        return [(x, y) for x, y in out if text[x:y].strip()]

    def _figures_in(self, a: int, b: int) -> list[Mention]:
        """Figures of a clause: numbers with a comparator or a unit (see ``_is_figure``)."""
        state = self.state
        ms = state.grammar.mentions(state.doc.folded, a, b, state.mask, ranges=True)
        return [m for m in ms if _is_figure(m)]

    def _sentence_year_kind(self, a: int, b: int) -> tuple[int | None, str]:
        """Year of a sentence's figures (its own, its headings', the document's) and their kind."""
        state = self.state
        years = state.heading_years
        line_idx = state.doc.line_of(a) - 1
        heading_year = years[line_idx] if 0 <= line_idx < len(years) else None
        sentence = state.doc.folded[a:b]
        year = state.grammar.year_in(sentence)
        year = year if year is not None else heading_year
        year = year if year is not None else state.context.fallback_year()
        reported = state.reported_through
        restated = year is not None and reported is not None and year <= reported
        grammar = state.grammar
        reports = state.reports_results and not grammar.is_target_sentence(sentence)
        actual = restated or reports or grammar.is_actual_sentence(sentence)
        return year, "actual" if actual else "target"

    # ----------------------------------------------------------------------------- clauses
    def _read_clause(self, c: _Clause) -> bool:
        """Record the figures of a clause; whether it held any (matched or not)."""
        folded = self.state.doc.folded
        # A denominator after the last figure is shared by the whole list:
        # 'Đạt 35 giường bệnh viện, 10 bác sĩ, ..., 20 điều dưỡng viên trên 10.000 dân'.
        c.shared_unit = self.state.grammar.denominator_unit(folded[c.mentions[-1].num_end : c.end])
        label_first, labelled = self._labels(c)
        any_figure = False
        for m, (region, matches) in zip(c.mentions, labelled, strict=True):
            matches = matches or self._matches_with_head(c, m, region)
            if m.comparator is None and m.unit_kind != "rate" and not matches:
                continue  # a number with a unit but neither a comparator nor an indicator
            any_figure = True
            if self._is_change(m):
                reason = "an increase ('thêm'), not the level of an indicator"
                self.state.unmapped.append(Unmapped(*self._trim(c.start, m.end), "change", reason))
                continue
            self._record(c, m, region, matches, label_first)
        return any_figure

    def _is_change(self, m: Mention) -> bool:
        """Whether a change word stands right before the figure ('tăng thêm 200 giường')."""
        folded = self.state.doc.folded
        before = folded[max(0, m.start - _CHANGE_WINDOW) : m.start].rstrip()
        return _change_words(self.state.grammar).search(before) is not None

    def _own_denominator(self, c: _Clause, m: Mention) -> bool:
        """Whether a figure carries a per-population denominator: only then may a plain noun
        ('bác sĩ') name a density."""
        return m.has_denominator or m.unit_kind == "rate" or c.shared_unit is not None

    def _labels(self, c: _Clause) -> tuple[bool, list[tuple[tuple[int, int], list[Match]]]]:
        """Whether labels come before their figures in this clause (the side where more labels
        name an indicator), and each figure's label region with its catalog matches."""
        folded = self.state.doc.folded
        ms, n = c.mentions, len(c.mentions)
        before, after = [], []
        for i, m in enumerate(ms):
            prev_end = ms[i - 1].end if i else c.start
            next_start = ms[i + 1].start if i + 1 < n else c.end
            own = self._own_denominator(c, m)
            for side, (x, y) in ((before, (prev_end, m.start)), (after, (m.num_end, next_start))):
                text = folded[x:y]
                den = own or self.state.grammar.has_denominator(text)
                side.append(((x, y), self.state.catalog.match(text, has_denominator=den)))
        label_first = sum(1 for _r, x in after if x) <= sum(1 for _r, x in before if x)
        return label_first, before if label_first else after

    def _matches_with_head(self, c: _Clause, m: Mention, region: tuple[int, int]) -> list[Match]:
        """Matches of a label that names no indicator alone, read after its sentence's head
        ('tử vong trẻ em: Dưới 5 tuổi còn <11%')."""
        folded = self.state.doc.folded
        head = c.head + " " + folded[c.start : region[0]]
        den = self._own_denominator(c, m) or self.state.grammar.has_denominator(
            folded[c.start : c.end]
        )
        return self.state.catalog.match(
            folded[region[0] : region[1]], context=head.strip(), has_denominator=den
        )

    def _record(
        self,
        c: _Clause,
        m: Mention,
        region: tuple[int, int],
        matches: list[Match],
        label_first: bool,
    ) -> None:
        """Record a figure, or unmapped text if it names no single indicator or has no year."""
        state = self.state
        ra, rb = region
        span = (
            self._trim(min(ra, m.start), m.end)
            if label_first
            else self._trim(m.start, max(rb, m.end))
        )
        choice = choose(state.catalog, matches, m.unit_code or c.shared_unit)
        if isinstance(choice, str):
            reason_code = "no_indicator" if not matches else "ambiguous"
            state.unmapped.append(Unmapped(*span, reason_code, choice))
        elif c.year is None:
            reason = (
                f"indicator {choice.code} recognised but no year can be attributed "
                "(no year in the sentence, its headings, the title or the sidecar)"
            )
            state.unmapped.append(Unmapped(*span, "no_year", reason))
        else:
            state.figures.append(self._figure(c, m, choice.code, region, span))

    def _figure(
        self, c: _Clause, m: Mention, code: str, region: tuple[int, int], span: tuple[int, int]
    ) -> Figure:
        """The figure of a mention whose label names one indicator; a count in a list that shares
        a denominator is a density."""
        unit_code = m.unit_code if m.unit_code else c.shared_unit
        if m.unit_code == "count" and c.shared_unit:
            unit_code = c.shared_unit  # '10 bác sĩ, … trên 10.000 dân': a density, not a count
        return Figure(
            code,
            c.year,
            c.kind,
            m.is_estimate,
            m.comparator,
            m.value,
            self.state.printed(m.start, m.end),
            self.state.printed(m.num_end, m.end) or None,
            unit_code,
            self._clean_label(*region),
            *span,
            self.name,
            range_high=m.range_high,
        )

    def _clean_label(self, a: int, b: int) -> str:
        """The indicator's name as printed, without item markers or a trailing verb."""
        a, b = self._trim(a, b)
        folded = self.state.doc.folded
        m = _ITEM_MARKER.match(folded[a:b])
        if m:
            a += m.end()
        while True:
            comp, start = self.state.grammar.comparator_before(folded, b, a)
            if comp is None or start >= b or self.state.doc.text[start:b].strip() in _SYMBOLS:
                break
            b = start
        return " ".join(self.state.doc.text[a:b].split()).strip(" ,;:.-")

    def _trim(self, a: int, b: int) -> tuple[int, int]:
        """[a, b) without the spaces and punctuation around it, so quotes start on a word."""
        text = self.state.doc.text
        while a < b and text[a] in " \t\n,;:.-":
            a += 1
        while b > a and text[b - 1] in " \t\n,;:":
            b -= 1
        return a, b
