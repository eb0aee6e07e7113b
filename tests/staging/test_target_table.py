"""The Ministry of Health's target-indicator tables: one cell per line, blank cells."""

from __future__ import annotations

MINISTRY = (
    "User Yearbook User Yearbook\n"
    "\n"
    "1.1 - Chỉ tiêu mục tiêu\n"
    "\n"
    "Tên chỉ tiêu - Name of Indicators\n"
    "\n"
    "Thực hiện\n"
    "Implemented target 2019\n"
    "\n"
    "Mục tiêu đến năm 2025\n"
    "Target to 2025**\n"
    "\n"
    "1. Số bác sỹ cho 10000 dân Number of doctors per 10000 inhabitants\n"
    "\n"
    "8.6\n"
    "\n"
    "10\n"
    "\n"
    "2. Tỷ lệ TYT xã có hộ sinh hoặc YSSN (%) Percentage having midwife\n"
    "\n"
    "96.0\n"
    "\n"
    ">95\n"
    "\n"
    "3. Tỷ suất chết trẻ em<5 tuổi (%0) Under-five mortality rate (%0)\n"
    "\n"
    "21.4\n"
    "\n"
    "≥ 18.5\n"
    "\n"
    "4. Tỷ lệ hài lòng của người dân với dịch vụ y tế (%) Public satisfaction (%)\n"
    "\n"
    " \n"
    "\n"
    "> 80\n"
    "\n"
    "Trong đó: Số giường bệnh viện tư nhân trên 10000 dân In which: private beds\n"
    "\n"
    "2.10\n"
    "\n"
    "10%\n"
    "\n"
    "5. Quy mô dân số (triệu người) Population size (million persons)\n"
    "\n"
    "96.5\n"
    "\n"
    "104\n"
    "\n"
    "** Theo Nghị quyết số 20-NQ/TW ngày 25/10/2017\n"
)


def test_actual_and_target_columns_one_cell_per_line(read_page) -> None:
    ex, _doc = read_page(MINISTRY, "Việt Nam")
    got = {(f.indicator_code, f.year, f.kind): (f.comparator, f.value) for f in ex.figures}
    assert got == {
        ("doctors_per_10000", 2019, "actual"): (None, 8.6),  # decimal point
        ("doctors_per_10000", 2025, "target"): (None, 10.0),
        ("health_stations_with_midwife", 2019, "actual"): (None, 96.0),
        ("health_stations_with_midwife", 2025, "target"): (">", 95.0),
        ("under5_mortality_rate", 2019, "actual"): (None, 21.4),  # '<5' is no comparator
        ("under5_mortality_rate", 2025, "target"): (">=", 18.5),
        ("health_service_satisfaction", 2025, "target"): (">", 80.0),  # a blank cell first
    }
    assert {f.unit_code_reported for f in ex.figures if f.indicator_code.startswith("under5")} == {
        "per_1000"  # '%0' is per mille
    }
    assert {f.reader for f in ex.figures} == {"target_table"}


def test_a_row_printing_two_units_and_a_population_row_are_unmapped(read_page) -> None:
    ex, doc = read_page(MINISTRY, "Việt Nam")
    reasons = {doc.text[u.start : u.start + 12]: u.reason_code for u in ex.unmapped}
    assert reasons == {"Trong đó: Số": "mixed_units", "5. Quy mô dâ": "no_indicator"}
    assert not [f for f in ex.figures if f.value in (2.1, 96.5, 104.0, 2017.0, 20.0)]


def test_cells_that_cannot_be_matched_to_columns_are_unmapped(read_page) -> None:
    text = MINISTRY.replace("8.6\n\n10\n", "8.6\n\n10\n\n11\n")
    ex, _doc = read_page(text, "Việt Nam")
    assert not [f for f in ex.figures if f.indicator_code == "doctors_per_10000"]
    assert "cells_mismatch" in {u.reason_code for u in ex.unmapped}


WITHOUT_GAPS = """\
Thực hiện
Implemented target 2019
Thực hiện
Implemented target 2020
Mục tiêu đến năm 2025
Target to 2025
1. Số bác sĩ trên 10000 dân Number of doctors per 10000 inhabitants
8.6
8.9
10
2. Tuổi thọ trung bình (năm) Life expectancy at birth (year)
73.6
73.7
74.5
"""


def test_column_headers_and_cells_without_empty_lines_between(read_page) -> None:
    ex, _doc = read_page(WITHOUT_GAPS, "Việt Nam")
    assert {(f.indicator_code, f.year, f.kind): f.value for f in ex.figures} == {
        ("doctors_per_10000", 2019, "actual"): 8.6,
        ("doctors_per_10000", 2020, "actual"): 8.9,
        ("doctors_per_10000", 2025, "target"): 10.0,
        ("life_expectancy", 2019, "actual"): 73.6,
        ("life_expectancy", 2020, "actual"): 73.7,
        ("life_expectancy", 2025, "target"): 74.5,
    }
