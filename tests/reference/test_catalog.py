"""The indicator catalog: the real one loads and is consistent, its matcher finds indicators by
their Vietnamese names as printed (longest name first, densities only with a denominator,
context only around a phrase of the text itself), and a broken catalog stops with its file."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from pipeline.errors import ReferenceError
from pipeline.reference import Catalog, indicator_table, load_catalog, unit_table
from pipeline.settings import REFERENCE_DIR
from pipeline.text import fold

CATALOG = load_catalog(REFERENCE_DIR)
Change = Callable[[list[dict]], object]  # an edit of the list of indicators


def match(text: str, context: str = "", has_denominator: bool = False) -> list[tuple[str, int]]:
    """(code, score) of the indicators named in ``text``, best first; the matcher reads folded
    text, as the readers hand it over."""
    found = CATALOG.match(fold(text), context=fold(context), has_denominator=has_denominator)
    return [(m.code, m.score) for m in found]


def codes(text: str, context: str = "", has_denominator: bool = False) -> list[str]:
    return [code for code, _score in match(text, context, has_denominator)]


# --------------------------------------------------------------------------------- the catalog


def test_the_real_catalog_loads() -> None:
    assert len(CATALOG.indicators) == 82
    doctors = CATALOG.indicators["doctors_per_10000"]
    assert (doctors.unit, doctors.direction, doctors.sdg) == (
        "per_10000",
        "higher_is_better",
        "3.c.1",
    )
    assert doctors.requires_denominator is True
    assert CATALOG.indicators["hospital_beds_total"].requires_denominator is False
    assert {i.unit for i in CATALOG.indicators.values()} <= set(CATALOG.grammar.units)
    assert load_catalog(REFERENCE_DIR) is CATALOG  # loaded once per reference folder
    assert len(CATALOG.hash) == 16


def test_indicator_table() -> None:
    table = indicator_table(CATALOG)
    assert list(table.columns) == [
        "indicator_code",
        "name_vi",
        "name_en",
        "domain",
        "unit_code",
        "direction",
        "definition",
        "sdg_code",
        "min_plausible",
        "max_plausible",
        "aliases_vi",
    ]
    assert len(table) == len(CATALOG.indicators) and table["indicator_code"].is_unique
    assert set(table["unit_code"]) <= set(unit_table(CATALOG)["unit_code"])
    assert set(table["direction"]) == {"lower_is_better", "higher_is_better", "neutral"}
    assert (table["min_plausible"] < table["max_plausible"]).all()
    infant = table.set_index("indicator_code").loc["infant_mortality_rate"]
    assert (infant["unit_code"], infant["direction"]) == ("per_1000", "lower_is_better")
    assert (infant["min_plausible"], infant["max_plausible"]) == (0.0, 200.0)
    assert infant["aliases_vi"].startswith("tử vong + dưới 1 tuổi; tử vong + dưới 01 tuổi; ")
    height = table.set_index("indicator_code").loc["height_18_male"]
    assert (height["unit_code"], height["min_plausible"], height["max_plausible"]) == (
        "cm",
        140,
        190,
    )


def test_unit_table() -> None:
    table = unit_table(CATALOG).set_index("unit_code")
    assert list(table.columns) == ["symbol", "name_vi", "name_en", "per", "kind"]
    assert str(table["per"].dtype) == "Int64"
    assert set(table["kind"]) == {"rate", "noun", "measure"}
    assert table.loc["percent", ["symbol", "per", "kind"]].tolist() == ["%", 100, "rate"]
    assert table.loc["per_1000", ["symbol", "per"]].tolist() == ["‰", 1000]
    assert table.loc["per_10000", "per"] == 10_000
    assert table.loc["count", "kind"] == "noun"
    rates = table[table["kind"] == "rate"]
    assert rates["per"].notna().all() and table.loc[table["kind"] != "rate", "per"].isna().all()


# ------------------------------------------------------------------------------------ matching


def test_the_longest_name_wins() -> None:
    """'giường bệnh tuyến tỉnh' is a count of provincial beds, not the bed density."""
    assert match("Số giường bệnh tuyến tỉnh", has_denominator=True) == [
        ("hospital_beds_provincial", len("giuong benh") + len("tuien tinh")),
        ("patient_beds_total", len("so giuong benh")),  # a yearbook's count of beds
        ("hospital_beds_per_10000", len("giuong benh")),
    ]
    assert codes("Tổng số giường bệnh", has_denominator=True) == [
        "hospital_beds_total",
        "patient_beds_total",
        "hospital_beds_per_10000",
    ]
    assert codes("Chiều cao trung bình thanh niên 18 tuổi nam") == ["height_18_male", "height_18"]
    assert codes("Tỷ suất tử vong trẻ em dưới 1 tuổi") == ["infant_mortality_rate"]
    assert codes("Tỷ suất tử vong trẻ em dưới 5 tuổi") == ["under5_mortality_rate"]


def test_the_matching_phrases_are_returned() -> None:
    found = CATALOG.match(fold("Số giường bệnh tuyến huyện"))[0]
    assert (found.code, found.phrases) == ("hospital_beds_district", ["giuong benh", "tuien huien"])


def test_a_density_named_by_a_plain_noun_needs_a_denominator() -> None:
    """'đào tạo 2 bác sỹ chuyên khoa I' trains two doctors: it is no doctors-per-10,000 figure."""
    assert codes("đào tạo 2 bác sỹ chuyên khoa I") == []
    assert codes("đào tạo 2 bác sỹ chuyên khoa I", has_denominator=True) == ["doctors_per_10000"]
    # the caller says whether a denominator stands: without one, 'số bác sĩ' is a count
    assert codes("Số bác sĩ trên 10.000 dân") == ["doctors_total"]
    assert codes("Số bác sĩ trên 10.000 dân", has_denominator=True)[0] == "doctors_per_10000"
    assert codes("giường bệnh") == []
    assert codes("giường bệnh", has_denominator=True) == ["hospital_beds_per_10000"]
    # a count needs none; the plan's total beds outrank the yearbook's patient beds
    assert codes("Tổng số giường bệnh") == ["hospital_beds_total", "patient_beds_total"]


def test_context_helps_only_around_a_phrase_of_the_text() -> None:
    """A sub-row '- Tuyến tỉnh' under 'Số giường bệnh' is provincial beds; a cell of that row
    that names nothing ('năm 2025') is not an indicator of its own."""
    assert codes("- Tuyến tỉnh") == []
    assert codes("- Tuyến tỉnh", context="Số giường bệnh") == ["hospital_beds_provincial"]
    assert codes("- Tuyến huyện", context="Số giường bệnh") == ["hospital_beds_district"]
    assert codes("dưới 1 tuổi", context="Tỷ suất tử vong trẻ em") == ["infant_mortality_rate"]
    assert codes("năm 2025", context="Số giường bệnh tuyến tỉnh") == []
    assert codes("năm 2025", context="Tổng số giường bệnh") == []


@pytest.mark.parametrize(
    "written",
    ["bác sĩ", "bác sỹ", "Bác Sỹ", "BÁC SĨ", "bac si", "bác  sĩ", "bác\nsĩ"],
)
def test_matching_ignores_case_diacritics_y_i_and_spacing(written: str) -> None:
    assert match(written, has_denominator=True) == [("doctors_per_10000", len("bac si"))]


def test_misspellings_seen_in_print_are_aliases() -> None:
    assert codes("Số gường bệnh", has_denominator=True) == ["hospital_beds_per_10000"]
    assert codes("được sĩ đại học", has_denominator=True) == ["pharmacists_per_10000"]
    assert codes("Tỉ lệ giường bệnh tư nhân") == codes("Tỷ lệ giường bệnh tư nhân")


def test_a_result_is_not_shared_with_later_calls() -> None:
    """Results are memoised: changing one handed out must not change the next."""
    first = CATALOG.match(fold("Số giường bệnh tuyến tỉnh"))
    first[0].phrases.append("changed")
    first.clear()
    again = CATALOG.match(fold("Số giường bệnh tuyến tỉnh"))
    assert [(m.code, m.phrases) for m in again] == [
        ("hospital_beds_provincial", ["giuong benh", "tuien tinh"]),
        ("patient_beds_total", ["so giuong benh"]),
    ]


# ------------------------------------------------------------------------------ broken catalogs


@pytest.fixture()
def reference(tmp_path: Path) -> Path:
    """A writable copy of data/reference."""
    return Path(shutil.copytree(REFERENCE_DIR, tmp_path / "reference"))


def edit_indicators(reference: Path, change: Change) -> Path:
    path = reference / "indicators.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc["indicators"])
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_an_unchanged_copy_loads(reference: Path) -> None:
    edit_indicators(reference, lambda indicators: None)  # rewritten without its comments
    assert list(Catalog(reference).indicators) == list(CATALOG.indicators)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda inds: inds.append(dict(inds[0])), "indicator 'doctors_per_10000' is defined twice"),
        (
            lambda inds: inds[0].update(unit="per_10k"),
            "indicator 'doctors_per_10000' has unknown unit 'per_10k'",
        ),
        (
            lambda inds: inds[0].update(direction="up"),
            "indicator 'doctors_per_10000' has bad direction",
        ),
    ],
    ids=["duplicate-code", "unknown-unit", "bad-direction"],
)
def test_a_broken_catalog_names_its_file(reference: Path, change: Change, problem: str) -> None:
    path = edit_indicators(reference, change)
    with pytest.raises(ReferenceError) as raised:
        Catalog(reference)
    assert str(raised.value) == f"{path}: {problem}"


def test_a_misspelt_field_names_its_file_and_indicator(reference: Path) -> None:
    def misspell(indicators: list[dict]) -> None:
        indicators[0]["requires_denominater"] = indicators[0].pop("requires_denominator")

    path = edit_indicators(reference, misspell)
    with pytest.raises(ReferenceError, match=r"doctors_per_10000.*requires_denominater") as raised:
        Catalog(reference)
    assert str(path) in str(raised.value)
