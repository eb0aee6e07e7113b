"""Glyphs that PDF fonts print in place of Vietnamese letters are repaired before matching, in
the same-length clean-up: the folded text reads the word, the quote is still the raw bytes."""

from __future__ import annotations

import unicodedata

import pytest

from pipeline.reference import load_catalog
from pipeline.text import normalise

CAT = load_catalog()


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Giƣờng bệnh", "giuong benh"),
        ("Huyện Lƣơng Sơn", "huien luong son"),
        ("ƢU TIÊN", "uu tien"),
        ("TӸ SUҨT CHUNG", "ti suat chung"),
    ],
)
def test_misencoded_glyphs_fold_like_the_letters_they_stand_for(raw: str, folded: str) -> None:
    doc = normalise(raw)
    assert doc.folded == folded
    assert len(doc.text) == len(raw)
    assert doc.quote(0, len(doc.text)) == raw  # the quote keeps what the file holds


def test_repaired_text_is_composed_and_matches_the_catalog() -> None:
    doc = normalise("Số ngƣời chết do HIV/AIDS trên 100.000 dân (Ngƣời)\n")
    assert unicodedata.is_normalized("NFC", doc.text)
    assert "người" in doc.text
    codes = [m.code for m in CAT.match(doc.folded, has_denominator=True)]
    assert codes[0] == "hiv_aids_deaths_per_100000"


def test_decomposed_documents_keep_their_offsets() -> None:
    raw = unicodedata.normalize("NFD", "Điều dƣỡng - Nurse 1.205")
    doc = normalise(raw)
    start = doc.folded.index("1.205")
    assert doc.quote(start, start + 5) == "1.205"
    assert doc.folded.startswith("dieu duong")
