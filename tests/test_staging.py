"""Layout readers on small synthetic documents, one per layout feature and trap."""

from __future__ import annotations

import unicodedata

import pytest

from pipeline.reference import load_catalog
from pipeline.staging import Context, extract
from pipeline.text import normalise

CAT = load_catalog()


def read(text: str, title_year: int | None = None, default_year: int | None = None):
    doc = normalise(text)
    ex = extract(doc, CAT, Context(title_year, default_year))
    figs = {}
    for f in ex.figures:
        figs.setdefault((f.indicator_code, f.year, f.kind), []).append(f)
    return ex, figs, doc


def one(figs, code, year, kind="target"):
    found = figs.get((code, year, kind), [])
    assert len(found) == 1, f"{code} {year} {kind}: {found}"
    return found[0]


# ------------------------------------------------------------------- PDF-flattened tables

PDF_TABLE = """\
I. CÁC CHỈ TIÊU

TT Chỉ tiêu Đơn vị
Thực

hiện năm
2023

Kế hoạch
đến năm

2025

  Chỉ số đầu vào

1 Số bác sĩ trên 10.000 dân Người 10,5 11,5

2
Tỉ lệ trẻ em dưới 5 tuổi suy dinh

dưỡng thể thấp còi giảm còn
% 28,7 25,0

3 Tỉ suất tử vong trẻ em dưới 1 tuổi
trên

1.000 trẻ
đẻ sống

25

(Ước) < 22

4
Tổng số giường bệnh (không tính giường bệnh

trạm y tế) Giường
bệnh
5.130 5.400

   - Tuyến tỉnh GB 2.430 2.500

5
Số giường bệnh/vạn dân (không tính giường

bệnh trạm y tế) Giường bệnh
29
 TT Chỉ tiêu Đơn vị
Thực

hiện năm
2023

Kế hoạch
đến năm

2025

30
6 Tỉ lệ tiêm chủng đầy đủ % 52,5 (hiện
nay mới triển khai 8 loại vắc
xin)
95% với
12 loại vắc xin (trong trường hợp đủ vắc xin)

7 Tuổi thọ trung bình Năm 73,1 74

1693 17
 TT Chỉ tiêu Đơn vị
Thực hiện năm 2023 Kế hoạch đến năm 2025

8 Số ca mắc mới sốt rét trên 100.000 dân Ca 0,34 Loại trừ
sốt rét

9
Cơ bản chấm dứt dịch bệnh AIDS vào năm 2030.

9.1 Số ca mắc mới lao trên 100.000
dân
Ca 87,6 <50

10
Mức độ bao phủ các dịch vụ y tế thiết yếu
Chỉ tiêu này do Bộ Y tế đánh giá (5 năm/ lần).

II. MỤC TIÊU
"""


@pytest.fixture(scope="module")
def pdf():
    return read(PDF_TABLE)


def test_pdf_header_split_over_lines_gives_year_columns(pdf):
    ex, figs, _ = pdf
    assert "pdf_table" in ex.layouts
    assert one(figs, "doctors_per_10000", 2023, "actual").value == 10.5
    assert one(figs, "doctors_per_10000", 2025, "target").value == 11.5


def test_pdf_wrapped_label_and_comparator_at_end_of_label(pdf):
    _, figs, _ = pdf
    f = one(figs, "stunting_under5", 2025)
    assert (f.comparator, f.value) == ("<=", 25.0)


def test_pdf_unit_column_with_denominator_and_estimate_note(pdf):
    _, figs, _ = pdf
    actual = one(figs, "infant_mortality_rate", 2023, "actual")
    assert actual.value == 25 and actual.is_estimate
    target = one(figs, "infant_mortality_rate", 2025)
    assert (target.comparator, target.value, target.is_estimate) == ("<", 22, False)
    assert actual.unit_code_reported == "per_1000"


def test_pdf_thousands_dot_and_sub_rows(pdf):
    _, figs, _ = pdf
    assert one(figs, "hospital_beds_total", 2023, "actual").value == 5130
    assert one(figs, "hospital_beds_provincial", 2025).value == 2500


def test_pdf_value_just_before_a_page_break_header_is_kept(pdf):
    _, figs, _ = pdf
    # '29' stands right before the repeated header; the row needs it, so it is not a footer
    assert one(figs, "hospital_beds_per_10000", 2023, "actual").value == 29
    assert one(figs, "hospital_beds_per_10000", 2025).value == 30


