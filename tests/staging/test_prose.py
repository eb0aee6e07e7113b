"""Prose: numbered objectives, bullets under year headings, lists sharing one unit."""

from __future__ import annotations

import unicodedata

import pytest

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
def prose(read):
    return read(PROSE)


def test_prose_year_from_headings_and_comparator_words(prose, one):
    _, figs, _ = prose
    le = one(figs, "life_expectancy", 2025)
    assert (le.comparator, le.value, le.unit_code_reported) == ("~", 74, "years")
    assert one(figs, "healthy_life_years", 2025).comparator == ">="
    assert one(figs, "population_health_managed", 2030).value == 95


def test_prose_sub_items_inherit_the_head_of_their_sentence(prose, one):
    _, figs, _ = prose
    u5 = one(figs, "under5_mortality_rate", 2025)
    imr = one(figs, "infant_mortality_rate", 2025)
    assert (u5.comparator, u5.value, imr.value) == ("<", 11, 9)
    assert u5.unit_code_reported == "percent"  # printed '%': corrected by harmonise, not here
    assert one(figs, "full_immunisation_under1", 2025).value == 95
    assert one(figs, "height_18_male", 2025).value == 167
    assert one(figs, "height_18_female", 2025).value == 156


def test_prose_list_sharing_one_unit_at_the_end(prose, one):
    _, figs, _ = prose
    assert one(figs, "hospital_beds_per_10000", 2025).value == 35
    assert one(figs, "doctors_per_10000", 2025).value == 10
    pharm = one(figs, "pharmacists_per_10000", 2025)  # printed 'được sĩ', a misspelling
    assert pharm.value == 1.2 and pharm.unit_code_reported == "per_10000"
    assert one(figs, "nurses_per_10000", 2025).value == 20
    assert one(figs, "private_hospital_beds_share", 2025).value == 7


def test_prose_value_first_statements(prose, one):
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


def test_numbered_objectives_in_decomposed_unicode_with_title_year(read, one):
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


def test_default_year_from_sidecar_when_text_gives_none(read, one):
    text = "- Tỷ lệ tham gia bảo hiểm y tế đạt trên 97%.\n"
    ex, figs, _ = read(text)
    assert not ex.figures and ex.unmapped[0].reason_code == "no_year"
    ex, figs, _ = read(text, default_year=2026)
    assert one(figs, "health_insurance_coverage", 2026).value == 97


def test_unnumbered_year_heading_with_colon(read, one):
    text = "Mục tiêu đến năm 2025:\n- Tỷ lệ hài lòng của người dân với dịch vụ y tế đạt trên 90%.\n"
    _, figs, _ = read(text)
    assert one(figs, "health_service_satisfaction", 2025).comparator == ">"


def test_an_increase_is_no_level_of_a_count(read) -> None:
    """The yearbooks' counts ('Số giường bệnh') must not read a plan's increase as a level:
    'tăng số giường bệnh thêm 200 giường' is no count of 200 beds."""
    ex, figs, _doc = read("Đến năm 2025: tăng số giường bệnh thêm 200 giường.\n")
    assert figs == {}
    assert [u.reason_code for u in ex.unmapped] == ["change"]
    _ex, figs, _doc = read("Đến năm 2025: tổng số giường bệnh đạt 1.200 giường.\n")
    assert [f.value for f in figs[("hospital_beds_total", 2025, "target")]] == [1200.0]


GLOSSARY = """\
Tỷ suất chết của trẻ em dưới 1 tuổi là số trẻ em dưới 1 tuổi chết tính trên 1.000 trẻ em sinh ra
sống trong năm.

Tỷ lệ trẻ em dưới 5 tuổi suy dinh dưỡng cân nặng theo tuổi là số trẻ em dưới 5 tuổi có cân nặng
theo tuổi thấp hơn 2 độ lệch chuẩn so với quần thể tham chiếu, tính trên 100 trẻ em được cân.

Tỷ số giới tính khi sinh là số bé trai sinh ra sống tính trên 100 bé gái sinh ra sống.
"""


def test_a_definitions_denominators_are_no_targets(read) -> None:
    """A yearbook's glossary page read with a year (its sidecar title's): 'trên 1.000 trẻ em',
    'trên 100 bé gái', '2 độ lệch chuẩn' are denominators and thresholds of a definition, never
    an infant mortality target of 1000 (which would stop the build)."""
    _ex, figs, _doc = read(GLOSSARY, title_year=2021)
    assert figs == {}
    # what must still read: a rate with its denominator, a share of children
    _ex, figs, _doc = read(
        "Đến năm 2025: tỷ suất chết trẻ em dưới 1 tuổi còn 12 trên 1.000 trẻ sinh sống.\n"
    )
    assert [f.value for f in figs[("infant_mortality_rate", 2025, "target")]] == [12.0]
    _ex, figs, _doc = read("Đến năm 2025: trên 95% trẻ em dưới 1 tuổi được tiêm chủng đầy đủ.\n")
    assert [f.value for f in figs[("full_immunisation_under1", 2025, "target")]] == [95.0]


def _kinds(text: str, title: str, **sidecar: object) -> dict[str, str]:
    from pipeline.reference import load_catalog
    from pipeline.staging import Context, extract
    from pipeline.text import normalise

    context = Context(2022, None, sidecar={"title": title, **sidecar})
    ex = extract(normalise(text), load_catalog(), context)
    return {f.indicator_code: f.kind for f in ex.figures}


STATISTICS_PROSE = (
    "Năm 2022, tỷ lệ trạm y tế xã có bác sĩ làm việc đạt 85%.\n"
    "Mục tiêu tỷ lệ dân số tham gia bảo hiểm y tế đạt trên 95%.\n"
)


def test_running_text_of_a_statistics_publication_reports_results():
    """A yearbook's prose states what was: an actual, unless its sentence names a target; the
    same sentence in a plan is a target."""
    yearbook = _kinds(STATISTICS_PROSE, "Niên giám thống kê tỉnh Lai Châu năm 2022")
    assert yearbook == {
        "health_stations_with_doctor": "actual",
        "health_insurance_coverage": "target",
    }
    marked = _kinds(STATISTICS_PROSE, "Báo cáo y tế năm 2022", official_statistics=True)
    assert marked["health_stations_with_doctor"] == "actual"
    plan = _kinds(STATISTICS_PROSE, "Kế hoạch y tế năm 2022")
    assert plan == {
        "health_stations_with_doctor": "target",
        "health_insurance_coverage": "target",
    }
