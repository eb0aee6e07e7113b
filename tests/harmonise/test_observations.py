"""Figures become observations: canonical units and their flags, qualitative targets, ranges,
figures without a year, verbatim quotes and line ranges (also for decomposed Unicode), ids.

Figures are built by hand at known spans of a small Vietnamese plan, so each test states exactly
what the harmonise layer must make of a figure, independently of the layout readers.
"""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

import pytest

from pipeline.harmonise import OBSERVATION_COLUMNS, UNMAPPED_COLUMNS, observation_records
from pipeline.reference import load_catalog
from pipeline.settings import REFERENCE_DIR
from pipeline.sources import Source
from pipeline.staging import Extraction, Figure, Unmapped
from pipeline.text import Document, normalise

CATALOG = load_catalog(REFERENCE_DIR)
SOURCE_ID = "thu-nghiem-2025-plan"

PLAN = """\
KẾ HOẠCH Y TẾ NĂM 2025
1. Tỷ lệ người dân tham gia bảo hiểm y tế đạt trên 95%.
2. Tỷ suất tử vong trẻ em dưới 1 tuổi còn 12%.
3. Chiều cao trung bình thanh niên 18 tuổi (nam) đạt 1,65 m.
4. Loại trừ sốt rét.
5. Tỷ lệ trạm y tế xã có bác sĩ làm việc từ 80 - 85%.
6. Tỷ lệ trẻ em dưới 1 tuổi được tiêm chủng đầy đủ
các loại vắc xin đạt 98%.
7. Số bác sĩ trên 10.000 dân đạt 9 người.
"""
INSURANCE = "Tỷ lệ người dân tham gia bảo hiểm y tế đạt trên 95%"  # line 2
INFANT = "Tỷ suất tử vong trẻ em dưới 1 tuổi còn 12%"  # line 3
HEIGHT = "Chiều cao trung bình thanh niên 18 tuổi (nam) đạt 1,65 m"  # line 4
MALARIA = "Loại trừ sốt rét"  # line 5
STATIONS = "Tỷ lệ trạm y tế xã có bác sĩ làm việc từ 80 - 85%"  # line 6
IMMUNISATION = "Tỷ lệ trẻ em dưới 1 tuổi được tiêm chủng đầy đủ\ncác loại vắc xin đạt 98%"  # 7-8
DOCTORS = "Số bác sĩ trên 10.000 dân đạt 9 người"  # line 9
UNIT_CODES = {"%": "percent", "m": "m", "người": "count"}  # as the value grammar reads them


def make_source(tmp_path: Path, raw: str) -> Source:
    """A Source over ``raw`` as discovery would make it, its document and sidecar on disk."""
    path = tmp_path / f"{SOURCE_ID}.txt"
    path.write_text(raw, encoding="utf-8")
    sidecar = tmp_path / f"{SOURCE_ID}.yaml"
    sidecar.write_text("geo: Kon Tum\ntitle: Kế hoạch y tế năm 2025\n", encoding="utf-8")
    meta = {"geo": "Kon Tum", "title": "Kế hoạch y tế năm 2025"}
    sha = hashlib.sha256(raw.encode()).hexdigest()
    return Source(SOURCE_ID, path, sidecar, meta, "62", raw, sha, raw.count("\n"))


def fig(
    doc: Document,
    span: str,
    code: str,
    value: float | None,
    printed: str,
    *,
    year: int | None = 2025,
    unit: str | None = None,
    comparator: str | None = None,
    **extra: object,
) -> Figure:
    """A target figure covering the first occurrence of ``span`` (NFC) in the document's text."""
    start = doc.text.index(span)
    return Figure(
        indicator_code=code,
        year=year,
        kind="target",
        is_estimate=False,
        comparator=comparator,
        value=value,
        value_reported=printed,
        unit_reported=unit,
        unit_code_reported=UNIT_CODES.get(unit),
        label_reported=span,
        start=start,
        end=start + len(span),
        reader="prose",
        **extra,
    )


def harmonise(
    source: Source, doc: Document, figures: list[Figure], unmapped: list[Unmapped] | None = None
) -> tuple[dict[str, dict], list[dict]]:
    """Observations by indicator code, and unmapped rows, as dicts."""
    obs, unm = observation_records(source, doc, Extraction(figures, unmapped or [], []), CATALOG)
    rows = {r[OBSERVATION_COLUMNS.index("indicator_code")]: r for r in obs}
    assert len(rows) == len(obs), "one observation per indicator in these tests"
    return (
        {code: dict(zip(OBSERVATION_COLUMNS, r, strict=True)) for code, r in rows.items()},
        [dict(zip(UNMAPPED_COLUMNS, r, strict=True)) for r in unm],
    )


@pytest.fixture()
def plan(tmp_path: Path) -> tuple[Source, Document]:
    return make_source(tmp_path, PLAN), normalise(PLAN)


