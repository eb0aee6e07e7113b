"""Quote-checked corrections (``<source_id>.corrections.yaml``) applied to a document's rows:
``override`` sets values, ``drop`` moves the row to ``unmapped``, ``flag`` only flags; a
correction that is not active does nothing, and one that matches no row stops the build."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from pipeline.errors import InputError
from pipeline.harmonise import OBSERVATION_COLUMNS, UNMAPPED_COLUMNS, observation_records
from pipeline.reference import load_catalog
from pipeline.settings import REFERENCE_DIR, relative
from pipeline.sources import Source
from pipeline.staging import Extraction, Figure
from pipeline.text import normalise

CATALOG = load_catalog(REFERENCE_DIR)
SOURCE_ID = "thu-nghiem-2025"

PLAN = """\
KẾ HOẠCH Y TẾ NĂM 2025
Tỷ lệ tham gia bảo hiểm y tế\t%\t92\t95
Tỷ suất tử vong trẻ em dưới 1 tuổi còn 120‰.
Số bác sĩ trên 10.000 dân đạt 9 bác sĩ.
"""
INSURANCE_ROW = "Tỷ lệ tham gia bảo hiểm y tế\t%\t92\t95"  # line 2: 2023 actual, 2025 target
INFANT = "Tỷ suất tử vong trẻ em dưới 1 tuổi còn 120‰"  # line 3: a misprint of 12
DOCTORS = "Số bác sĩ trên 10.000 dân đạt 9 bác sĩ"  # line 4


def figure(span: str, code: str, value: float, printed: str, year: int, kind: str) -> Figure:
    start = PLAN.index(span)
    return Figure(
        indicator_code=code,
        year=year,
        kind=kind,
        is_estimate=False,
        comparator=None,
        value=value,
        value_reported=printed,
        unit_reported=None,
        unit_code_reported=None,
        label_reported=span,
        start=start,
        end=start + len(span),
        reader="tsv_table" if "\t" in span else "prose",
    )


FIGURES = [
    figure(INSURANCE_ROW, "health_insurance_coverage", 92.0, "92", 2023, "actual"),
    figure(INSURANCE_ROW, "health_insurance_coverage", 95.0, "95", 2025, "target"),
    figure(INFANT, "infant_mortality_rate", 120.0, "120‰", 2025, "target"),
    figure(DOCTORS, "doctors_per_10000", 9.0, "9 bác sĩ", 2025, "target"),
]


def harmonise(tmp_path: Path, *corrections: dict) -> tuple[dict[tuple, dict], list[dict]]:
    """Observations by (indicator, year) and unmapped rows of PLAN with ``corrections``.

    The corrections are written to the document's corrections file and given the ``id`` and
    ``status`` that loading them (``pipeline.sources``) gives them by default.
    """
    path = tmp_path / f"{SOURCE_ID}.txt"
    path.write_text(PLAN, encoding="utf-8")
    sidecar = tmp_path / f"{SOURCE_ID}.yaml"
    sidecar.write_text("geo: Kon Tum\ntitle: Kế hoạch y tế năm 2025\n", encoding="utf-8")
    corrections_path = tmp_path / f"{SOURCE_ID}.corrections.yaml"
    items = [
        {"id": f"{SOURCE_ID}#{i}", "status": "active", **c} for i, c in enumerate(corrections, 1)
    ]
    corrections_path.write_text(yaml.safe_dump({"corrections": items}, allow_unicode=True))
    sha = hashlib.sha256(PLAN.encode()).hexdigest()
    source = Source(SOURCE_ID, path, sidecar, {}, "62", PLAN, sha, 4, corrections_path, items)
    obs, unm = observation_records(source, normalise(PLAN), Extraction(FIGURES, [], []), CATALOG)
    rows = [dict(zip(OBSERVATION_COLUMNS, r, strict=True)) for r in obs]
    return (
        {(r["indicator_code"], r["year"]): r for r in rows},
        [dict(zip(UNMAPPED_COLUMNS, u, strict=True)) for u in unm],
    )


def untouched(row: dict) -> bool:
    return row["flags"] == [] and row["correction_ids"] == []


def test_without_corrections_every_figure_is_an_observation(tmp_path: Path) -> None:
    rows, unmapped = harmonise(tmp_path)
    assert len(rows) == 4 and all(untouched(r) for r in rows.values())
    assert unmapped == []


def test_override_sets_the_values_and_says_why(tmp_path: Path) -> None:
    rows, unmapped = harmonise(
        tmp_path,
        {"quote": "còn 120‰", "action": "override", "set": {"value": 12}, "reason": "misprint"},
    )
    row = rows[("infant_mortality_rate", 2025)]
    assert row["value"] == 12
    assert row["value_reported"] == "120‰"  # what the document says stays on record
    assert row["flags"] == ["correction_applied"]
    assert row["flag_detail"] == "correction_applied (override): misprint"
    assert row["correction_ids"] == [f"{SOURCE_ID}#1"]
    assert untouched(rows[("doctors_per_10000", 2025)])
    assert unmapped == []


def test_match_narrows_a_quote_to_one_figure(tmp_path: Path) -> None:
    """One table row holds the 2023 actual and the 2025 target; ``match`` picks one."""
    rows, _ = harmonise(
        tmp_path,
        {
            "quote": "bảo hiểm y tế",
            "match": {"indicator": "health_insurance_coverage", "year": 2023, "kind": "actual"},
            "action": "override",
            "set": {"value": 93.5},
            "reason": "final figure published later",
        },
    )
    assert rows[("health_insurance_coverage", 2023)]["value"] == 93.5
    assert rows[("health_insurance_coverage", 2025)]["value"] == 95.0
    assert untouched(rows[("health_insurance_coverage", 2025)])


def test_drop_moves_the_row_to_unmapped(tmp_path: Path) -> None:
    rows, unmapped = harmonise(
        tmp_path, {"quote": DOCTORS, "action": "drop", "reason": "training target, not density"}
    )
    assert ("doctors_per_10000", 2025) not in rows
    assert len(rows) == 3
    assert unmapped == [
        {
            "source_id": SOURCE_ID,
            "line_start": 4,
            "line_end": 4,
            "text": DOCTORS,
            "reason": "correction_applied (drop): training target, not density",
            "reason_code": "dropped_by_correction",
        }
    ]


def test_flag_keeps_the_row_as_it_is(tmp_path: Path) -> None:
    rows, unmapped = harmonise(
        tmp_path, {"quote": "9 bác sĩ", "action": "flag", "reason": "denominator unclear"}
    )
    row = rows[("doctors_per_10000", 2025)]
    assert row["value"] == 9.0
    assert row["flags"] == ["correction_applied"]
    assert row["flag_detail"] == "correction_applied (flag): denominator unclear"
    assert row["correction_ids"] == [f"{SOURCE_ID}#1"]
    assert unmapped == []


@pytest.mark.parametrize("status", ["retired", "proposed"])
def test_a_correction_that_is_not_active_does_nothing(tmp_path: Path, status: str) -> None:
    rows, unmapped = harmonise(
        tmp_path,
        {"quote": DOCTORS, "action": "drop", "reason": "r", "status": status},
        {"quote": "no such text", "action": "flag", "reason": "r", "status": status},
    )
    assert len(rows) == 4 and all(untouched(r) for r in rows.values())
    assert unmapped == []


def test_a_correction_matching_no_row_names_its_file(tmp_path: Path) -> None:
    """The quote occurs in the document (loading checked that) but in no observation's quote,
    or ``match`` rules every row out: the correction is stale, and the build must stop."""
    stale = {"quote": "120‰", "match": {"year": 2030}, "action": "flag", "reason": "r"}
    with pytest.raises(
        InputError,
        match=rf"{SOURCE_ID}\.corrections\.yaml: correction {SOURCE_ID}#1: matches no observation",
    ):
        harmonise(tmp_path, stale)


def test_a_stale_correction_names_the_file_where_it_is(tmp_path: Path) -> None:
    stale = {"quote": "120‰", "match": {"year": 2030}, "action": "flag", "reason": "r"}
    with pytest.raises(InputError) as raised:
        harmonise(tmp_path, stale)
    where = relative(tmp_path / f"{SOURCE_ID}.corrections.yaml")
    assert str(raised.value).startswith(f"{where}: correction {SOURCE_ID}#1")


def test_an_override_of_an_unknown_column_is_refused(tmp_path: Path) -> None:
    typo = {"quote": "còn 120‰", "action": "override", "set": {"valeu": 12}, "reason": "misprint"}
    with pytest.raises(InputError, match=r"valeu"):
        harmonise(tmp_path, typo)
