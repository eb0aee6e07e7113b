"""Tables with a column per year (indicators by year, places by row, portal tables): small
pages written for each trap of the layout notes."""

from __future__ import annotations

from pipeline.staging import readers


def figures(ex, code: str | None = None):
    return [f for f in ex.figures if code is None or f.indicator_code == code]


def values(ex, code: str) -> dict[int, float]:
    return {f.year: f.value for f in figures(ex, code)}


# ---------------------------------------------------------------------------- the trap

PORTAL = """\
Đăng ngày 10-11-2022 11:13, Lượt xem: 85

      2015 2017 2019 2020 Sơ bộ 2021
Giường bệnh tính bình quân 1 vạn dân số 21,40 22,05 23,10 24,00 24,35
"""


def test_a_year_header_is_never_read_as_figures(read_page) -> None:
    """The issue's page: '2015 2017 2019 2020 Sơ bộ 2021' was once a 2021 target of 2021 beds."""
    ex, _doc = read_page(PORTAL, "Đà Nẵng")
    assert values(ex, "hospital_beds_per_10000") == {
        2015: 21.4,
        2017: 22.05,
        2019: 23.1,
        2020: 24.0,
        2021: 24.35,
    }
    assert {f.kind for f in ex.figures} == {"actual"}
    assert [f.preliminary for f in ex.figures] == [False] * 4 + [True]
    assert not [f for f in ex.figures if f.value is not None and 2000 <= f.value <= 2050]
    assert {f.reader for f in ex.figures} == {"year_table"}


def test_the_statistics_readers_see_their_blocks_before_the_plan_readers() -> None:
    ranks = {r.name: r.rank for r in readers()}
    statistics = ("target_table", "year_table", "year_rows", "category_table")
    assert max(ranks[n] for n in statistics) < min(ranks[n] for n in ("tsv_table", "pdf_table"))


def test_a_header_without_rows_is_consumed_not_read(read_page) -> None:
    """Years and a unit word after them ('2021 Giường bệnh') are no figure for any reader."""
    ex, _doc = read_page("2015 2017 2019 2020 Sơ bộ 2021\nGiường bệnh trên 10.000 dân\n")
    assert ex.figures == []


# ------------------------------------------------------------------------ indicators by year

SPLIT = """\
Page 120 - merged_files
Basic HTML Version

231. Một số chỉ tiêu về y tế
Some indicators on health
2015 2018 2019 2020
2021
Bác sĩ bình quân 1 vạn dân (Người)
Doctor per 10000 inhabitants (Person)
8,62
9,75
10,04
10,31
10,88
Giường bệnh tính bình quân 1 vạn dân (Giường)
Bed
per 10000 inhabitants (Bed)
34,10 36,52 37,05 37,48 38,20
Tỷ lệ trạm y tế xã/phường/thị trấn có nữ hộ sinh hoặc y sĩ sản nhi (%)
Rate of health establishments having midwives (%)
100,0
98,1 97,2 99,1 100,0
Số người chết vì các bệnh dịch (Người)
Number of
deaths of epidemic diseases (Person)
3 - - 1 -
Số người bị ngộ độc thực phẩm (Người)
126
48
-
215
Tỷ lệ trẻ sơ sinh có trọng lượng dưới 2500 gram (%)
… … … … …

118
  114   115   116   117   118   119
"""


def test_indicators_by_year_with_a_split_header_and_both_value_styles(read_page) -> None:
    ex, _doc = read_page(SPLIT)
    assert values(ex, "doctors_per_10000") == {
        2015: 8.62,
        2018: 9.75,
        2019: 10.04,
        2020: 10.31,
        2021: 10.88,
    }
    assert values(ex, "hospital_beds_per_10000")[2021] == 38.2  # English label wrapped
    assert values(ex, "health_stations_with_midwife") == {  # a row split 1 + 4
        2015: 100.0,
        2018: 98.1,
        2019: 97.2,
        2020: 99.1,
        2021: 100.0,
    }
    assert values(ex, "epidemic_disease_deaths") == {2015: 3.0, 2020: 1.0}  # '-' takes a column
    assert not figures(ex, "low_birth_weight_share")  # '…' is no figure
    assert {f.kind for f in ex.figures} == {"actual"}
    assert not [f for f in ex.figures if f.value in (118, 114, 231, 120)]  # page, table numbers