def observe(plan: tuple[Source, Document], span: str, code: str, *args, **kw) -> dict:
    """The one observation made of one figure of the plan."""
    source, doc = plan
    rows, unmapped = harmonise(source, doc, [fig(doc, span, code, *args, **kw)])
    assert unmapped == []
    return rows[code]


# ----------------------------------------------------------------------------- units and flags


def test_the_canonical_unit_as_printed_needs_no_flag(plan: tuple[Source, Document]) -> None:
    row = observe(plan, INSURANCE, "health_insurance_coverage", 95.0, "trên 95%", unit="%")
    assert (row["value"], row["unit_code"]) == (95.0, "percent")
    assert row["comparator"] == "="  # none printed: the figure is stated as it is
    assert (row["flags"], row["flag_detail"]) == ([], None)
    assert (row["source_id"], row["geo_code"]) == (SOURCE_ID, "62")
    assert (row["year"], row["kind"], row["is_estimate"]) == (2025, "target", False)


def test_a_measure_is_converted_to_the_canonical_unit(plan: tuple[Source, Document]) -> None:
    """Metres are a genuine conversion to centimetres (units.yaml `convert`): factor applied."""
    row = observe(plan, HEIGHT, "height_18_male", 1.65, "1,65 m", unit="m")
    assert row["value"] == pytest.approx(165.0)
    assert row["unit_code"] == "cm"
    assert (row["value_reported"], row["unit_reported"]) == ("1,65 m", "m")
    assert row["flags"] == ["unit_converted"]
    assert row["flag_detail"] == "unit_converted: 1.65 m = 165 cm"


def test_a_contradicting_rate_is_corrected_not_rescaled(plan: tuple[Source, Document]) -> None:
    """Infant mortality printed as % is a mislabelled per-1,000 rate: it stays 12, never 120."""
    row = observe(plan, INFANT, "infant_mortality_rate", 12.0, "còn 12%", unit="%", comparator="<=")
    assert (row["value"], row["unit_code"], row["unit_reported"]) == (12.0, "per_1000", "%")
    assert row["comparator"] == "<="
    assert row["flags"] == ["unit_corrected"]
    assert row["flag_detail"].startswith("unit_corrected: printed '%' (percent) but ")
    assert row["flag_detail"].endswith("value kept as printed (12), unit set to per_1000")


def test_a_counted_noun_as_unit_agrees_with_a_density(plan: tuple[Source, Document]) -> None:
    """'9 người' for doctors per 10,000: the noun names what is counted, not a scale."""
    row = observe(plan, DOCTORS, "doctors_per_10000", 9.0, "9 người", unit="người")
    assert (row["value"], row["unit_code"], row["flags"]) == (9.0, "per_10000", [])


def test_a_qualitative_target_keeps_its_words(plan: tuple[Source, Document]) -> None:
    row = observe(plan, MALARIA, "malaria_incidence_per_100000", None, MALARIA, qualitative=True)
    assert (row["value"], row["comparator"], row["value_reported"]) == (None, None, MALARIA)
    assert row["flags"] == ["qualitative"]
    assert row["flag_detail"] == f"qualitative: target stated in words, no figure: {MALARIA!r}"


def test_a_range_keeps_both_bounds(plan: tuple[Source, Document]) -> None:
    stations = "health_stations_with_doctor"
    row = observe(plan, STATIONS, stations, 80.0, "80 - 85%", unit="%", range_high=85.0)
    assert (row["value"], row["value_upper"], row["comparator"]) == (80.0, 85.0, ">=")
    assert row["flags"] == ["range"]
    assert row["flag_detail"].startswith("range: 80 to 85 in the source; ")


def test_a_figures_notes_follow_its_flags(plan: tuple[Source, Document]) -> None:
    note = "footnote 3: provisional"
    row = observe(plan, INFANT, "infant_mortality_rate", 12.0, "còn 12%", unit="%", notes=[note])
    assert row["flags"] == ["unit_corrected"]
    assert row["flag_detail"].endswith("unit set to per_1000; footnote 3: provisional")


# ------------------------------------------------------------------------------------ unmapped


def test_a_figure_without_a_year_goes_to_unmapped(plan: tuple[Source, Document]) -> None:
    source, doc = plan
    no_year = fig(doc, INSURANCE, "health_insurance_coverage", 95.0, "trên 95%", year=None)
    rows, unmapped = harmonise(source, doc, [no_year])
    assert rows == {}
    assert unmapped == [
        {
            "source_id": SOURCE_ID,
            "line_start": 2,
            "line_end": 2,
            "text": INSURANCE,
            "reason": "indicator health_insurance_coverage recognised but no year can be attributed",
            "reason_code": "no_year",
        }
    ]


