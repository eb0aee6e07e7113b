"""Integration: the five seed documents through the whole build, one test per known trap."""

from __future__ import annotations

import re
import unicodedata

import pytest

from pipeline.settings import RAW_DIR, ROOT

DK, KT, BR, TD, TQ = (
    "dak-lak-2024-health-sector-action-plan",
    "kon-tum-2024-health-strategy-plan",
    "ba-ria-vung-tau-2024-health-work-plan",
    "tam-duong-2023-health-care-plan",
    "tuyen-quang-2018-resolution-20-plan",
)
NAT = "national-and-official-figures"  # the table of cited figures (tests/integration/test_national.py)


def obs(con, source, indicator, year, kind="target"):
    return con.execute(
        "SELECT comparator, value, unit_code, unit_reported, flags, is_estimate, flag_detail, "
        "value_reported, condition FROM observation WHERE source_id=? AND indicator_code=? "
        "AND year=? AND kind=? ORDER BY line_start",
        [source, indicator, year, kind],
    ).fetchall()


def test_counts_per_document(con):
    counts = dict(con.execute("SELECT source_id, count(*) FROM observation GROUP BY 1").fetchall())
    assert counts == {DK: 14, KT: 66, BR: 32, TD: 37, TQ: 41, NAT: 66}


def test_every_observation_has_provenance_that_occurs_in_the_raw_file(con):
    rows = con.execute(
        "SELECT o.quote, o.line_start, o.line_end, s.file_name, s.n_lines FROM observation o "
        "JOIN source_document s USING (source_id)"
    ).fetchall()
    raw = {}
    for quote, a, b, name, n in rows:
        text = raw.setdefault(name, (RAW_DIR / name).read_text(encoding="utf-8"))
        assert quote and quote in text
        assert 1 <= a <= b <= n
        # the quote sits on the lines it claims
        lines = text.split("\n")
        assert quote.split("\n")[0].strip()[:20] in "\n".join(lines[a - 1 : b])


def test_trap_decimal_comma_and_thousands_dot(con):
    assert obs(con, DK, "underweight_under5", 2024)[0][1] == pytest.approx(17.6)
    assert obs(con, DK, "hospital_beds_total", 2024)[0][1] == 5130
    assert obs(con, KT, "health_insurance_coverage", 2023, "actual")[0][1] == pytest.approx(93.46)


def test_trap_units_written_many_ways(con):
    assert obs(con, DK, "infant_mortality_rate", 2024)[0][3] == "‰"
    assert obs(con, TD, "natural_increase_rate", 2023)[0][3] == "%o"
    assert obs(con, BR, "maternal_mortality_ratio", 2024)[0][3] == "⁰ /0000"
    assert obs(con, DK, "doctors_per_10000", 2024)[0][2] == "per_10000"  # 'Số bác sỹ/vạn dân'
    assert obs(con, KT, "maternal_mortality_ratio", 2030)[0][3] == "trên 100.000 trẻ đẻ sống"
    for row in obs(con, DK, "infant_mortality_rate", 2024) + obs(
        con, BR, "maternal_mortality_ratio", 2024
    ):
        assert "unit_corrected" not in row[4]


@pytest.mark.parametrize(
    ("source", "indicator", "year", "kind", "value", "printed"),
    [
        (BR, "infant_mortality_rate", 2023, "actual", 1.8, "%"),
        (BR, "natural_increase_rate", 2023, "actual", 10.0, "%"),
        (TD, "pharmacists_per_10000", 2023, "target", 1.0, "%"),
        (TQ, "under5_mortality_rate", 2025, "target", 11.0, "%"),
    ],
)
def test_trap_wrong_unit_is_corrected_to_the_definition_never_rescaled(
    con, source, indicator, year, kind, value, printed
):
    rows = [r for r in obs(con, source, indicator, year, kind) if "unit_corrected" in r[4]]
    assert rows, "expected a unit_corrected observation"
    _comparator, v, _unit, unit_reported, _flags, _e, detail, *_ = rows[0]
    assert v == pytest.approx(value)  # not multiplied by 10
    assert unit_reported == printed
    assert "unit_corrected:" in detail


@pytest.mark.parametrize(
    ("source", "indicator", "year", "comparator", "value"),
    [
        (DK, "infant_mortality_rate", 2024, "<", 22),
        (DK, "full_immunisation_under1", 2024, ">=", 95),
        (TD, "health_insurance_coverage", 2023, ">", 96.1),
        (TD, "out_of_pocket_share", 2023, "<", 35),
        (TQ, "life_expectancy", 2025, "~", 74),
        (TQ, "healthy_life_years", 2025, ">=", 66),
        (TQ, "out_of_pocket_share", 2025, "<=", 35),
        (DK, "underweight_under5", 2024, "<=", 17.6),
        (KT, "tb_incidence_per_100000", 2025, "<", 50),
    ],
)
def test_trap_comparators_in_symbols_and_words(con, source, indicator, year, comparator, value):
    row = obs(con, source, indicator, year)[0]
    assert (row[0], row[1]) == (comparator, pytest.approx(value))