def test_a_row_with_fewer_figures_than_years_is_not_guessed(read_page) -> None:
    ex, doc = read_page(SPLIT)
    assert not figures(ex, "food_poisoning_cases")
    (row,) = [u for u in ex.unmapped if "ngộ độc" in doc.text[u.start : u.end]]
    assert row.reason_code == "cells_mismatch" and "4 figures" in row.reason


def test_the_unit_in_parentheses_names_what_is_counted_not_the_denominator(read_page) -> None:
    ex, _doc = read_page(SPLIT)
    (doctors,) = {f.unit_code_reported for f in figures(ex, "doctors_per_10000")}
    assert doctors == "count"  # '(Người)': no unit_corrected flag downstream
    assert figures(ex, "doctors_per_10000")[0].label_reported.startswith("Bác sĩ bình quân")


COUNTS = """\
Cơ sở y tế, giƣờng bệnh và nhân lực y tế
Sơ bộ
2020 2021
Prel. 2022
Cơ sở y tế (Cơ sở) - Health establishments (Establishment)
226 226 225
Trong đó - Of which:
Bệnh viện - Hospital
17 17 17
Giƣờng bệnh (Giƣờng) - Patient beds (Bed)
3365 3410 3455
Bệnh viện - Hospital
2900 2950 2990
Nhân lực ngành y (Ngƣời) - Medical staff (Person)
4.398 4.451 4.503
Bác sĩ - Doctor
1015 1042 1068
Kỹ thuật viên y - Medical technician
162 170 178
"""


def test_a_row_under_a_count_row_counts_a_part_of_it(read_page) -> None:
    """'Bệnh viện' under establishments is the number of hospitals; under beds it is beds in
    hospitals, which no catalog indicator holds: unmapped, never read as hospitals."""
    ex, doc = read_page(COUNTS, "Hà Giang")
    assert values(ex, "hospitals_total") == {2020: 17.0, 2021: 17.0, 2022: 17.0}
    assert values(ex, "patient_beds_total")[2022] == 3455.0  # 'Giƣờng': the glyph repaired
    assert values(ex, "doctors_total")[2022] == 1068.0
    parts = {doc.text[u.start : u.end].split(" - ")[0]: u.reason_code for u in ex.unmapped}
    assert parts == {"Bệnh viện": "part_of_row", "Kỹ thuật viên y": "part_of_row"}
    assert "2900" in next(doc.text[u.start : u.end] for u in ex.unmapped)
    assert [f.preliminary for f in figures(ex, "doctors_total")] == [False, False, True]


TITLED_COUNTS = """\
268   Số cơ sở khám, chữa bệnh do địa phương quản lý
      Number of health establishments under local management
                                                    Cơ sở - Establishment
                                        2019      2020    Sơ bộ - Prel. 2021
TỔNG SỐ - TOTAL                        13.547    13.539    13.512
Bệnh viện - Hospital                    1.096     1.085     1.102
Bệnh viện điều dưỡng và phục hồi chức năng
Sanatorium and rehabilitation hospital     47        45        44
Trạm y tế xã, phường, cơ quan, xí nghiệp
Medical service units                  11.851    11.863    11.856

269   Số giường bệnh do địa phương quản lý
      Number of patient beds under local management
                                                    Giường - Bed
                                        2019      2020    Sơ bộ - Prel. 2021
TỔNG SỐ - TOTAL                       274.600   283.900   291.200
Bệnh viện - Hospital                  226.300   234.700   241.900
Trạm y tế xã, phường, cơ quan, xí nghiệp
Medical service units                  33.000    33.700    34.000
"""


