"""Normalisation keeps provenance; the value grammar reads Vietnamese figures."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.reference import load_catalog
from pipeline.text import fold, normalise
from pipeline.text.grammar import parse_number

G = load_catalog().grammar


# ----------------------------------------------------------------------------- normalisation


def test_decomposed_unicode_is_composed_and_quotes_map_back_to_raw_bytes():
    raw = unicodedata.normalize("NFD", "Tỷ lệ hài lòng đạt trên 88%.\nDòng hai")
    doc = normalise(raw)
    assert doc.text.startswith("Tỷ lệ hài lòng")  # NFC
    start = doc.text.index("trên")
    end = doc.text.index("%") + 1
    quote = doc.quote(start, end)
    assert quote in raw  # verbatim slice of the raw (decomposed) text
    assert unicodedata.normalize("NFC", quote) == "trên 88%"
    assert doc.line_of(doc.text.index("hai")) == 2


def test_same_length_cleanups():
    raw = "**Mục tiêu** <p>tỷ lệ</p> 14,3%o và 25,9 ⁰ /0000\u00a0– hết"
    doc = normalise(raw)
    assert len(doc.text) == len(raw)
    assert "**" not in doc.text and "<p>" not in doc.text
    assert "‰" in doc.text and "⁰/0000" in doc.text
    assert "\u00a0" not in doc.text and "–" not in doc.text


def test_footnote_block_is_blanked_and_kept():
    raw = "68,2 (Ước16)\n" + " " * 40 + "\n16 Cục Thống kê chưa công bố số liệu\nTiếp"
    doc = normalise(raw)
    assert 16 in doc.footnotes
    assert doc.footnotes[16].text.startswith("Cục Thống kê")
    assert "Cục Thống kê" not in doc.text


def test_fold_spelling_variants():
    assert fold("Bác sỹ") == fold("bác sĩ") == "bac si"
    assert fold("Tỉ lệ") == fold("Tỷ lệ") == "ti le"
    assert fold("Đắk Lắk") == "dak lak"


# ---------------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("17,6", 17.6),
        ("5.130", 5130),
        ("100.000", 100000),
        ("2,43", 2.43),
        ("0,34", 0.34),
        ("1.5", 1.5),
        ("93,46", 93.46),
        ("2.430", 2430),
        ("1.234,5", 1234.5),
        ("95", 95),
    ],
)
def test_vietnamese_number_format(text, value):
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "comparator", "value"),
    [
        ("đạt trên 96,1%", ">", 96.1),
        ("còn dưới 35%", "<", 35),
        ("khoảng 74 tuổi", "~", 74),
        ("tối thiểu 66 năm", ">=", 66),
        ("ít nhất 30%", ">=", 30),
        ("giảm còn 14,3‰", "<=", 14.3),
        ("còn <11%", "<", 11),
        ("đạt > 95%", ">", 95),
        ("≥95", ">=", 95),
        ("< 26", "<", 26),
        ("≤ 20", "<=", 20),
        ("chiếm 14%", "=", 14),
        ("đạt 7,6 bác sỹ", "=", 7.6),
        ("xuống dưới 17,5%", "<", 17.5),
        ("17,6", None, 17.6),
    ],
)
def test_comparators_nearest_wins(text, comparator, value):
    ms = G.mentions(fold(text))
    assert len(ms) == 1
    assert ms[0].comparator == comparator
    assert ms[0].value == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("10,0 %", "percent"),
        ("14,3‰", "per_1000"),
        ("25,9 ⁰/0000", "per_100000"),
        ("7,6 bác sỹ/vạn dân", "per_10000"),
        ("11 bác sĩ trên 10.000 dân", "per_10000"),
        ("167 cm", "cm"),
        ("2,1 con/phụ nữ", "children_per_woman"),
        ("74 tuổi", "years"),
        ("5.130 giường bệnh", "count"),
    ],
)
def test_units_after_numbers(text, unit):
    (m,) = G.mentions(fold(text))
    assert m.unit_code == unit


def test_estimate_marker_with_glued_footnote():
    (m,) = G.mentions(fold("68,2 \n\n(Ước16) "))
    assert m.is_estimate and m.footnote == 16
    (m,) = G.mentions(fold("25 (Ước)"))
    assert m.is_estimate and m.footnote is None


@pytest.mark.parametrize(
    "text",
    [
        "trẻ em dưới 5 tuổi",
        "tiêm đủ 7 loại vaccine",
        "khám thai 3 lần/3 thời kỳ",
        "sinh con thứ 3 trở lên",
        "tối thiểu 2 buổi/tuần",
        "(5 năm/ lần)",
        "ngày 05/01/2024",
        "giai đoạn 2021-2030",
        "Quyết định số 2732/QĐ-UBND",
        "thanh niên 18 tuổi",
        "trên 100.000 trẻ đẻ sống",
        "ít nhất 04 loại bệnh tật",
        "đến năm 2025",
    ],
)
def test_numbers_inside_labels_are_not_figures(text):
    assert G.mentions(fold(text)) == []


def test_range_is_read_with_both_bounds():
    (m,) = G.mentions(fold("nâng từ 0,05 - 0,1 điểm trung bình"), ranges=True)
    assert (m.value, m.range_high, m.unit_code) == (0.05, 0.1, "index")


def test_year_phrases():
    assert G.year_in(fold("2.1. Đến năm 2025")) == 2025
    assert G.year_in(fold("giai đoạn đến năm 2030, tầm nhìn đến năm 2045")) is None
    assert G.year_in(fold("ngày 05/01/2024 của Chính phủ")) is None
    assert G.year_in(fold("Kế hoạch bảo vệ sức khỏe Nhân dân năm 2023")) == 2023


# --------------------------------------------------------------------- properties (hypothesis)

VIET = "0123456789.,%‰<>≤≥=~ ()/-abcdeđghiklmnopqrstuvxyàáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹ\n\t"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=VIET, max_size=80))
def test_number_and_comparator_parsers_never_crash(text):
    folded = fold(unicodedata.normalize("NFC", text))
    for m in G.mentions(folded, ranges=True):
        assert m.num_start < m.num_end <= len(folded)
        assert m.comparator in {None, "<", "<=", ">", ">=", "=", "~"}
        assert m.value >= 0
    parse_number(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_normalise_never_crashes_and_quotes_are_raw_substrings(text):
    doc = normalise(text)
    assert len(doc.folded) == len(doc.text)
    if doc.text:
        a, b = 0, len(doc.text)
        assert doc.quote(a, b) in text


# ---------------------------------------------------------------------------- phrase regexes


def _phrases(node) -> list[str]:
    """Every string in a reference YAML file but its regexes (`*_patterns`)."""
    if isinstance(node, dict):
        return [p for k, v in node.items() if not str(k).endswith("patterns") for p in _phrases(v)]
    if isinstance(node, list):
        return [p for v in node for p in _phrases(v)]
    return [node] if isinstance(node, str) else []


def test_phrase_regex_matches_what_its_plain_form_matches_on_the_seeds():
    """The left word boundary sits after the first word (so the engine can skip ahead to the
    word); it must match exactly what the plain form, boundary first, matches."""
    import re

    import yaml

    from pipeline.settings import RAW_DIR, REFERENCE_DIR
    from pipeline.text import fold_phrase, phrase_regex

    def plain(phrase: str) -> str:
        body = r"[\s,]+".join(
            r"\s*/\s*".join(re.escape(p) for p in token.split("/")) for token in phrase.split(" ")
        )
        left = r"(?<![0-9a-z])" if re.match(r"[0-9a-z]", phrase) else ""
        right = r"(?![0-9a-z])" if re.search(r"[0-9a-z]$", phrase) else ""
        return left + body + right

    phrases = set()
    for name in ("indicators.yaml", "units.yaml", "lexicon.yaml"):
        doc = yaml.safe_load((REFERENCE_DIR / name).read_text(encoding="utf-8"))
        phrases |= {fold_phrase(p) for p in _phrases(doc)}
    phrases.discard("")
    assert len(phrases) > 300
    texts = [normalise(p.read_text(encoding="utf-8")).folded for p in sorted(RAW_DIR.glob("*.txt"))]
    texts.append(" ".join(sorted(phrases)) + " x" + "x".join(sorted(phrases)))  # glued: no boundary
    for phrase in sorted(phrases):
        new, old = re.compile(phrase_regex(phrase)), re.compile(plain(phrase))
        for text in texts:
            assert [m.span() for m in new.finditer(text)] == [
                m.span() for m in old.finditer(text)
            ], phrase


@pytest.mark.parametrize("text", ["Tỷ lệ BÁC SỸ đạt 9,5 ", "a\ud800Ỹ \U0001f600 ٣ Đ"])
def test_fold_of_long_texts_equals_the_character_table(text: str):
    from pipeline.text.normalise import _FOLD

    long = text * 100  # long enough for the vectorised path
    assert fold(long) == long.translate(_FOLD)
    assert len(fold(long)) == len(long)
