"""Tables of one year whose columns are categories (kinds of facility, owners)."""

from __future__ import annotations

FACILITIES = """\
238. Số cơ sở y tế năm 2019 phân theo huyện/thành phố thuộc tỉnh
Number of health establishments in 2019 by district
ĐVT: Cơ sở
- Unit: Establishment
Tổng số
Total
Bệnh viện
Phòng khám
khu vực
Trạm y tế xã,
phường
Hospital
Regional
polyclinic
Commune
health stations
TỔNG SỐ -
TOTAL
225
20
4
184
I. Khu vực đồng bằng
Plain districts
143
13
2
114
1. TP. Quảng Ngãi
38
6
1
23
2. Huyện Bình Sơn
28
2
-
25
9. Huyện Tây Trà
10
1
-
9
* Ghi chú: Trong 184 trạm y tế có 1 trạm của cơ quan
347
"""


def test_places_by_row_and_a_column_per_kind_of_facility(read_page) -> None:
    ex, doc = read_page(FACILITIES, "Quảng Ngãi")
    got = {(f.geo_code, f.indicator_code): f.value for f in ex.figures}
    assert got == {
        ("51", "health_establishments_total"): 225.0,  # 'Tổng số': the title's indicator
        ("51", "hospitals_total"): 20.0,
        ("51", "commune_health_stations_total"): 184.0,
        ("522", "health_establishments_total"): 38.0,  # the city, not the province
        ("522", "hospitals_total"): 6.0,
        ("522", "commune_health_stations_total"): 23.0,
        ("524", "health_establishments_total"): 28.0,
        ("524", "hospitals_total"): 2.0,
        ("524", "commune_health_stations_total"): 25.0,
    }
    assert {f.year for f in ex.figures} == {2019} and {f.kind for f in ex.figures} == {"actual"}
    reasons = sorted(u.reason_code for u in ex.unmapped)
    assert reasons.count("unplaced") == 2  # a group of districts; a district merged away
    assert "no_indicator" in reasons  # regional polyclinics: no catalog indicator
    note = doc.text.index("* Ghi chú")
    assert not [f for f in ex.figures if f.start >= note]  # the footnote's numbers


OWNERS = """\
275. Nhân lực y tế năm 2023 phân theo loại hình kinh tế
Health staffs in 2023 by types of ownership
                                                        Người - Person
                         Tổng số         Chia ra - Of which
                          Total      Nhà nước    Ngoài Nhà nước
                                      State        Non-state
Bác sĩ - Doctor                       1206      1012       194
Dƣợc tá - Assistant pharmacist          92        30        62
Giường bệnh (Giường) - Patient beds (Bed)   5640   5100   540
Bệnh viện - Hospital                  4800      4300       500
"""


def test_indicators_by_row_and_a_column_per_owner(read_page) -> None:
    """Only the total is an indicator; the owners' parts, and beds in hospitals, are not."""
    ex, doc = read_page(OWNERS, "Bình Định")
    assert {(f.indicator_code, f.year): f.value for f in ex.figures} == {
        ("doctors_total", 2023): 1206.0,
        ("patient_beds_total", 2023): 5640.0,
    }
    reasons = {doc.text[u.start : u.start + 9]: u.reason_code for u in ex.unmapped}
    assert reasons["Bệnh viện"] == "part_of_row"
    assert reasons["Dược tá -"] == "no_indicator"


PLAN = """\
Phụ lục: Chỉ tiêu năm 2024
ĐVT: %
Tổng số   Kế hoạch   Thực hiện
Tỷ lệ tiêm chủng đầy đủ   95   96   97
Tỷ lệ sinh tại cơ sở y tế   98   99   99
"""


def test_a_plan_table_is_no_statistics_table(read_page) -> None:
    ex, _doc = read_page(PLAN, "Lai Châu")
    assert "category_table" not in {f.reader for f in ex.figures}


BEDS_BY_FACILITY = """\
248   Số giường bệnh năm 2022 phân theo huyện/thành phố
      Number of patient beds in 2022 by district
                                                             ĐVT: Giường - Unit: Bed
                                Tổng số      Bệnh viện     Trạm y tế
                                                           xã, phường
                                Total        Hospital      Medical
                                                           service units
TỔNG SỐ - TOTAL                  2.845        2.310           490
Thành phố Kon Tum - Kon Tum city  1.905        1.750           155
Huyện Đắk Glei - Dak Glei district  120           80            25
"""


def test_a_kind_of_facility_under_a_beds_title_counts_beds(read_page) -> None:
    """Under a title counting beds, the 'Bệnh viện' and 'Trạm y tế' columns hold beds in them:
    no hospitals_total of 2,310 (which would stop the build), no stations; the total row in two
    languages is the province."""
    ex, _doc = read_page(BEDS_BY_FACILITY, "Kon Tum")
    got = {(f.geo_code, f.indicator_code): f.value for f in ex.figures}
    assert got == {
        ("62", "patient_beds_total"): 2845.0,
        ("608", "patient_beds_total"): 1905.0,
        ("610", "patient_beds_total"): 120.0,
    }
    assert {u.reason_code for u in ex.unmapped} == {"no_indicator"}


TWO_TABLES = """\
247   Số bác sĩ bình quân 1 vạn dân phân theo huyện/thành phố
                                                    Đơn vị tính - Unit: Người - Person
                                  2020      2021     Sơ bộ - Prel. 2022
TOÀN TỈNH - WHOLE PROVINCE        9,40      9,85      10,12
Thành phố Kon Tum - Kon Tum city 18,95     19,60      20,05

248   Số giường bệnh năm 2022 phân theo huyện/thành phố
                                                             ĐVT: Giường - Unit: Bed
                                Tổng số      Bệnh viện     Trạm y tế
TỔNG SỐ - TOTAL                  2.845        2.310           490
Thành phố Kon Tum - Kon Tum city  1.905        1.750           155
"""


def test_the_next_tables_unit_line_ends_a_table(read_page) -> None:
    """A table of three year columns, then one of three category columns: the second table's
    rows are never the first's years (2,845 doctors per 10,000 would stop the build)."""
    ex, _doc = read_page(TWO_TABLES, "Kon Tum")
    doctors = {
        (f.geo_code, f.year): f.value for f in ex.figures if f.indicator_code == "doctors_per_10000"
    }
    assert doctors == {
        ("62", 2020): 9.40,
        ("62", 2021): 9.85,
        ("62", 2022): 10.12,
        ("608", 2020): 18.95,
        ("608", 2021): 19.60,
        ("608", 2022): 20.05,
    }
    beds = {f.geo_code: f.value for f in ex.figures if f.indicator_code == "patient_beds_total"}
    assert beds == {"62": 2845.0, "608": 1905.0}