def test_rows_under_a_title_naming_a_count_are_its_parts(read_page) -> None:
    """A title naming a count is the parent of the rows without a unit: 'Bệnh viện' under
    establishments counts hospitals, under beds it counts beds (never 226,300 hospitals); the
    'TỔNG SỐ - TOTAL' row holds the title's own indicator; sanatoria are not hospitals."""
    ex, _doc = read_page(TITLED_COUNTS, "Việt Nam")
    assert values(ex, "health_establishments_total") == {2019: 13547, 2020: 13539, 2021: 13512}
    assert values(ex, "hospitals_total") == {2019: 1096, 2020: 1085, 2021: 1102}
    assert values(ex, "rehabilitation_hospitals_total") == {2019: 47, 2020: 45, 2021: 44}
    assert values(ex, "commune_health_stations_total")[2019] == 11851
    assert values(ex, "patient_beds_total") == {2019: 274600, 2020: 283900, 2021: 291200}
    assert len(ex.figures) == 15  # nothing from the beds table's parts
    assert sum(u.reason_code == "part_of_row" for u in ex.unmapped) == 2


OVERVIEW = """\
1     Một số chỉ tiêu kinh tế - xã hội chủ yếu
      Some key socio-economic indicators
                                      Đơn vị tính          2020       2021       Sơ bộ
                                      Unit                                       Prel. 2022
Dân số trung bình                     Nghìn người       8.246,5    8.330,8    8.435,7
Average population                    Thous. persons
Số cơ sở y tế                         Cơ sở                 712        715        718
Health establishments                 Establishment
Số bác sĩ bình quân 1 vạn dân         Người               25,30      25,86      26,09
Doctors per 10000 inhabitants         Person
Tỷ lệ trẻ em dưới 1 tuổi được
tiêm chủng đầy đủ                     %                    97,5       96,8       98,0
Rate of under-one-year children fully vaccinated
"""


def test_a_unit_column_between_label_and_years(read_page) -> None:
    """The overview table's unit column: 'Đơn vị tính' heads it on the year header's line, each
    row prints its unit between its label and its figures, and its English half after them."""
    ex, _doc = read_page(OVERVIEW, "Hà Nội")
    assert values(ex, "health_establishments_total") == {2020: 712, 2021: 715, 2022: 718}
    assert values(ex, "doctors_per_10000")[2022] == 26.09
    assert values(ex, "full_immunisation_under1") == {2020: 97.5, 2021: 96.8, 2022: 98.0}
    assert len(ex.figures) == 9  # the population row names no indicator
    assert [f.preliminary for f in figures(ex, "doctors_per_10000")] == [False, False, True]


# ------------------------------------------------------------------------------ places by row

DISTRICTS = """\
Tỷ lệ xã/phường/thị trấn có hộ sinh hoặc y sỹ sản nhi
                        258
phân theo đơn vị hành chính cấp huyện
Rate of commune/ward/town having midwife by district
                                            Đơn vị tính - Unit: %
                                                   Sơ bộ
                              2019      2020       Prel.
                                                   2021
TOÀN TỈNH
WHOLE PROVINCE                98,55     99,28      100,00

1. Thành phố Lào Cai          100,00    100,00     100,00

2. Huyện Mƣờng Khƣơng         100,00    …          100,00

3. Huyện Tân Uyên             86,67     93,33      100,00

4. Huyện Kỳ Sơn               90,00     92,00      95,00
"""


def test_places_by_row_are_placed_within_the_document_place(read_page) -> None:
    ex, _doc = read_page(DISTRICTS, "Lào Cai")
    placed = {(f.geo_code, f.year): f.value for f in ex.figures}
    assert placed[("10", 2021)] == 100.0  # the whole province, its row split over two lines
    assert placed[("080", 2019)] == 100.0
    assert ("083", 2020) not in placed and placed[("083", 2021)] == 100.0  # glyphs, '…'
    assert {f.indicator_code for f in ex.figures} == {"health_stations_with_midwife"}
    assert {f.geo_code for f in ex.figures} == {"10", "080", "083"}
    assert [f.preliminary for f in ex.figures if f.geo_code == "080"] == [False, False, True]


def test_a_place_of_another_province_is_never_placed_there(read_page) -> None:
    """Tân Uyên is a district of Lai Châu, Kỳ Sơn one of Nghệ An: unmapped, with the reason."""
    ex, doc = read_page(DISTRICTS, "Lào Cai")
    unplaced = {doc.text[u.start : u.end].split()[2]: u for u in ex.unmapped}
    assert set(unplaced) == {"Tân", "Kỳ"}
    assert all(u.reason_code == "unplaced" for u in unplaced.values())
    assert "lies elsewhere" in unplaced["Tân"].reason


