"""Several figures of one document for one indicator, year and kind: differing values are all
kept and flagged ``conflict`` (each naming the others and their lines); an equal value stated
again with the same comparator is flagged ``restated`` from its second statement on; with
another comparator, every statement is flagged ``comparator_differs``. Nothing is dropped."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.harmonise import OBSERVATION_COLUMNS, observation_records
from pipeline.reference import load_catalog
from pipeline.settings import REFERENCE_DIR
from pipeline.sources import Source
from pipeline.staging import Extraction, Figure
from pipeline.text import Document, normalise

CATALOG = load_catalog(REFERENCE_DIR)
INSURANCE = "health_insurance_coverage"
INFANT = "infant_mortality_rate"
HEIGHT = "height_18_male"

PLAN = """\
KẾ HOẠCH Y TẾ NĂM 2025
1. Tỷ lệ tham gia bảo hiểm y tế đạt 95%.
2. Tỷ suất tử vong trẻ em dưới 1 tuổi còn 12‰.
3. Chiều cao trung bình thanh niên 18 tuổi (nam) đạt 1,65 m.
PHỤ LỤC. CÁC CHỈ TIÊU CHỦ YẾU
- Bảo hiểm y tế: 95%
- Tử vong trẻ dưới 1 tuổi: 11‰
- Bảo hiểm y tế: trên 95%
- Chiều cao nam 18 tuổi: 165 cm
"""
UNITS = {"%": "percent", "‰": "per_1000", "m": "m", "cm": "cm"}


@pytest.fixture()
def plan(tmp_path: Path) -> tuple[Source, Document]:
    path, sidecar = tmp_path / "thu-nghiem.txt", tmp_path / "thu-nghiem.yaml"
    path.write_text(PLAN, encoding="utf-8")
    sidecar.write_text("geo: Kon Tum\ntitle: Kế hoạch năm 2025\n", encoding="utf-8")
    sha = hashlib.sha256(PLAN.encode()).hexdigest()
    source = Source("thu-nghiem", path, sidecar, {}, "62", PLAN, sha, PLAN.count("\n"))
    return source, normalise(PLAN)


def fig(doc: Document, span: str, code: str, value: float | None, **changes: object) -> Figure:
    """A 2025 target at the first occurrence of ``span``; the figure as printed ends it."""
    start = doc.text.index(span)
    unit = next((u for u in sorted(UNITS, key=len, reverse=True) if span.endswith(u)), None)
    figure = Figure(
        indicator_code=code,
        year=2025,
        kind="target",
        is_estimate=False,
        comparator=None,
        value=value,
        value_reported=re.search(r"[\d,]+ ?\S*$", span).group(),
        unit_reported=unit,
        unit_code_reported=UNITS.get(unit or ""),
        label_reported=span,
        start=start,
        end=start + len(span),
        reader="prose",
    )
    return replace(figure, **changes)


def observations(plan: tuple[Source, Document], figures: list[Figure]) -> list[dict]:
    """The document's observations in line order, as dicts."""
    source, doc = plan
    obs, unmapped = observation_records(source, doc, Extraction(figures, [], []), CATALOG)
    assert unmapped == []
    rows = [dict(zip(OBSERVATION_COLUMNS, r, strict=True)) for r in obs]
    return sorted(rows, key=lambda r: r["line_start"])


def summary(rows: list[dict]) -> list[tuple[int, list[str]]]:
    return [(r["line_start"], r["flags"]) for r in rows]


def test_different_values_all_conflict_and_name_each_other(plan: tuple[Source, Document]) -> None:
    _, doc = plan
    rows = observations(
        plan,
        [
            fig(doc, "Tỷ suất tử vong trẻ em dưới 1 tuổi còn 12‰", INFANT, 12.0),
            fig(doc, "Tử vong trẻ dưới 1 tuổi: 11‰", INFANT, 11.0),
        ],
    )
    assert summary(rows) == [(3, ["conflict"]), (7, ["conflict"])]
    assert [r["value"] for r in rows] == [12.0, 11.0]  # both kept, neither chosen
    also = "conflict: the same document also states {} for this indicator and year"
    assert rows[0]["flag_detail"] == also.format("'11‰' (line 7)")
    assert rows[1]["flag_detail"] == also.format("'12‰' (line 3)")


def test_one_differing_value_makes_the_whole_group_conflict(
    plan: tuple[Source, Document],
) -> None:
    _, doc = plan
    rows = observations(
        plan,
        [
            fig(doc, "Tỷ lệ tham gia bảo hiểm y tế đạt 95%", INSURANCE, 95.0),
            fig(doc, "Bảo hiểm y tế: 95%", INSURANCE, 95.0),
            fig(doc, "Bảo hiểm y tế: trên 95%", INSURANCE, 96.0),  # misread, for the test
        ],
    )
    assert summary(rows) == [(2, ["conflict"]), (6, ["conflict"]), (8, ["conflict"])]
    assert "'95%' (line 6), '95%' (line 8)" in rows[0]["flag_detail"]
    assert "'95%' (line 2), '95%' (line 8)" in rows[1]["flag_detail"]