def test_pdf_page_footer_numbers_are_dropped(pdf):
    _, figs, _ = pdf
    assert one(figs, "life_expectancy", 2025).value == 74
    assert ("life_expectancy", 2023, "actual") in figs
    assert all(f.value not in (1693, 17) for fs in figs.values() for f in fs)


def test_pdf_notes_become_conditions_and_label_numbers_do_not_open_rows(pdf):
    _, figs, _ = pdf
    a = one(figs, "full_immunisation_under1", 2023, "actual")
    assert a.value == 52.5 and "8 loại vắc xin" in a.condition
    t = one(figs, "full_immunisation_under1", 2025)
    assert t.value == 95 and t.condition.startswith("với 12 loại vắc xin")


def test_pdf_qualitative_target_and_dotted_sub_rows(pdf):
    _, figs, _ = pdf
    q = one(figs, "malaria_incidence_per_100000", 2025)
    assert q.qualitative and q.value is None and q.value_reported == "Loại trừ sốt rét"
    assert one(figs, "tb_incidence_per_100000", 2025).comparator == "<"


def test_pdf_rows_without_figures_are_reported_not_invented(pdf):
    ex, figs, _doc = pdf
    assert not any(k[0] == "uhc_service_coverage_index" for k in figs)
    no_fig = [u for u in ex.unmapped if u.reason_code == "no_figures"]
    assert any("uhc_service_coverage_index" in u.reason for u in no_fig)


# ---------------------------------------------------------------------- tab-separated tables

TSV = (
    "2. Chỉ tiêu\n\n"
    "STT\tChỉ số\tĐơn vị tính\tƯớc thực hiện 2023\tKế hoạch 2024\n"
    "01\tBác sĩ/ vạn dân\tBác sĩ\t9,5\t9,8\n"
    "07\tTỷ lệ tăng dân số tự nhiên\t%\t10,0\t<10,0\n"
    "\n"
    "STT\tChỉ số\tĐơn vị tính\tƯớc thực hiện 2023\tKế hoạch 2024\n"
    "08\tTỷ số giới tính khi sinh\tsố bé trai/ 100 bé gái\t106,8\t<109,8\n"
    "08\tTỷ số tử vong mẹ trên 100.000 trẻ đẻ sống\t⁰ /0000\t25,9\t< 26\n"
    "14\tTỷ lệ hài lòng của người dân với dịch vụ y tế\t%\t93,3\t≥95\n"
    "\n"
    "Phụ lục 1: Bảng phân công\n"
    "TT\tChỉ tiêu\tĐơn vị chủ trì thực hiện\tĐịnh kỳ báo cáo\n"
    "01\tBác sĩ/ vạn dân\tCác đơn vị khám chữa bệnh\tHàng Quý\n"
)


def test_tsv_year_columns_estimate_and_duplicate_row_numbers():
    ex, figs, _ = read(TSV)
    assert ex.layouts.count("tsv_table") == 1  # the assignment appendix holds no figures
    a = one(figs, "doctors_per_10000", 2023, "actual")
    assert a.value == 9.5 and a.is_estimate
    assert one(figs, "sex_ratio_at_birth", 2024).value == 109.8
    mmr = one(figs, "maternal_mortality_ratio", 2024)  # second row numbered 08
    assert (mmr.comparator, mmr.value, mmr.unit_code_reported) == ("<", 26, "per_100000")
    assert one(figs, "health_service_satisfaction", 2024).comparator == ">="
    nat = one(figs, "natural_increase_rate", 2023, "actual")
    assert nat.unit_code_reported == "percent"  # printed '%', harmonised later
    assert len(ex.figures) == 10


# -------------------------------------------------------------------------------- prose

PROSE = """\
## II. MỤC TIÊU
### 2. Mục tiêu cụ thể
#### 2.1. Đến năm 2025
- Tuổi thọ trung bình khoảng 74 tuổi, số năm sống khoẻ đạt tối thiểu 66 năm.
- Tỷ lệ tiêm chủng mở rộng cho trẻ em dưới 1 tuổi đạt > 95% . Giảm tỷ suất tử vong trẻ em: Dưới 5 tuổi còn <11%; dưới 1 tuổi còn <9%.
- Chiều cao trung bình thanh niên 18 tuổi đối với nam đạt 167 cm, nữ đạt 156 cm.
- Đạt 35 giường bệnh viện, 10 bác sĩ, 1,2 được sĩ đại học, 20 điều dưỡng viên trên 10.000 dân; Tỷ lệ giường bệnh tư nhân đạt 7%.
### b) Đến năm 2030
- Phấn đấu trên 95% dân số được quản lý sức khoẻ; 100% trạm y tế xã thực hiện dự phòng, quản lý, điều trị một số bệnh không lây nhiễm.
## III. NHIỆM VỤ VÀ GIẢI PHÁP
- Bảo đảm dành ít nhất 30% ngân sách cho công tác y tế dự phòng.
- Duy trì đào tạo 2 bác sỹ chuyên khoa I, 3 bác sỹ.
"""