NATIONAL = """\
287   Số bác sĩ bình quân 1 vạn dân phân theo địa phương
      Number of doctors per 10000 inhabitants by province
                                                              Người - Person
                          2020     2021    Sơ bộ - Prel. 2022
CẢ NƯỚC - WHOLE COUNTRY        9,80     10,12     10,58
Đồng bằng sông Hồng - Red River Delta   12,35     12,61     13,02
Hòa Bình                       8,47     8,60     8,92
Huyện Hoàng Sa
Bà Rịa - Vũng Tàu              7,10     7,28     7,51
"""


def test_provinces_by_row_in_the_national_yearbook(read_page) -> None:
    ex, doc = read_page(NATIONAL, "Việt Nam")
    placed = {(f.geo_code, f.year): f.value for f in ex.figures}
    assert placed[("VN", 2022)] == 10.58
    assert placed[("17", 2021)] == 8.6  # the province, not the city of the same name
    assert placed[("77", 2020)] == 7.1  # a name with a dash of its own
    regions = [u for u in ex.unmapped if "Hồng" in doc.text[u.start : u.end]]
    assert [u.reason_code for u in regions] == ["unplaced"]
    assert {f.geo_code for f in ex.figures} == {"VN", "17", "77"}  # a row without figures
    # ('Huyện Hoàng Sa') lends its name to no other row


# ------------------------------------------------------------------------------ portal tables

DIGEST = """\
Một số chỉ tiêu về y tế năm 2022: Bác sĩ bình quân 1 vạn dân là 12,06; Số ca mắc các bệnh dịch là 8.402.

Một số chỉ tiêu về y tế
  2016 2018 2020 2021 Sơ bộ 2022
Bác sĩ bình quân 1 vạn dân 10,12 10,85 11,40 11,73 12,06
Số người chết vì các bệnh dịch        2 5
Bác sĩ           1.520           1.688           1.904           2.118           2.305
ĐÁNH GIÁ BÀI VIẾT
"""


def test_a_digest_before_a_portal_table_restates_actuals(read_page) -> None:
    ex, _doc = read_page(DIGEST, "Cần Thơ")
    digest = [f for f in ex.figures if f.reader == "prose"]
    assert {(f.indicator_code, f.year, f.kind) for f in digest} == {
        ("doctors_per_10000", 2022, "actual"),
        ("epidemic_disease_cases", 2022, "actual"),
    }
    table = [f for f in ex.figures if f.reader == "year_table"]
    assert {f.indicator_code for f in table} == {"doctors_per_10000", "doctors_total"}
    assert [u.reason_code for u in ex.unmapped] == ["cells_mismatch"]  # two figures, five years


def test_a_tab_separated_table_is_left_to_its_reader(read_page) -> None:
    text = "STT\tChỉ tiêu\tĐơn vị tính\t2023\t2024\n1\tTỷ lệ tham gia bảo hiểm y tế\t%\t92\t93\n"
    ex, _doc = read_page(text)
    assert {f.reader for f in ex.figures} == {"tsv_table"}


def test_year_columns_later_than_the_document_are_a_plans_not_statistics(catalog) -> None:
    """Statistics report years before they are published: under an issue date, a header
    reaching past it heads a plan's table, which the statistics readers leave alone."""
    from pipeline.reference import load_resolver
    from pipeline.staging import Context, extract
    from pipeline.text import normalise

    text = "2023 2024 2025\nTỷ lệ tham gia bảo hiểm y tế 92 93 95\n"
    places = load_resolver()
    doc = normalise(text)
    issued = extract(doc, catalog, Context(None, None, 2023, "12", places))
    assert "year_table" not in {f.reader for f in issued.figures}
    undated = extract(doc, catalog, Context(None, None, None, "12", places))
    assert {f.reader for f in undated.figures} == {"year_table"}


ABBREVIATED = """\
Tỷ lệ xã có bác sỹ phân theo huyện
Đơn vị tính - Unit: %
2020 2021
TX. Sa Pa 100,00 100,00
Huyện Bát Xát(*) 95,45 100,00
H. Bảo Yên 94,12 94,12
"""