def test_the_readers_unmapped_text_keeps_its_lines(plan: tuple[Source, Document]) -> None:
    source, doc = plan
    start, end = doc.text.index(MALARIA), doc.text.index(STATIONS) + len(STATIONS)
    rows, unmapped = harmonise(source, doc, [], [Unmapped(start, end, "no_indicator", "why")])
    assert rows == {}
    assert [(u["line_start"], u["line_end"], u["reason_code"]) for u in unmapped] == [
        (5, 6, "no_indicator")
    ]
    assert unmapped[0]["text"] == f"{MALARIA}.\n5. {STATIONS}"


# ----------------------------------------------------------------------------- quotes and ids


def test_a_wrapped_figure_is_quoted_over_its_lines(plan: tuple[Source, Document]) -> None:
    row = observe(plan, IMMUNISATION, "full_immunisation_under1", 98.0, "98%")
    assert row["quote"] == IMMUNISATION
    assert (row["line_start"], row["line_end"]) == (7, 8)


def test_white_space_around_a_span_is_not_quoted(plan: tuple[Source, Document]) -> None:
    """A span running into the line break must not stretch the line range to the next line."""
    row = observe(plan, f" {HEIGHT}.\n", "height_18_male", 1.65, "1,65 m")
    assert row["quote"] == f"{HEIGHT}."
    assert (row["line_start"], row["line_end"]) == (4, 4)


def test_quotes_and_lines_of_a_decomposed_document(tmp_path: Path) -> None:
    """NFD raw text: spans are found in the composed text, quotes are slices of the raw one."""
    raw = unicodedata.normalize("NFD", PLAN)
    assert raw != PLAN
    source, doc = make_source(tmp_path, raw), normalise(raw)
    expected = {
        "infant_mortality_rate": (INFANT, 3, 3),
        "full_immunisation_under1": (IMMUNISATION, 7, 8),
    }
    figures = [fig(doc, span, code, 1.0, "1") for code, (span, *_l) in expected.items()]
    rows, _ = harmonise(source, doc, figures)
    for code, (span, line_start, line_end) in expected.items():
        row = rows[code]
        assert row["quote"] in raw
        assert row["quote"] == unicodedata.normalize("NFD", span) != span  # raw, not composed
        assert (row["line_start"], row["line_end"]) == (line_start, line_end)


def test_observation_id_is_deterministic(tmp_path: Path) -> None:
    """Ids are public (``python -m pipeline explain <id>``): the same figure at the same place
    gets the same id in every build and release; another year or line gets another one."""

    def obs_id(year: int, text: str = PLAN) -> str:
        doc = normalise(text)
        f = fig(doc, INSURANCE, "health_insurance_coverage", 95.0, "trên 95%", year=year)
        rows, _ = harmonise(make_source(tmp_path, text), doc, [f])
        return rows["health_insurance_coverage"]["observation_id"]

    assert obs_id(2025) == obs_id(2025) == "69fe671614de"
    assert obs_id(2030) != obs_id(2025)
    assert obs_id(2025, "\n" + PLAN) != obs_id(2025)  # the same figure one line lower


# ------------------------------------------------------------- a row's own place, sex, status


def test_a_figure_keeps_its_rows_place_sex_residence_and_preliminary_mark(
    plan: tuple[Source, Document],
) -> None:
    """Statistics tables name a place per row and split by sex or residence; a preliminary
    figure stays as printed, marked an estimate and flagged ``preliminary``."""
    row = observe(
        plan,
        INSURANCE,
        "health_insurance_coverage",
        95.0,
        "trên 95%",
        unit="%",
        place_reported="Huyện Kon Plông",
        geo_code="613",
        sex="female",
        residence="rural",
        preliminary=True,
    )
    assert (row["geo_code"], row["place_reported"]) == ("613", "Huyện Kon Plông")
    assert (row["sex"], row["residence"]) == ("female", "rural")
    assert row["is_estimate"] is True and row["flags"] == ["preliminary"]
    assert row["flag_detail"].startswith("preliminary: ")
    plain = observe(plan, INSURANCE, "health_insurance_coverage", 95.0, "trên 95%", unit="%")
    assert (plain["geo_code"], plain["sex"], plain["residence"]) == ("62", "total", "total")
    assert plain["place_reported"] is None
    assert row["observation_id"] != plain["observation_id"]


def test_figures_of_other_places_or_sexes_do_not_conflict(plan: tuple[Source, Document]) -> None:
    """Different values for two districts, or for men and women, are not a conflict."""
    source, doc = plan
    figures = [
        fig(doc, INSURANCE, "health_insurance_coverage", 95.0, "trên 95%", unit="%"),
        fig(doc, INSURANCE, "health_insurance_coverage", 90.0, "90%", unit="%", geo_code="613"),
        fig(doc, INSURANCE, "health_insurance_coverage", 91.0, "91%", unit="%", sex="male"),
    ]
    obs, _unm = observation_records(source, doc, Extraction(figures, [], []), CATALOG)
    flags = [r[OBSERVATION_COLUMNS.index("flags")] for r in obs]
    assert flags == [[], [], []]
    ids = {r[OBSERVATION_COLUMNS.index("observation_id")] for r in obs}
    assert len(ids) == 3