def test_trap_estimates(con):
    le = obs(con, KT, "life_expectancy", 2023, "actual")[0]
    assert le[1] == pytest.approx(68.2) and le[5] is True
    assert "footnote 16" in le[6]  # '(Ước16)' points at the footnote, which is kept
    assert obs(con, KT, "infant_mortality_rate", 2023, "actual")[0][5] is True
    assert obs(con, KT, "infant_mortality_rate", 2025)[0][5] is False


def test_trap_qualitative_targets(con):
    q = obs(con, KT, "malaria_incidence_per_100000", 2025)[0]
    assert q[0] is None and q[1] is None and "qualitative" in q[4]
    assert q[7] == "Loại trừ sốt rét"
    assert obs(con, KT, "malaria_incidence_per_100000", 2030)[0][7] == "Duy trì loại trừ sốt rét"


def test_trap_conditional_targets(con):
    row = obs(con, KT, "full_immunisation_under1", 2025)[0]
    assert row[1] == 95 and row[8].startswith("với 12 loại vắc xin")


def test_trap_same_indicator_two_targets_both_kept_and_flagged(con):
    rows = obs(con, TD, "electronic_health_records", 2023)
    assert [(r[0], r[1]) for r in rows] == [(">", 50), (">", 40)]
    assert all("conflict" in r[4] for r in rows)


def test_restatements_are_kept_and_marked(con):
    rows = obs(con, TD, "hospital_beds_per_10000", 2023)
    assert [(r[0], r[1]) for r in rows] == [("=", 18.7), ("=", 18.7)]
    assert "restated" in rows[1][4] and "restated" not in rows[0][4]


@pytest.mark.parametrize(
    ("indicator", "comparators"),
    [
        ("doctors_per_10000", [">", "="]),  # trên 7,6 / đạt 7,6
        ("stunting_under5", ["<", "<="]),  # dưới 24% / còn 24%
        ("hiv_prevalence", ["<=", "="]),  # còn 0,38% / chiếm 0,38%
        ("underweight_under5", ["<", "<="]),  # xuống dưới 17,5% / còn 17,5%
    ],
)
def test_same_figure_with_another_comparator_is_two_flagged_statements(con, indicator, comparators):
    rows = obs(con, TD, indicator, 2023)
    assert [r[0] for r in rows] == comparators and len({r[1] for r in rows}) == 1
    assert all(list(r[4]) == ["comparator_differs"] for r in rows)


def test_page_footer_and_value_before_page_break(con):
    assert obs(con, DK, "hospital_beds_per_10000", 2024)[0][1] == 29
    assert not con.execute(
        "SELECT count(*) FROM observation WHERE value IN (1693, 17) AND source_id=?", [KT]
    ).fetchone()[0]


def test_decomposed_unicode_document(con):
    raw = (RAW_DIR / f"{TD}.txt").read_text(encoding="utf-8")
    assert raw != unicodedata.normalize("NFC", raw)  # the seed really is decomposed
    quotes = [
        q
        for (q,) in con.execute("SELECT quote FROM observation WHERE source_id=?", [TD]).fetchall()
    ]
    assert all(q in raw for q in quotes)


def test_unmapped_rows_are_reviewed_reasons(con):
    rows = con.execute(
        "SELECT source_id, reason_code FROM unmapped WHERE source_id <> ? ORDER BY 1, 2", [NAT]
    ).fetchall()
    assert rows == [
        (KT, "no_figures"),
        (KT, "no_figures"),
        (KT, "no_year"),
        (TQ, "no_year"),
        (TQ, "no_year"),
    ]


def test_the_correction_file_is_applied(con):
    row = con.execute("SELECT n_observations FROM correction").fetchall()
    assert row == [(1,)]


def test_no_code_path_is_keyed_to_a_document_or_place():
    names = [
        "dak-lak",
        "kon-tum",
        "ba-ria",
        "tam-duong",
        "tuyen-quang",
        "Đắk Lắk",
        "Kon Tum",
        "Bà Rịa",
        "Tam Đường",
        "Tuyên Quang",
        "dak lak",
        "kon tum",
        "tam duong",
        "000_e413",
    ]
    files = [
        p for p in (ROOT / "pipeline").rglob("*") if p.is_file() and "__pycache__" not in p.parts
    ]
    assert len(files) > 20  # every module of every layer, SQL and YAML beside the code
    for path in files:
        text = path.read_text(encoding="utf-8").lower()
        for n in names:
            assert n.lower() not in text, f"{path.name} mentions {n!r}"
    assert not re.search(
        r"\b(?:62|66|77|106|08)\b['\"]", "".join(p.read_text(encoding="utf-8") for p in files)
    )