def test_abbreviated_prefixes_and_footnote_marks_on_places(read_page) -> None:
    ex, _doc = read_page(ABBREVIATED, "Lào Cai")
    assert {(f.geo_code, f.year) for f in ex.figures} == {
        ("088", 2020),
        ("088", 2021),
        ("082", 2020),
        ("082", 2021),
    }
    assert [u.reason_code for u in ex.unmapped] == ["unplaced"]  # 'H.': not placed, not guessed


NEIGHBOURS = """\
Số bác sĩ bình quân 1 vạn dân phân theo huyện/thành phố thuộc tỉnh
Đơn vị tính - Unit: Người
2018 2019
TOÀN TỈNH
WHOLE PROVINCE 8,31 8,64
Huyện Lương Sơn
Huyện Kỳ Sơn 3,41 3,58
Huyện Đà Bắc
Da Bac district 4,10 4,36
"""


def test_a_place_without_figures_lends_its_name_to_no_other_row(read_page) -> None:
    """Kỳ Sơn's figures stay unplaced, never Lương Sơn's (the row above, without figures);
    an English half on the figures' line reads with the Vietnamese name above it."""
    ex, _doc = read_page(NEIGHBOURS, "Hoà Bình")
    assert {(f.geo_code, f.place_reported) for f in ex.figures} == {
        ("17", "TOÀN TỈNH"),
        ("150", "Huyện Đà Bắc"),
    }
    assert [u.reason_code for u in ex.unmapped] == ["unplaced"]


EMPTY_ROW = """\
  2016 2018 2020 2021 Sơ bộ 2022
Số người bị ngộ độc thực phẩm
Số người chết do HIV/AIDS trên 100.000 dân (người) 1,02 0,88 0,64 0,71 0,59
Tỷ lệ trẻ em dưới 1 tuổi được tiêm chủng đầy đủ các
loại vắc xin (%) 99,20 98,75 97,10 95,02 96,45
"""


def test_a_row_without_figures_is_no_part_of_the_next_label(read_page) -> None:
    """The food-poisoning row has no figures: the HIV row's are HIV deaths, not poisonings;
    a wrapped label's lower-case end still belongs to it."""
    ex, _doc = read_page(EMPTY_ROW, "Cần Thơ")
    assert {f.indicator_code for f in ex.figures} == {
        "hiv_aids_deaths_per_100000",
        "full_immunisation_under1",
    }
    assert len(ex.figures) == 10


BLANK_CELL = """\
14    Tỷ lệ xã đạt tiêu chí quốc gia về y tế phân theo huyện
      Rate of communes meeting national criteria of commune health by district
                                                           Đơn vị tính - Unit: %
                                  2019      2020      2021
TOÀN TỈNH - WHOLE PROVINCE        55,65     60,87     66,96
Huyện Nậm Pồ - Nam Po district    46,67               53,33



                                                           93
"""


def test_a_row_short_of_a_blank_cell_takes_no_page_number(read_page) -> None:
    """A blank cell printed as spaces leaves a row two figures for three years: which year is
    blank cannot be told, and the printed page number below is none of its figures."""
    ex, _doc = read_page(BLANK_CELL, "Điện Biên")
    assert {f.geo_code for f in ex.figures} == {"11"}
    assert 93.0 not in {f.value for f in ex.figures}
    assert [u.reason_code for u in ex.unmapped] == ["cells_mismatch"]


SPLIT_ROWS = """\
25    Tỷ suất chết của trẻ em dưới 1 tuổi phân theo giới tính và thành thị, nông thôn
      Infant mortality rate by sex and residence
                                                           Đơn vị tính - Unit: ‰
                                  2020      2021     Sơ bộ - Prel. 2022
Tổng số - Total                   12,4      12,2      12,0
Phân theo giới tính - By sex
Nam - Male                        13,9      13,7      13,5
Nữ - Female                       10,8      10,6      10,4
Phân theo thành thị, nông thôn - By residence
Thành thị - Urban                  8,1       7,9       7,8
Nông thôn - Rural                 13,7      13,5      13,3
"""


