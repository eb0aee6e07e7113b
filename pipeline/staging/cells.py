"""Cells of a table row: a figure with its note ('52,5 (hiện nay … 8 loại vắc xin)'), or words
('Loại trừ sốt rét'). A note in parentheses belongs to the cell before it, so numbers inside
parentheses never open a cell of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from pipeline.staging.patterns import any_of
from pipeline.text.grammar import Grammar, Mention

if TYPE_CHECKING:
    from pipeline.staging.state import DocumentState

_PARENS = re.compile(r"[()]")
_SPACES = re.compile(r"\s+")
_EMPTY_CELL = re.compile(r"\s*[-x–—…]+\s*")


@dataclass
class Cell:
    start: int
    end: int
    mention: Mention | None
    text: str  # folded cell text
    condition: str | None = None
    qualitative: bool = False


def paren_depth(s: str) -> int:
    """Parentheses still open at the end of ``s`` (a ')' with none open closes nothing)."""
    if "(" not in s:
        return 0
    depth = 0
    for ch in _PARENS.findall(s):
        if ch == "(":
            depth += 1
        elif depth:
            depth -= 1
    return depth


@lru_cache(maxsize=8)
def _any_starter(grammar: Grammar) -> re.Pattern[str]:
    return any_of(grammar.qualitative_starters)


def qualitative_splits(grammar: Grammar, folded: str, a: int, b: int) -> list[int]:
    """Positions in [a, b) where a qualitative cell opens ('Loại trừ...', 'Duy trì...')."""
    starts: list[tuple[int, int]] = []
    seg = folded[a:b]
    if not _any_starter(grammar).search(seg):
        return []  # most cells open no qualitative text: one scan says so
    for starter in grammar.qualitative_starters:
        for m in starter.finditer(seg):
            starts.append((a + m.start(), a + m.end()))
    starts.sort()
    out: list[int] = []
    last_end = -10
    for s, e in starts:
        if folded[last_end:s].strip() == "" and last_end >= 0:  # continues the previous starter
            last_end = e
            continue
        out.append(s)
        last_end = e
    return out


def cell_at(state: DocumentState, a: int, b: int) -> Cell | None:
    """The cell spanning [a, b) of a delimited row (a TSV cell); None if it is empty or a dash."""
    folded = state.doc.folded
    if not folded[a:b].strip() or _EMPTY_CELL.fullmatch(folded, a, b):
        return None
    ms = [
        m
        for m in state.grammar.mentions(folded, a, b, _own_mask(state.mask, a, b))
        if paren_depth(folded[a : m.num_start]) == 0
    ]
    if not ms:
        return Cell(a, b, None, folded[a:b].strip(), qualitative=True)
    m = ms[0]
    cond = state.doc.text[m.end : b].strip(" ;,\n") or None
    return Cell(m.start, b, m, folded[a:b].strip(), condition=cond)


def _own_mask(mask: bytearray, a: int, b: int) -> bytearray:
    """The label mask as a delimited cell [a, b) sees it: a masked run that starts in the cell
    before ('Cơ sở<TAB>189' read as 'số 189', a number of a label) claims nothing of this one."""
    if a == 0 or not (mask[a - 1] and mask[a]):
        return mask
    end = a
    while end < b and mask[end]:
        end += 1
    own = bytearray(mask)
    own[a:end] = bytes(end - a)
    return own


def row_cells(state: DocumentState, a: int, b: int, excluded: set[int]) -> tuple[list[Cell], int]:
    """Cells of an undelimited row spanning [a, b) (its label first), and where its label ends.

    Figures on ``excluded`` lines (page footers) are none of the row's. A figure's cell runs to
    the next figure or qualitative starter, the text between being its note.
    """
    g = state.grammar
    folded = state.doc.folded
    ms = g.mentions(folded, a, b, state.mask)
    if excluded:
        ms = [m for m in ms if state.doc.line_of(m.num_start) - 1 not in excluded]
    ms = [m for m in ms if paren_depth(folded[a : m.num_start]) == 0]
    if not ms:
        return _qualitative_row(g, folded, a, b)
    cells: list[Cell] = []
    for idx, m in enumerate(ms):
        seg_end = ms[idx + 1].start if idx + 1 < len(ms) else b
        splits = qualitative_splits(g, folded, m.end, seg_end)
        cond_end = splits[0] if splits else seg_end
        cond = _SPACES.sub(" ", state.doc.text[m.end : cond_end]).strip(" ;,") or None
        cells.append(Cell(m.start, cond_end, m, folded[m.start : cond_end].strip(), condition=cond))
        cells += _qualitative_cells(folded, splits, seg_end)
    return cells, ms[0].start


def _qualitative_row(grammar: Grammar, folded: str, a: int, b: int) -> tuple[list[Cell], int]:
    """A row without figures: its cells open at qualitative starters after the label."""
    splits = qualitative_splits(grammar, folded, a, b)
    if not splits or not folded[a : splits[0]].strip():
        return [], b  # no cells, or a group row whose words merely open with a verb
    return _qualitative_cells(folded, splits, b), splits[0]


def _qualitative_cells(folded: str, splits: list[int], end: int) -> list[Cell]:
    """A cell of words from each split to the next (the last to ``end``)."""
    if not splits:
        return []
    ends = [*splits[1:], end]
    return [
        Cell(s, e, None, folded[s:e].strip(), qualitative=True)
        for s, e in zip(splits, ends, strict=True)
    ]