def test_an_equal_value_stated_again_is_restated(plan: tuple[Source, Document]) -> None:
    _, doc = plan
    rows = observations(
        plan,
        [
            fig(doc, "Tỷ lệ tham gia bảo hiểm y tế đạt 95%", INSURANCE, 95.0, comparator="="),
            fig(doc, "Bảo hiểm y tế: 95%", INSURANCE, 95.0, comparator="="),
            fig(doc, "Bảo hiểm y tế: trên 95%", INSURANCE, 95.0, comparator="="),
        ],
    )
    assert summary(rows) == [(2, []), (6, ["restated"]), (8, ["restated"])]
    assert rows[0]["flag_detail"] is None
    assert rows[1]["flag_detail"] == "restated: same figure first stated at line 2"
    assert rows[2]["flag_detail"] == "restated: same figure first stated at line 2"


def test_an_equal_value_with_another_comparator_is_two_flagged_statements(
    plan: tuple[Source, Document],
) -> None:
    """`trên 95%` and `đạt 95%` say different things: both kept, neither restates the other;
    a third statement repeating one of them (figure and comparator) restates it."""
    _, doc = plan
    rows = observations(
        plan,
        [
            fig(doc, "Tỷ lệ tham gia bảo hiểm y tế đạt 95%", INSURANCE, 95.0, comparator=">"),
            fig(doc, "Bảo hiểm y tế: 95%", INSURANCE, 95.0, comparator="="),
            fig(doc, "Bảo hiểm y tế: trên 95%", INSURANCE, 95.0, comparator="="),
        ],
    )
    assert summary(rows) == [
        (2, ["comparator_differs"]),
        (6, ["comparator_differs"]),
        (8, ["restated", "comparator_differs"]),
    ]
    assert rows[0]["flag_detail"] == (
        "comparator_differs: the same document also states this figure as "
        "'95%' with comparator '=' (line 6)"
    )
    assert rows[1]["flag_detail"] == (
        "comparator_differs: the same document also states this figure as "
        "'95%' with comparator '>' (line 2)"
    )
    assert rows[2]["flag_detail"].startswith("restated: same figure first stated at line 6; ")
    assert all(r["value"] == 95.0 for r in rows)  # nothing dropped, nothing changed


def test_values_are_compared_in_the_canonical_unit(plan: tuple[Source, Document]) -> None:
    """1,65 m and 165 cm are one figure stated twice, not a conflict."""
    _, doc = plan
    rows = observations(
        plan,
        [
            fig(doc, "Chiều cao trung bình thanh niên 18 tuổi (nam) đạt 1,65 m", HEIGHT, 1.65),
            fig(doc, "Chiều cao nam 18 tuổi: 165 cm", HEIGHT, 165.0),
        ],
    )
    assert summary(rows) == [(4, ["unit_converted"]), (9, ["restated"])]


def test_qualitative_targets_conflict_by_their_words(plan: tuple[Source, Document]) -> None:
    _, doc = plan

    def stated(span: str, words: str) -> Figure:
        return fig(doc, span, INSURANCE, None, qualitative=True, value_reported=words)

    first, second = "Bảo hiểm y tế: 95%", "Bảo hiểm y tế: trên 95%"
    same = observations(
        plan, [stated(first, "Bao phủ toàn dân"), stated(second, "Bao phủ toàn dân")]
    )
    assert summary(same) == [(6, ["qualitative"]), (8, ["qualitative", "restated"])]
    differ = observations(plan, [stated(first, "Bao phủ toàn dân"), stated(second, "Duy trì")])
    assert summary(differ) == [(6, ["qualitative", "conflict"]), (8, ["qualitative", "conflict"])]
    assert "'Duy trì' (line 8)" in differ[0]["flag_detail"]


@pytest.mark.parametrize(
    "other",
    [
        pytest.param({"year": 2030}, id="another-year"),
        pytest.param({"kind": "actual"}, id="another-kind"),
        pytest.param({"indicator_code": "under5_mortality_rate"}, id="another-indicator"),
        pytest.param({"condition": "vùng khó khăn"}, id="a-condition"),
    ],
)
def test_figures_that_differ_in_their_key_do_not_conflict(
    plan: tuple[Source, Document], other: dict
) -> None:
    """A figure for another year, kind or indicator, or one under a stated condition, is
    another figure: different values there are no conflict."""
    _, doc = plan
    rows = observations(
        plan,
        [
            fig(doc, "Tỷ suất tử vong trẻ em dưới 1 tuổi còn 12‰", INFANT, 12.0),
            fig(doc, "Tử vong trẻ dưới 1 tuổi: 11‰", INFANT, 11.0, **other),
        ],
    )
    assert summary(rows) == [(3, []), (7, [])]