def test_rows_that_split_the_titles_indicator(read_page) -> None:
    """Years as columns, the rows the whole, the sexes and the areas of the title's one
    indicator."""
    ex, _doc = read_page(SPLIT_ROWS, "Thái Nguyên")
    got = {(f.year, f.sex, f.residence): f.value for f in ex.figures if f.year == 2022}
    assert got == {
        (2022, "total", "total"): 12.0,
        (2022, "male", "total"): 13.5,
        (2022, "female", "total"): 10.4,
        (2022, "total", "urban"): 7.8,
        (2022, "total", "rural"): 13.3,
    }
    assert {f.indicator_code for f in ex.figures} == {"infant_mortality_rate"}
    assert len(ex.figures) == 15 and not ex.unmapped


COUNTS_OF_SHARES = """\
250. Một số chỉ tiêu về y tế
Some indicators on health
2020 2021
Sơ bộ - Prel. 2022
Số xã/phường/thị trấn đạt tiêu chí quốc gia về y tế (Xã)
Number of communes meeting national criteria of commune health (Commune)
150 158 165
Tỷ lệ xã/phường/thị trấn đạt tiêu chí quốc gia về y tế (%)
Rate of communes meeting national criteria of commune health (%)
87,2 91,9 95,9
Số trạm y tế xã có bác sĩ (Trạm)
Number of commune health stations having doctors (Station)
165 168 170
"""

VACCINATED_BY_DISTRICT = """\
258   Số trẻ em dưới 1 tuổi được tiêm chủng đầy đủ các loại vắc xin
      phân theo huyện/thị xã/thành phố
                                                           ĐVT: Trẻ em - Unit: Child
                                  2020      2021     Sơ bộ - Prel. 2022
TOÀN TỈNH - WHOLE PROVINCE       13.980    13.420    13.610
Thành phố Yên Bái - Yen Bai city  1.520     1.480     1.505
"""


def test_a_count_is_never_read_as_the_share_of_what_it_counts(read_page) -> None:
    """'Số xã đạt tiêu chí … (Xã)' counts communes (165), 'Số trẻ em … được tiêm chủng đầy đủ'
    children (13,610): neither is the percentage its words also name (which, above 100, would
    stop the build); 'Số trạm y tế xã có bác sĩ' counts stations with a doctor, not all."""
    ex, _doc = read_page(COUNTS_OF_SHARES, "Yên Bái")
    assert values(ex, "communes_meeting_national_health_criteria") == {
        2020: 87.2,
        2021: 91.9,
        2022: 95.9,
    }
    assert values(ex, "health_stations_with_doctor_total") == {2020: 165, 2021: 168, 2022: 170}
    assert not figures(ex, "commune_health_stations_total")
    ex, _doc = read_page(VACCINATED_BY_DISTRICT, "Yên Bái")
    assert not ex.figures
    assert len(ex.unmapped) == 2


TITLE_WITHOUT_UNIT_LINE = """\
247   Số bác sĩ bình quân 1 vạn dân phân theo huyện
                                  2019      2020      2021     Sơ bộ - Prel. 2022
TOÀN TỈNH - WHOLE PROVINCE        9,12      9,40      9,85      10,12
14    Hệ thống y tế
      phân theo đơn vị hành chính
                                   Số xã       Tỷ lệ              Số xã       Tỷ lệ
                                   (Xã)        (%)                (Xã)        (%)
TOÀN TỈNH                          13          11,30              50          43,48
"""


def test_the_next_tables_title_ends_a_table(read_page) -> None:
    """The next table's title ('… phân theo đơn vị hành chính') ends the table above even
    without a unit line: its four columns are not the four years above."""
    ex, _doc = read_page(TITLE_WITHOUT_UNIT_LINE, "Điện Biên")
    assert values(ex, "doctors_per_10000") == {2019: 9.12, 2020: 9.40, 2021: 9.85, 2022: 10.12}
    assert len(ex.figures) == 4


UNIT_UNDER_HEADER = """\
Số bác sĩ bình quân 1 vạn dân phân theo huyện
                                  2020      2021     Sơ bộ - Prel. 2022
                                                    Đơn vị tính - Unit: Người
TOÀN TỈNH - WHOLE PROVINCE        9,40      9,85      10,12
"""


def test_a_unit_line_under_the_year_header_is_the_tables_own(read_page) -> None:
    ex, _doc = read_page(UNIT_UNDER_HEADER, "Kon Tum")
    assert values(ex, "doctors_per_10000") == {2020: 9.40, 2021: 9.85, 2022: 10.12}
