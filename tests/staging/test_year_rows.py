"""Tables with a row per year, split by sex or residence or with a column per indicator."""

from __future__ import annotations

from pipeline.staging import Context, extract
from pipeline.text import normalise
from tests.staging.conftest import CAT, PLACES

BY_SEX = """\
Infant mortality rate by sex

             ĐVT: Trẻ em dưới một tuổi tử vong/1000 trẻ sinh sống
             Unit: Infant deaths per 1000 live births
                              Chia ra - Of which
             Tổng số
               Total
                              Nam - Male
                                             Nữ - Female
     23. Tỷ suất chết của trẻ em dưới một tuổi phân theo giới tính

          2015            38,9            43,8           33,7
          2018            35,9            40,6           30,9
     Sơ bộ - Prel 2019    35,1            39,4           30,5

                                         Dân số và lao động   60
   55   56   57   58   59   60   61
"""


def by_key(ex):
    return {(f.indicator_code, f.year, f.sex, f.residence): f for f in ex.figures}


def test_sex_columns_with_the_english_title_first(read_page) -> None:
    ex, _doc = read_page(BY_SEX, "Điện Biên")
    got = by_key(ex)
    assert got[("infant_mortality_rate", 2015, "total", "total")].value == 38.9
    assert got[("infant_mortality_rate", 2015, "male", "total")].value == 43.8
    assert got[("infant_mortality_rate", 2015, "female", "total")].value == 33.7
    assert len(ex.figures) == 9
    prelim = [f for f in ex.figures if f.year == 2019]
    assert all(f.preliminary for f in prelim) and len(prelim) == 3
    assert {f.kind for f in ex.figures} == {"actual"}
    assert not [f for f in ex.figures if f.value in (60, 2019, 23)]  # footer, year, number


YEAR_COLUMN = """\
Tỷ suất chết của trẻ em dưới 5 tuổi phân theo giới tính
Đơn vị tính - Unit: ‰
Năm - Year        Tổng số - Total        Nam - Male        Nữ - Female
2020              29,9                   34,0              25,6
2021              29,5                   33,6              25,2
"""


def test_a_year_column_header_is_not_the_male_column(read_page) -> None:
    """'Năm' (year) and 'Nam' (male) fold alike; the headers are compared with diacritics."""
    ex, _doc = read_page(YEAR_COLUMN, "Quảng Trị")
    assert {(f.year, f.sex): f.value for f in ex.figures} == {
        (2020, "total"): 29.9,
        (2020, "male"): 34.0,
        (2020, "female"): 25.6,
        (2021, "total"): 29.5,
        (2021, "male"): 33.6,
        (2021, "female"): 25.2,
    }
    assert {f.indicator_code for f in ex.figures} == {"under5_mortality_rate"}


BLOCKS = """\
20. Tỷ suất sinh thô, tỷ suất chết thô và tỷ lệ tăng tự nhiên
Crude birth rate, crude death rate and natural increase rate
Tỷ suất sinh thô
Tỷ suất chết thô Tỷ lệ tăng tự nhiên
TӸ SUҨT CHUNG -
TOTAL
2019
15,64
7,70
7,94
Sơ bộ
- Prel
. 2020
15,02
7,85
7,17
Thành thị -
Urban
2019
14,80
6,95
7,85
Đơn vị tính
- Unit: ‰
27
"""


def test_indicator_columns_in_residence_blocks_and_a_label_split_over_three_lines(
    read_page,
) -> None:
    ex, _doc = read_page(BLOCKS, "Nam Định")
    got = by_key(ex)
    assert got[("crude_birth_rate", 2019, "total", "total")].value == 15.64
    assert got[("crude_death_rate", 2019, "total", "total")].value == 7.7
    assert got[("natural_increase_rate", 2020, "total", "total")].value == 7.17
    assert got[("natural_increase_rate", 2020, "total", "total")].preliminary
    assert got[("crude_birth_rate", 2019, "total", "urban")].value == 14.8
    assert len(ex.figures) == 9


CONTINUED = """\
25. (Tiếp theo) Tỷ suất sinh thô và tỷ suất chết thô phân theo thành thị, nông thôn
(Cont.) Crude birth rate and crude death rate by residence
                                                        ‰
                                  Tỷ suất sinh thô      Tỷ suất chết thô
                                  Crude birth rate      Crude death rate

Nông thôn - Rural

               2019          14,4              7,6

               2020          14,2              7,7
"""


