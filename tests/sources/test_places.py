"""The map a document names its places on: issued on or after 1 July 2025, on the 34 provinces
since the reform (new Gia Lai is 2025:52, not the old Gia Lai 64 nor Bình Định 52); before it,
or without a date, on the map before it; a date that does not say which stops the build."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipeline.errors import InputError
from pipeline.extract import extract_one
from pipeline.reference import GeoResolver
from pipeline.settings import REFERENCE_DIR
from pipeline.sources import discover
from pipeline.sources.places import document_map
from tests.helpers import quiet_build
from tests.sources.test_tabular import write

RESOLVER = GeoResolver.of(REFERENCE_DIR)
PLAN = (
    "KẾ HOẠCH\nBảo vệ, chăm sóc sức khỏe Nhân dân năm 2026\n\n"
    "1. Mục tiêu đến năm 2026:\n"
    "- Đạt 12 bác sĩ/vạn dân.\n"
    "- Tỷ lệ dân số tham gia bảo hiểm y tế đạt 96%.\n"
)


def plan(raw: Path, sidecar: str, name: str = "plan") -> Path:
    raw.mkdir(parents=True, exist_ok=True)
    (raw / f"{name}.txt").write_text(PLAN, encoding="utf-8")
    (raw / f"{name}.yaml").write_text(sidecar, encoding="utf-8")
    return raw


@pytest.mark.parametrize(
    ("issued", "map_"),
    [
        (None, "before_2025_07"),
        ("2024", "before_2025_07"),
        ("2025-06", "before_2025_07"),
        ("2025-06-30", "before_2025_07"),
        ("2025-07", "from_2025_07"),
        ("2025-07-01", "from_2025_07"),
        ("2026", "from_2025_07"),
    ],
)
def test_the_issue_date_decides_the_map(issued, map_):
    assert document_map({} if issued is None else {"issued_on": issued}) == map_


@pytest.mark.parametrize(("issued", "code"), [("2025-09-15", "2025:52"), ("2025-06-01", "64")])
def test_gia_lai_is_the_province_of_the_documents_map(tmp_path, issued, code):
    raw = plan(tmp_path / "raw", f"geo: Gia Lai\ntitle: Kế hoạch năm 2026\nissued_on: {issued}\n")
    (source,) = discover(raw, RESOLVER)
    assert source.geo_code == code
    obs = extract_one(source, REFERENCE_DIR).observations
    assert len(obs) == 2 and set(obs["geo_code"]) == {code}


def test_a_year_that_straddles_the_reform_stops_the_build(tmp_path):
    raw = plan(tmp_path / "raw", "geo: Gia Lai\ntitle: Kế hoạch năm 2026\nissued_on: 2025\n")
    with pytest.raises(InputError, match=r"plan\.yaml: key 'issued_on': 2025 does not say"):
        discover(raw, RESOLVER)


@pytest.mark.parametrize(
    ("geo", "message"),
    [
        (
            "Kon Tum",
            r"'Kon Tum' is a province of the map before 2025-07-01 \(62 Kon Tum\), part "
            r"of Quảng Ngãi since then",
        ),
        ("Tam Đường", r"'Tam Đường' is a district .* part of Lai Châu since then.*no districts"),
    ],
)
def test_a_place_the_reform_merged_away_is_named_with_what_it_became(tmp_path, geo, message):
    raw = plan(tmp_path / "raw", f"geo: {geo}\ntitle: Kế hoạch năm 2026\nissued_on: 2026-01-05\n")
    with pytest.raises(InputError, match=rf"plan\.yaml: key 'geo': unknown geo .*{message}"):
        discover(raw, RESOLVER)


def test_a_document_issued_after_the_reform_may_say_it_names_the_old_map(tmp_path):
    """A 2025 report on 2024 results of Kon Tum province, issued in September: geo_map says
    the places are those before the reform."""
    sidecar = "geo: Kon Tum\ntitle: Báo cáo năm 2024\nissued_on: 2025-09-10\n"
    raw = plan(tmp_path / "raw", sidecar)
    with pytest.raises(InputError, match="geo_map: before_2025_07"):
        discover(raw, RESOLVER)
    plan(raw, sidecar + "geo_map: before_2025_07\n")
    assert discover(raw, RESOLVER)[0].geo_code == "62"
    plan(raw, sidecar + "geo_map: 2008\n")
    with pytest.raises(InputError, match=r"plan\.yaml: key 'geo_map' must be one of"):
        discover(raw, RESOLVER)


def test_rows_of_a_table_issued_after_the_reform_are_read_on_the_new_map(tmp_path):
    """A national table of 2026 names new provinces; a validated build files them under the
    new map's codes, and the gate checks each document's place is on its own map."""
    table = (
        '"Tỷ lệ dân số tham gia bảo hiểm y tế theo tỉnh"\n'
        '"Tỉnh, thành phố";"Kế hoạch 2026"\n"Gia Lai";95,5\n"Quảng Ngãi";96\n'
    )
    sidecar = (
        "geo: Việt Nam\ntitle: Chỉ tiêu 2026\nissued_on: 2026-01-05\n"
        "url: https://example.org/2026\ntable: {shape: wide, rows: places, unit: '%'}\n"
    )
    raw = write(tmp_path / "raw", "targets-2026", table, sidecar)
    plan(raw, "geo: Gia Lai\ntitle: Kế hoạch năm 2026\nissued_on: 2025-09-15\n")
    out, cache = tmp_path / "curated", tmp_path / "cache"
    quiet_build(raw, out, cache)  # the gate runs
    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    rows = con.execute(
        """SELECT o.geo_code, g.name_vi, g.map, o.kind, o.value FROM observation o
           JOIN geo g USING (geo_code) WHERE o.source_id = 'targets-2026' ORDER BY 1"""
    ).fetchall()
    assert rows == [
        ("2025:51", "Quảng Ngãi", "from_2025_07", "target", 96.0),
        ("2025:52", "Gia Lai", "from_2025_07", "target", 95.5),
    ]
    assert con.execute(
        "SELECT source_id, geo_code, geo_map FROM source_document ORDER BY 1"
    ).fetchall() == [
        ("plan", "2025:52", "from_2025_07"),
        ("targets-2026", "VN", "from_2025_07"),
    ]
    # the plan's 2026 target is measured against nothing of the old Gia Lai
    assert con.execute("SELECT DISTINCT status FROM gap WHERE geo_code = '2025:52'").fetchall() == [
        ("no_baseline",)
    ]
