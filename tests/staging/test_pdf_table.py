"""PDF-flattened tables: one synthetic table per layout feature and trap."""

from __future__ import annotations

import pytest

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
def pdf(read):
    return read(PDF_TABLE)


def test_pdf_header_split_over_lines_gives_year_columns(pdf, one):
    ex, figs, _ = pdf
    assert "pdf_table" in ex.layouts
    assert one(figs, "doctors_per_10000", 2023, "actual").value == 10.5
    assert one(figs, "doctors_per_10000", 2025, "target").value == 11.5


def test_pdf_wrapped_label_and_comparator_at_end_of_label(pdf, one):
    _, figs, _ = pdf
    f = one(figs, "stunting_under5", 2025)
    assert (f.comparator, f.value) == ("<=", 25.0)


def test_pdf_unit_column_with_denominator_and_estimate_note(pdf, one):
    _, figs, _ = pdf
    actual = one(figs, "infant_mortality_rate", 2023, "actual")
    assert actual.value == 25 and actual.is_estimate
    target = one(figs, "infant_mortality_rate", 2025)
    assert (target.comparator, target.value, target.is_estimate) == ("<", 22, False)
    assert actual.unit_code_reported == "per_1000"


def test_pdf_thousands_dot_and_sub_rows(pdf, one):
    _, figs, _ = pdf
    assert one(figs, "hospital_beds_total", 2023, "actual").value == 5130
    assert one(figs, "hospital_beds_provincial", 2025).value == 2500


def test_pdf_value_just_before_a_page_break_header_is_kept(pdf, one):
    _, figs, _ = pdf
    # '29' stands right before the repeated header; the row needs it, so it is not a footer
    assert one(figs, "hospital_beds_per_10000", 2023, "actual").value == 29
    assert one(figs, "hospital_beds_per_10000", 2025).value == 30


def test_pdf_page_footer_numbers_are_dropped(pdf, one):
    _, figs, _ = pdf
    assert one(figs, "life_expectancy", 2025).value == 74
    assert ("life_expectancy", 2023, "actual") in figs
    assert all(f.value not in (1693, 17) for fs in figs.values() for f in fs)


def test_pdf_notes_become_conditions_and_label_numbers_do_not_open_rows(pdf, one):
    _, figs, _ = pdf
    a = one(figs, "full_immunisation_under1", 2023, "actual")
    assert a.value == 52.5 and "8 loại vắc xin" in a.condition
    t = one(figs, "full_immunisation_under1", 2025)
    assert t.value == 95 and t.condition.startswith("với 12 loại vắc xin")


def test_pdf_qualitative_target_and_dotted_sub_rows(pdf, one):
    _, figs, _ = pdf
    q = one(figs, "malaria_incidence_per_100000", 2025)
    assert q.qualitative and q.value is None and q.value_reported == "Loại trừ sốt rét"
    assert one(figs, "tb_incidence_per_100000", 2025).comparator == "<"


def test_pdf_rows_without_figures_are_reported_not_invented(pdf):
    ex, figs, _doc = pdf
    assert not any(k[0] == "uhc_service_coverage_index" for k in figs)
    no_fig = [u for u in ex.unmapped if u.reason_code == "no_figures"]
    assert any("uhc_service_coverage_index" in u.reason for u in no_fig)


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


def test_header_cells_on_separate_lines_bare_year_and_period_columns(read, one):
    ex, figs, _ = read(SPLIT_HEADER, title_year=2024)
    assert "pdf_table" in ex.layouts
    assert one(figs, "health_insurance_coverage", 2023, "actual").value == 91.2  # before 2024
    assert one(figs, "health_insurance_coverage", 2025, "target").value == 95
    assert one(figs, "health_insurance_coverage", 2030, "target").value == 98  # period 2026-2030
    assert one(figs, "total_fertility_rate", 2030).value == 2.1
    assert [u.reason_code for u in ex.unmapped] == ["stray_in_table"]  # nothing silently lost


def test_a_table_whose_rows_are_never_found_gives_its_text_back(read, one):
    text = (
        "Chỉ tiêu Đơn vị Kế hoạch năm 2025\n\nTỷ lệ tham gia bảo hiểm y tế đạt trên 95% dân số.\n"
    )
    _, figs, _ = read(text)
    assert one(figs, "health_insurance_coverage", 2025).value == 95