def test_the_heading_above_the_first_row_of_a_continued_table_is_its_block(read_page) -> None:
    """A rural block after a page break is never read as the total."""
    ex, _doc = read_page(CONTINUED, "Thái Bình")
    assert {f.residence for f in ex.figures} == {"rural"}
    assert {(f.indicator_code, f.year): f.value for f in ex.figures} == {
        ("crude_birth_rate", 2019): 14.4,
        ("crude_death_rate", 2019): 7.6,
        ("crude_birth_rate", 2020): 14.2,
        ("crude_death_rate", 2020): 7.7,
    }


LAST_HEADER = """\
Tỷ suất chết của trẻ em dưới 1 tuổi
Tổng số
Nam
Nữ
2020 13,0 14,1 11,8
2021 12,8 13,9 11,6
"""


def test_the_last_column_header_is_not_a_block_heading(read_page) -> None:
    ex, _doc = read_page(LAST_HEADER, "Hà Tĩnh")
    assert {(f.year, f.sex) for f in ex.figures} == {
        (y, s) for y in (2020, 2021) for s in ("total", "male", "female")
    }


def test_cells_that_do_not_fit_the_columns_are_unmapped(read_page) -> None:
    ex, _doc = read_page(LAST_HEADER.replace("2021 12,8 13,9 11,6", "2021 12,8 13,9"), "Hà Tĩnh")
    assert {f.year for f in ex.figures} == {2020}
    assert [u.reason_code for u in ex.unmapped] == ["cells_mismatch"]


FACILITY_COLUMNS = """\
266   Số cơ sở khám, chữa bệnh
      Number of health establishments
                                                              Cơ sở - Establishment
                      Tổng số         Chia ra - Of which
                      Total       Bệnh viện    Phòng khám đa khoa    Trạm y tế xã,
                                               khu vực               phường
                                  Hospital     Regional polyclinic   Medical service units
      2020            13.539        1.085          546                11.863
Sơ bộ - Prel. 2021    13.512        1.102          510                11.856

267   Số giường bệnh
      Number of patient beds
                                                              Giường - Bed
                      Tổng số         Chia ra - Of which
                      Total       Bệnh viện    Phòng khám đa khoa    Trạm y tế xã,
                                               khu vực               phường
                                  Hospital     Regional polyclinic   Medical service units
      2020           283.900      234.700        5.100               33.700
Sơ bộ - Prel. 2021   291.200      241.900        4.900               34.000
"""


def test_columns_of_kinds_of_facility_under_a_title_naming_a_count(read_page) -> None:
    """Years by row, a column per kind of facility: under establishments 'Bệnh viện' counts
    hospitals; under beds it counts beds (never 234,700 hospitals, nor a 'giường bệnh viện'
    density); 'Tổng số' is the title's indicator; polyclinics name none."""
    ex, _doc = read_page(FACILITY_COLUMNS, "Việt Nam")
    got = {(f.indicator_code, f.year): f.value for f in ex.figures}
    assert got == {
        ("health_establishments_total", 2020): 13539.0,
        ("health_establishments_total", 2021): 13512.0,
        ("hospitals_total", 2020): 1085.0,
        ("hospitals_total", 2021): 1102.0,
        ("commune_health_stations_total", 2020): 11863.0,
        ("commune_health_stations_total", 2021): 11856.0,
        ("patient_beds_total", 2020): 283900.0,
        ("patient_beds_total", 2021): 291200.0,
    }
    assert {u.reason_code for u in ex.unmapped} == {"no_indicator"}


NUMBERED_TITLE = """\
Page 74 - NGTK Hà Nam 2023
P. 74

24    Tuổi thọ trung bình tính từ lúc sinh phân theo giới tính
      Life expectancy at birth by sex
                                                            ĐVT: Năm - Unit: Year

                               Tổng số         Nam          Nữ
                               Total           Male         Female

                 2021            74,0          71,1         76,9
           Sơ bộ - Prel. 2023    74,5          71,4         77,6
"""


def test_the_numbered_title_is_the_tables_not_a_sentence() -> None:
    """'Hà Nam 2023' in the page header reads like 'năm 2023' once diacritics are set aside; the
    table's number before its title ('24') is still no figure of that year."""
    # as the yearbook's sidecar has it: titled 2023, issued in 2024
    context = Context(2023, None, 2024, geo_code=PLACES.resolve("Hà Nam"), places=PLACES)
    ex = extract(normalise(NUMBERED_TITLE), CAT, context)
    assert {f.value for f in ex.figures} == {74.0, 71.1, 76.9, 74.5, 71.4, 77.6}
    assert {f.indicator_code for f in ex.figures} == {"life_expectancy"}