@pytest.fixture(scope="module")
def prose():
    return read(PROSE)


def test_prose_year_from_headings_and_comparator_words(prose):
    _, figs, _ = prose
    le = one(figs, "life_expectancy", 2025)
    assert (le.comparator, le.value, le.unit_code_reported) == ("~", 74, "years")
    assert one(figs, "healthy_life_years", 2025).comparator == ">="
    assert one(figs, "population_health_managed", 2030).value == 95


def test_prose_sub_items_inherit_the_head_of_their_sentence(prose):
    _, figs, _ = prose
    u5 = one(figs, "under5_mortality_rate", 2025)
    imr = one(figs, "infant_mortality_rate", 2025)
    assert (u5.comparator, u5.value, imr.value) == ("<", 11, 9)
    assert u5.unit_code_reported == "percent"  # printed '%': corrected by harmonise, not here
    assert one(figs, "full_immunisation_under1", 2025).value == 95
    assert one(figs, "height_18_male", 2025).value == 167
    assert one(figs, "height_18_female", 2025).value == 156


def test_prose_list_sharing_one_unit_at_the_end(prose):
    _, figs, _ = prose
    assert one(figs, "hospital_beds_per_10000", 2025).value == 35
    assert one(figs, "doctors_per_10000", 2025).value == 10
    pharm = one(figs, "pharmacists_per_10000", 2025)  # printed 'được sĩ', a misspelling
    assert pharm.value == 1.2 and pharm.unit_code_reported == "per_10000"
    assert one(figs, "nurses_per_10000", 2025).value == 20
    assert one(figs, "private_hospital_beds_share", 2025).value == 7


def test_prose_value_first_statements(prose):
    _, figs, _ = prose
    assert one(figs, "health_stations_ncd_management", 2030).value == 100


def test_prose_figures_without_year_or_indicator_go_to_unmapped(prose):
    ex, figs, _ = prose
    codes = {u.reason_code for u in ex.unmapped}
    assert "no_year" in codes  # '30% ngân sách ... y tế dự phòng' under a heading with no year
    # '2 bác sỹ chuyên khoa I' names doctors but has no per-population denominator
    assert not any(f.value in (2, 3) for f in figs.get(("doctors_per_10000", None, "target"), []))
    assert any(u.reason_code == "no_indicator" for u in ex.unmapped) or all(
        f.indicator_code != "doctors_per_10000" or f.value == 10 for f in ex.figures
    )


NUMBERED = unicodedata.normalize(
    "NFD",
    """\
1.2. Mục tiêu cụ thể

(2) Tỷ lệ dân số tham gia bảo hiểm y tế đạt trên 96,1%. Giảm tỷ lệ chi trực

tiếp từ tiền túi của hộ gia đình cho y tế còn dưới 35%.

(3) Phấn đấu trên 50% dân số được quản lý hồ sơ sức khoẻ điện tử.

(5) Đạt 18,7 giường bệnh/10.000 dân; trên 7,6 bác sĩ/10.000 dân; 1,0 dược

sĩ đại học/10.000 dân.

(8) Tỷ suất tăng dân số tự nhiên giảm còn 14,3%o; mức giảm tỷ lệ sinh 0,5%o /năm;

2.4. Nâng cao chất lượng

Tỷ lệ bác sỹ/vạn dân đạt 7,6 bác sỹ, dược sỹ đại học/vạn dân 1,0%; tỷ lệ dân số

được quản lý hồ sơ sức khoẻ điện tử đạt trên 40%; phấn đấu nâng từ 0,05 - 0,1 điểm

trung bình các tiêu chí.
""",
)


