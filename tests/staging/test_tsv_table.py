"""Tab-separated tables with year columns."""

from __future__ import annotations

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


def test_tsv_year_columns_estimate_and_duplicate_row_numbers(read, one):
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


PORTAL_TABS = (
    "Chỉ tiêu\tĐơn vị tính\t2020\t2021\tSơ bộ 2022\n"
    "Số cơ sở y tế\tCơ sở\t192\t192\t193\n"
    "Số bác sĩ\tNgười\t1.520\t1.588\t1.640\n"
    "Số xã đạt tiêu chí quốc gia về y tế\tXã\t142\t150\t158\n"
)


def test_a_portal_table_copied_with_tabs(read_page):
    """A statistics portal's table copied from a browser: the unit cell 'Cơ sở' before a figure
    does not make it a label number ('số 192'); 'Sơ bộ 2022' is preliminary; a count of
    communes ('Xã') is no percentage of them."""
    ex, _doc = read_page(PORTAL_TABS, "An Giang")
    got = {(f.indicator_code, f.year): (f.value, f.preliminary, f.kind) for f in ex.figures}
    assert got == {
        ("health_establishments_total", 2020): (192.0, False, "actual"),
        ("health_establishments_total", 2021): (192.0, False, "actual"),
        ("health_establishments_total", 2022): (193.0, True, "actual"),
        ("doctors_total", 2020): (1520.0, False, "actual"),
        ("doctors_total", 2021): (1588.0, False, "actual"),
        ("doctors_total", 2022): (1640.0, True, "actual"),
    }
    assert [u.reason_code for u in ex.unmapped] == ["count_of_share"]
