"""Tables become figures: small synthetic CSVs in both shapes, as a compilation of cited figures
and as a statistics office's online database exports them, read through discover and
extract_one (the real catalog, units, geography and harmonisation)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from pipeline.extract import extract_one
from pipeline.reference import GeoResolver
from pipeline.settings import REFERENCE_DIR
from pipeline.sources import discover
from tests.sources.test_tabular import LONG_HEADER, LONG_SIDECAR, PXWEB, PXWEB_SIDECAR, write

RESOLVER = GeoResolver.of(REFERENCE_DIR)


def read(raw: Path):
    """Observations and unmapped rows of the one source in ``raw``, as DataFrames."""
    (source,) = discover(raw, RESOLVER)
    res = extract_one(source, REFERENCE_DIR)
    return source, res.observations, res.unmapped


def cited(place: str, label: str, value: str, unit: str, year: int = 2023, **kw) -> str:
    row = {
        "kind": "actual",
        "comparator": "=",
        "preliminary": "false",
        "instrument": "Niên giám thống kê (GSO), as cited",
        "published_as": "news article",
        "url": "https://example.org/page",
    } | kw
    return (
        f'"{place}","{label}",{year},{row["kind"]},{row["comparator"]},"{value}",{unit},'
        f'{row["preliminary"]},"{row["instrument"]}",{row["published_as"]},{row["url"]}'
    )


def long_raw(tmp_path: Path, *rows: str, sidecar: str = LONG_SIDECAR, newline="\n") -> Path:
    table = "\n".join([LONG_HEADER, *rows]) + "\n"
    return write(tmp_path / "raw", "cited", table, sidecar, newline)


# ------------------------------------------------------------------------------ long tables


@pytest.mark.parametrize(
    ("printed", "code"),
    [
        ("Việt Nam", "VN"),
        ("Toàn quốc", "VN"),
        ("Cả nước", "VN"),
        ("whole country", "VN"),
        ("Kon Tum", "62"),
        ("tỉnh Kon Tum", "62"),
        ("TP. Hồ Chí Minh", "79"),
        ("Bà Rịa - Vũng Tàu", "77"),
        ("Bà Rịa-Vũng Tàu", "77"),
        ("Bà Rịa – Vũng Tàu", "77"),
        ("Thừa Thiên Huế", "46"),  # the former name of Huế
        ("Hoà Bình", "17"),
        ("Hòa Bình", "17"),
        ("Tam Đường, Lai Châu", "106"),  # a district: a national compilation may name any place
    ],
)
def test_places_as_printed(tmp_path, printed, code):
    raw = long_raw(tmp_path, cited(printed, "Tuổi thọ trung bình", "70.1", "years"))
    _s, obs, _u = read(raw)
    assert obs[["geo_code", "place_reported"]].values.tolist() == [[code, printed]]


def test_a_long_row_keeps_its_line_its_text_and_its_citation(tmp_path):
    rows = [
        cited(
            "Kon Tum", "Tuổi thọ trung bình tính từ lúc sinh", "69.7", "years", preliminary="true"
        ),
        cited("Việt Nam", "Bác sĩ/vạn dân", "10", "per_10000", 2025, kind="target"),
        cited(
            "Việt Nam",
            "Tỷ suất tử vong trẻ dưới 5 tuổi",
            "18.5",
            "‰",
            2025,
            kind="target",
            comparator="<",
            instrument="Quyết định 1493/QĐ-TTg",
        ),
    ]
    raw = long_raw(tmp_path, *rows, newline="\r\n")  # as a spreadsheet saves it
    source, obs, unm = read(raw)
    assert unm.empty
    text = source.text
    for r in obs.itertuples():
        assert r.quote in text and r.quote == rows[r.line_start - 2]
        assert r.line_start == r.line_end and r.reader == "csv_long"
        assert r.cited_url == "https://example.org/page"
    le, doctors, u5 = (
        obs[obs.indicator_code == c].iloc[0]
        for c in ("life_expectancy", "doctors_per_10000", "under5_mortality_rate")
    )
    assert (le.value, le.is_estimate, list(le["flags"])) == (69.7, True, ["preliminary"])
    assert not le["official_statistics"]  # the sidecar names no official instruments
    assert (doctors.kind, doctors.year, doctors.comparator, doctors.value) == (
        "target",
        2025,
        "=",
        10,
    )
    assert (u5.comparator, u5.unit_code, u5.unit_reported) == ("<", "per_1000", "‰")
    assert u5.cited_instrument == "Quyết định 1493/QĐ-TTg"


def test_a_rows_instrument_makes_it_official_statistics(tmp_path):
    sidecar = LONG_SIDECAR + "  official_instruments: [Niên giám thống kê]\n"
    raw = long_raw(
        tmp_path,
        cited("Kon Tum", "Tuổi thọ trung bình", "69.7", "years"),
        cited("Kon Tum", "Tuổi thọ trung bình", "69.7", "years", 2022, instrument="Bộ Y tế"),
        sidecar=sidecar,
    )
    _s, obs, _u = read(raw)
    assert obs.sort_values("year")["official_statistics"].tolist() == [False, True]


def test_labels_and_units_as_the_catalog_and_units_know_them(tmp_path):
    raw = long_raw(
        tmp_path,
        cited("Việt Nam", "Tỉ lệ giường bệnh tư nhân", "15", "percent_of_beds", 2030),  # alias
        cited("Việt Nam", "Giường bệnh trên 1 vạn dân", "35", "per_10000", 2030),  # rate column
        cited("Việt Nam", "Chiều cao trung bình nam 18 tuổi", "1.68", "m", 2030),  # converted
        cited("Việt Nam", "Tỷ suất tử vong trẻ sơ sinh", "9", "per_1000", 2025),  # not in catalog
        # a share of provinces reads as under-5 mortality (per 1,000): a different measure
        cited(
            "Việt Nam", "Tỷ lệ tỉnh đưa mục tiêu giảm tử vong trẻ em dưới 5 tuổi", "100", "percent"
        ),
        # beds counted, not per 10,000: the unit column is deliberate
        cited("Việt Nam", "Số giường bệnh/10.000 dân", "5130", "count"),
    )
    _s, obs, unm = read(raw)
    got = dict(zip(obs.indicator_code, zip(obs["value"], obs["flags"], strict=True), strict=True))
    assert got["private_hospital_beds_share"][0] == 15
    assert got["hospital_beds_per_10000"][0] == 35
    assert got["height_18_male"][0] == pytest.approx(168)
    assert "unit_converted" in got["height_18_male"][1]
    assert unm.set_index("line_start")["reason_code"].to_dict() == {
        5: "no_indicator",
        6: "unit_mismatch",
        7: "unit_mismatch",
    }
    assert "under5_mortality_rate" in unm.set_index("line_start").loc[6, "reason"]


def test_instruments_that_differ_are_two_statements_not_a_conflict(tmp_path):
    raw = long_raw(
        tmp_path,
        cited("Việt Nam", "Bác sĩ/vạn dân", "10", "per_10000", 2025, kind="target", instrument="A"),
        cited(
            "Việt Nam",
            "Bác sĩ trên 10.000 dân",
            "15",
            "per_10000",
            2025,
            kind="target",
            instrument="B",
            url="https://example.org/b",
        ),
        cited(
            "Việt Nam",
            "Số bác sĩ/10.000 dân",
            "15",
            "per_10000",
            2025,
            kind="target",
            instrument="C",
            url="https://example.org/c",
        ),
        # the same instrument and page twice, differently: that page contradicts itself
        cited("Việt Nam", "Bác sĩ/vạn dân", "11", "per_10000", 2030, kind="target"),
        cited("Việt Nam", "Bác sĩ/vạn dân", "12", "per_10000", 2030, kind="target"),
    )
    _s, obs, _u = read(raw)
    flags = {(r.year, r.cited_instrument, r.value): list(r.flags) for r in obs.itertuples()}
    assert flags[(2025, "A", 10)] == ["instruments_differ"]
    assert flags[(2025, "B", 15)] == ["instruments_differ"] == flags[(2025, "C", 15)]
    detail = obs.loc[obs.cited_instrument == "A", "flag_detail"].iloc[0]
    assert "'15' (B, line 3)" in detail and "'15' (C, line 4)" in detail
    assert flags[(2030, "Niên giám thống kê (GSO), as cited", 11)] == ["conflict"]


def test_a_decomposed_table_quotes_its_raw_bytes(tmp_path):
    row = unicodedata.normalize("NFD", cited("Kon Tum", "Tuổi thọ trung bình", "69.7", "years"))
    raw = long_raw(tmp_path, row)
    source, obs, _u = read(raw)
    assert obs["quote"].tolist() == [row] and row in source.text
    assert obs["label_reported"].tolist() == ["Tuổi thọ trung bình"]  # composed for reading


# ------------------------------------------------------------------------------ wide tables


def test_a_pxweb_export_by_place_and_year(tmp_path):
    raw = write(tmp_path / "raw", "gso", PXWEB, PXWEB_SIDECAR)
    source, obs, unm = read(raw)
    got = {(r.geo_code, r.year): (r.value, list(r.flags)) for r in obs.itertuples()}
    assert got == {
        ("VN", 2021): (73.6, []),
        ("VN", 2022): (73.6, []),
        ("VN", 2023): (74.5, ["preliminary"]),  # 'Sơ bộ 2023'
        ("62", 2021): (67.9, []),  # '..' in 2022: no figure
        ("62", 2023): (69.7, ["preliminary"]),
        ("77", 2021): (76.1, []),
        ("77", 2022): (76.2, []),
        ("77", 2023): (76.4, ["preliminary"]),
    }
    assert set(obs["indicator_code"]) == {"life_expectancy"}  # from the title line
    assert set(obs["reader"]) == {"csv_wide"} and obs["official_statistics"].all()
    assert set(obs["cited_instrument"]) == {"Niên giám thống kê (bảng trực tuyến)"}
    assert set(obs["cited_url"]) == {"https://pxweb.example.org/table"}
    kt = obs[obs.geo_code == "62"]
    assert set(kt["quote"]) == {'"Kon Tum";67,9;..;69,7'} and set(kt["line_start"]) == {6}
    assert set(kt["place_reported"]) == {"Kon Tum"}
    assert all(q in source.text for q in obs["quote"])
    assert unm[["line_start", "reason_code"]].values.tolist() == [[5, "not_a_place"]]


def test_an_export_with_indicators_by_row_a_unit_column_and_year_kinds(tmp_path):
    table = (
        "Chỉ tiêu,Đơn vị tính,Thực hiện 2023,Ước 2024,Kế hoạch 2025\n"
        "Số bác sĩ/10.000 dân,Bác sĩ/vạn dân,10.5,11.0,11.5\n"
        '"Tỷ lệ dân số tham gia bảo hiểm y tế",%,"93,46",-,95\n'
        "Số hộ nghèo,hộ,1.200,1.100,1.000\n"
    )
    sidecar = (
        "geo: Kon Tum\ntitle: Chỉ tiêu y tế\nurl: https://example.org/kt\n"
        "table:\n  shape: wide\n  rows: indicators\n  unit_column: Đơn vị tính\n  decimal: '.'\n"
    )
    raw = write(tmp_path / "raw", "kt", table.replace('"93,46"', "93.46"), sidecar)
    _s, obs, unm = read(raw)
    got = {(r.indicator_code, r.year): (r.kind, r.is_estimate, r.value) for r in obs.itertuples()}
    assert got == {
        ("doctors_per_10000", 2023): ("actual", False, 10.5),
        ("doctors_per_10000", 2024): ("actual", True, 11.0),
        ("doctors_per_10000", 2025): ("target", False, 11.5),
        ("health_insurance_coverage", 2023): ("actual", False, 93.46),
        ("health_insurance_coverage", 2025): ("target", False, 95),
    }
    assert set(obs["geo_code"]) == {"62"} and obs["place_reported"].isna().all()
    assert unm[["line_start", "reason_code"]].values.tolist() == [[4, "no_indicator"]]