def test_numbered_objectives_in_decomposed_unicode_with_title_year():
    ex, figs, doc = read(NUMBERED, title_year=2023)
    assert one(figs, "health_insurance_coverage", 2023).value == 96.1
    oop = one(figs, "out_of_pocket_share", 2023)
    assert (oop.comparator, oop.value) == ("<", 35)
    assert one(figs, "hospital_beds_per_10000", 2023).value == 18.7
    nat = one(figs, "natural_increase_rate", 2023)
    assert (nat.comparator, nat.value, nat.unit_code_reported) == ("<=", 14.3, "per_1000")
    assert one(figs, "birth_rate_decline", 2023).value == 0.5
    ehr = figs[("electronic_health_records", 2023, "target")]
    assert sorted(f.value for f in ehr) == [40, 50]  # both kept: the conflict is flagged later
    pharm = sorted(figs[("pharmacists_per_10000", 2023, "target")], key=lambda f: f.start)
    assert pharm[1].unit_code_reported == "percent"  # '1,0%' printed for a per-10,000 density
    gain = one(figs, "hospital_quality_score_gain", 2023)
    assert (gain.value, gain.range_high) == (0.05, 0.1)
    for f in ex.figures:
        quote = doc.quote(f.start, f.end)
        assert quote in NUMBERED  # verbatim, decomposed like the source


def test_default_year_from_sidecar_when_text_gives_none():
    text = "- Tỷ lệ tham gia bảo hiểm y tế đạt trên 97%.\n"
    ex, figs, _ = read(text)
    assert not ex.figures and ex.unmapped[0].reason_code == "no_year"
    ex, figs, _ = read(text, default_year=2026)
    assert one(figs, "health_insurance_coverage", 2026).value == 97


# ------------------------------------------------------------- variants of the same layouts

SPLIT_HEADER = """\
TT Chỉ tiêu
Đơn vị
Năm 2023
Năm 2025
Giai đoạn 2026-2030

1 Tỷ lệ tham gia bảo hiểm y tế % 91,2 95 98
2 Số bác sĩ/vạn dân Bác sĩ 8,1 9 10
* Ghi chú: tỷ lệ 12% của năm trước
3 Tổng tỷ suất sinh Con/phụ nữ 2,3 2,2 2,1
"""


def test_header_cells_on_separate_lines_bare_year_and_period_columns():
    ex, figs, _ = read(SPLIT_HEADER, title_year=2024)
    assert "pdf_table" in ex.layouts
    assert one(figs, "health_insurance_coverage", 2023, "actual").value == 91.2  # before 2024
    assert one(figs, "health_insurance_coverage", 2025, "target").value == 95
    assert one(figs, "health_insurance_coverage", 2030, "target").value == 98  # period 2026-2030
    assert one(figs, "total_fertility_rate", 2030).value == 2.1
    assert [u.reason_code for u in ex.unmapped] == ["stray_in_table"]  # nothing silently lost


def test_unnumbered_year_heading_with_colon():
    text = "Mục tiêu đến năm 2025:\n- Tỷ lệ hài lòng của người dân với dịch vụ y tế đạt trên 90%.\n"
    _, figs, _ = read(text)
    assert one(figs, "health_service_satisfaction", 2025).comparator == ">"


def test_a_table_whose_rows_are_never_found_gives_its_text_back():
    text = (
        "Chỉ tiêu Đơn vị Kế hoạch năm 2025\n\nTỷ lệ tham gia bảo hiểm y tế đạt trên 95% dân số.\n"
    )
    _, figs, _ = read(text)
    assert one(figs, "health_insurance_coverage", 2025).value == 95


# ------------------------------------------------------------ shortcuts equal their definitions

SHORTCUTS = (
    "1. Mục tiêu\n(2) Tỷ lệ 95%\n  3.1. Chỉ tiêu chính\t12\n12\tTT\nII. Phụ lục\n"
    "Số giường bệnh ٣٤ trên vạn dân năm 2025\n\n1.\n- chi tiết\nNội dung chỉ tiêu 2.3"
)


def _reader(text: str):
    from pipeline.staging import Reader

    return Reader(normalise(text), CAT, Context(None, None))


def test_free_digits_are_the_unmasked_regex_digits():
    import re

    from pipeline.staging import _free_digits

    r = _reader(SHORTCUTS)
    folded = r.doc.folded
    expected = [m.start() for m in re.finditer(r"\d", folded) if not r.mask[m.start()]]
    assert _free_digits(folded, r.mask) == expected
    assert any(not folded[p].isascii() for p in expected)  # a non-ASCII digit is a digit


def test_line_start_scan_and_needle_scan_equal_their_per_line_tests():
    from pipeline.staging import _ITEM_NUMBER

    r = _reader(SHORTCUTS)
    folded = r.doc.folded
    per_line = [(ln.no, m.end()) for ln in r.lines if (m := _ITEM_NUMBER.match(folded, ln.start))]
    assert [(no, m.end()) for no, m in r._at_line_starts(_ITEM_NUMBER)] == per_line
    needles = r._hdr_label_needles
    with_needle = [ln.no for ln in r.lines if any(n in ln.stripped for n in needles)]
    assert r._lines_with_any(needles) == with_needle
