"""The shared document state: its shortcuts equal their definitions; headings by lexicon words."""

from __future__ import annotations

import re

from pipeline.staging import Context
from pipeline.staging.headers import header_needles
from pipeline.staging.state import ITEM_NUMBER, DocumentState, free_digits, heading_levels
from pipeline.text import normalise

SHORTCUTS = (
    "1. Mục tiêu\n(2) Tỷ lệ 95%\n  3.1. Chỉ tiêu chính\t12\n12\tTT\nII. Phụ lục\n"
    "Số giường bệnh ٣٤ trên vạn dân năm 2025\n\n1.\n- chi tiết\nNội dung chỉ tiêu 2.3"
)


def _state(text: str, catalog) -> DocumentState:
    return DocumentState(normalise(text), catalog, Context(None, None))


def test_free_digits_are_the_unmasked_regex_digits(catalog):
    r = _state(SHORTCUTS, catalog)
    folded = r.doc.folded
    expected = [m.start() for m in re.finditer(r"\d", folded) if not r.mask[m.start()]]
    assert free_digits(folded, r.mask) == expected
    assert any(not folded[p].isascii() for p in expected)  # a non-ASCII digit is a digit


def test_line_start_scan_and_needle_scan_equal_their_per_line_tests(catalog):
    r = _state(SHORTCUTS, catalog)
    folded = r.doc.folded
    per_line = [(ln.no, m.end()) for ln in r.lines if (m := ITEM_NUMBER.match(folded, ln.start))]
    assert [(no, m.end()) for no, m in r.at_line_starts(ITEM_NUMBER)] == per_line
    needles = header_needles(catalog.grammar, "label")
    with_needle = [ln.no for ln in r.lines if any(n in ln.stripped for n in needles)]
    assert r.lines_with_any(needles) == with_needle


def test_heading_levels_and_the_lexicon_heading_words(catalog):
    text = "II. MỤC TIÊU\nPhụ   lục 1: Bảng phân công\n1.2.3. Chi tiết\n1.2. Mục\nb) Mục\n3. Mục\nphụ lục\nPhụ lục"
    r = _state(text, catalog)
    assert heading_levels(catalog.grammar, r.lines) == [1, 1, 4, 3, 3, 2, 1, 1]
    assert r.levels == [1, 1, 4, 3, 3, 2, 1, 1]
    assert heading_levels(catalog.grammar, _state("Phụ lụcx", catalog).lines) == [None]


def test_heading_years_follow_the_heading_structure(catalog):
    text = "I. Đến năm 2025\n1. Mục tiêu\nMục tiêu đến năm 2030:\n- Tỷ lệ\nII. Giải pháp\n- Tỷ lệ"
    assert _state(text, catalog).heading_years == [2025, 2025, 2030, 2030, None, None]
