"""Grammar.masked tries mask patterns only near digits: it must equal the whole-text scan.

It relies on each mask pattern's shape (mask_pattern_shape): the characters a match can start
with and a bound on the characters other than whitespace and commas before its first digit.
A lexicon pattern without such a shape fails here, not silently slowly; the shape itself is
checked against every match the patterns make.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.reference import load_catalog
from pipeline.settings import RAW_DIR, REFERENCE_DIR
from pipeline.text import normalise
from pipeline.text.grammar import Grammar
from pipeline.text.masks import Phrase, mask_pattern_shape

GRAMMAR = load_catalog(REFERENCE_DIR).grammar
SEPARATOR = re.compile(r"[\s,]")


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
    "thanh nien",
    "tren",
    "cong nghiep",
    "giai doan",
    "so be trai",
    "tre sinh song",
    "phu nu",
    "con",
    "x",
]
PIECES = st.one_of(
    st.sampled_from(WORDS),
    st.from_regex(r"\d{1,5}", fullmatch=True),
    st.sampled_from([*" \n\t/.,-:;()%⁰", "20", "19", "100.000", "10.000", "1.000", "2020"]),
)
TEXTS = st.lists(PIECES, max_size=40).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(TEXTS)
def test_mask_equals_whole_text_scan_on_random_text(folded: str):
    assert GRAMMAR.masked(folded) == reference_mask(folded)


def test_every_mask_pattern_has_a_shape():
    """A pattern that may match without a digit, or hold unboundedly many characters before
    its first digit, turns masked() into a whole-text scan: change the pattern or the method."""
    for source in GRAMMAR._mask_sources:
        assert mask_pattern_shape(source) is not None, source
    assert GRAMMAR._mask_shapes is not None


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_mask_pattern_shapes_hold_for_every_match(folded: str):
    for source, (first, reach) in zip(GRAMMAR._mask_sources, GRAMMAR._mask_shapes, strict=True):
        rx = re.compile(source)
        for p in range(len(folded)):
            m = rx.match(folded, p)
            if m is None:
                continue
            digit = re.search(r"\d", m.group())
            assert digit is not None, (source, m.group())
            before = m.group()[: digit.start()]
            assert first.match(folded[p]), (source, m.group())
            assert sum(not SEPARATOR.match(c) for c in before) <= reach, (source, m.group())


@pytest.mark.parametrize(
    ("source", "firsts", "reach"),
    [
        (r"\bab\s*\d+", "a", 2),
        (r"(?<![0-9a-z])x[\s,]+y\s*/\s*10", "x", 3),
        (r"(?:tre\s+em|tu)\s+(?:duoi\s+)?\d", "t", 9),
        (r"\s*/\s*1\.000", " /", 1),
        (r"[a-z]-\d+", "az", 2),
        (r"(?:19|20)\d\d", "12", 0),
        (r"ab{0,3}\d", "a", 4),
    ],
)
def test_mask_pattern_shape(source: str, firsts: str, reach: int):
    first, got = mask_pattern_shape(source)
    assert got == reach
    assert all(first.match(c) for c in firsts)
    assert not first.match("Q")


@pytest.mark.parametrize(
    "source", [r"\d?x", r"[a-z]+\d", r"x|\d", r"(?i)ab\d", r"(a)\1\d", r"(?:ab)*\d"]
)
def test_mask_pattern_without_a_shape(source: str):
    assert mask_pattern_shape(source) is None


def lexicon_with(tmp_path: Path, *patterns: str) -> Path:
    """A copy of the reference data whose lexicon has extra label-number patterns."""
    for f in REFERENCE_DIR.iterdir():
        if f.is_file():
            (tmp_path / f.name).write_bytes(f.read_bytes())
    lex = yaml.safe_load((REFERENCE_DIR / "lexicon.yaml").read_text(encoding="utf-8"))
    lex["label_number_patterns"] += list(patterns)
    (tmp_path / "lexicon.yaml").write_text(yaml.safe_dump(lex, allow_unicode=True), "utf-8")
    return tmp_path


def test_a_pattern_without_a_shape_makes_masked_scan_the_whole_text(tmp_path: Path):
    grammar = Grammar(lexicon_with(tmp_path, r"[a-z]+\s+\d+kg"))  # unbounded before its digit
    assert grammar._mask_shapes is None
    folded = "tre em duoi 5 tuoi, 12/3/2020, dat 95%, nang 3kg, chieu cao 150kg"
    want = bytearray(len(folded))
    for m in grammar._masks.finditer(folded):
        want[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
    assert grammar.masked(folded) == want
    assert want[folded.index("3kg")] and want[folded.index("150kg")]


def test_a_pattern_reaching_far_before_its_digit(tmp_path: Path):
    grammar = Grammar(lexicon_with(tmp_path, r"\bma\s+[a-z]{0,200}\s*\d+"))
    assert grammar._mask_reach == 202
    folded = "ma " + "x" * 150 + " 7 va dat 95%"
    want = bytearray(len(folded))
    for m in grammar._masks.finditer(folded):
        want[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
    assert grammar.masked(folded) == want and want[folded.index("7")]


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_phrase_tests_equal_their_regex(folded: str):
    for phrase, *_rest in GRAMMAR._denominator_aliases:
        assert phrase.found(folded) == bool(phrase.rx.search(folded))
    assert GRAMMAR.has_denominator(folded) == bool(GRAMMAR._denominator.search(folded))
    assert GRAMMAR.is_actual_sentence(folded) == any(
        rx.search(folded) for rx in GRAMMAR.actual_cues
    )
    assert Phrase("tren 1.000 dan").found(folded) == bool(
        re.search(r"(?<![0-9a-z])tren[\s,]+1\.000[\s,]+dan(?![0-9a-z])", folded)
    )


def test_mask_of_text_with_new_characters_and_a_lone_surrogate():
    """masked() classifies characters it has not seen, and texts without a UTF-32 encoding."""
    folded = "tre em \ud800duoi 5 tuoi, \U0001f600 12/3/2020, ٣ lan/nam, dat 95%"
    assert GRAMMAR.masked(folded) == reference_mask(folded)
