"""Grammar.masked scans only digit-bearing runs of text: it must equal the whole-text scan."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.raw import RAW_DIR
from pipeline.reference import REFERENCE_DIR, load_catalog
from pipeline.text import normalise

GRAMMAR = load_catalog(REFERENCE_DIR).grammar


def reference_mask(folded: str) -> bytearray:
    mask = bytearray(len(folded))
    for m in GRAMMAR._masks.finditer(folded):
        mask[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
    return mask


def test_mask_equals_whole_text_scan_on_the_seeds():
    for path in sorted(Path(RAW_DIR).glob("*.txt")):
        folded = normalise(path.read_text(encoding="utf-8")).folded
        assert GRAMMAR.masked(folded) == reference_mask(folded), path.name


WORDS = [
    "tre em",
    "duoi",
    "tuoi",
    "nam",
    "so",
    "ngai",
    "thang",
    "tren",
    "dan",
    "nguoi",
    "lan",
    "quyet dinh",
    "giai doan",
    "den",
    "cap cuu",
    "benh vien",
    "be trai",
    "be gai",
    "loai",
]
PIECES = st.one_of(
    st.sampled_from(WORDS),
    st.from_regex(r"\d{1,5}", fullmatch=True),
    st.sampled_from([*" \n\t/.,-:;()%⁰", "20", "19", "100.000", "10.000", "1.000"]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, max_size=40).map(" ".join))
def test_mask_equals_whole_text_scan_on_random_text(folded: str):
    assert GRAMMAR.masked(folded) == reference_mask(folded)
