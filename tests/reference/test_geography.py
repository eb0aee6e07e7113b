"""Reference geography: the tables' sizes and successor codes, and the resolver that turns a
sidecar's ``geo`` (a GSO code, or a name in any case, with or without diacritics and prefixes)
into exactly one code, or stops with the options or the closest names."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.errors import ReferenceError
from pipeline.reference import GeoResolver, geo_2025_table, geo_table
from pipeline.settings import REFERENCE_DIR
from pipeline.text.lexicon import load_lexicon

GEO = geo_table(REFERENCE_DIR)
RESOLVER = GeoResolver.of(REFERENCE_DIR)


def row(code: str) -> pd.Series:
    return GEO.set_index("geo_code").loc[code]


# ------------------------------------------------------------------------------------ tables


def test_geo_table_holds_the_country_63_provinces_and_696_districts() -> None:
    old = GEO[GEO["map"] != "from_2025_07"]
    assert old["level"].value_counts().to_dict() == {"district": 696, "province": 63, "country": 1}
    assert GEO["geo_code"].is_unique
    assert row("VN")[["name_vi", "level", "parent_code"]].tolist() == ["Việt Nam", "country", None]
    assert set(GEO.loc[GEO["level"] == "province", "parent_code"]) == {"VN"}
    provinces = set(old.loc[old["level"] == "province", "geo_code"])
    assert set(GEO.loc[GEO["level"] == "district", "parent_code"]) == provinces


def test_geo_table_holds_the_34_provinces_since_the_reform_under_codes_of_their_own() -> None:
    """The map since 1 July 2025 in the same table, each row saying which map it is on: new
    Gia Lai keeps its GSO code 52 in map_code, under a geo_code that no old place has."""
    assert GEO.groupby("map")["level"].value_counts().to_dict() == {
        ("before_2025_07", "district"): 696,
        ("before_2025_07", "province"): 63,
        ("both", "country"): 1,
        ("from_2025_07", "province"): 34,
    }
    new = GEO[GEO["map"] == "from_2025_07"].set_index("map_code")
    assert new.loc["52", "geo_code"] == "2025:52" and new.loc["52", "name_vi"] == "Gia Lai"
    assert row("52")["name_vi"] == "Bình Định" and row("52")["map"] == "before_2025_07"
    assert (new["successor_code_2025"] == new.index).all()  # each is its own successor
    assert set(new.index) == set(geo_2025_table(REFERENCE_DIR)["code"])
    assert not GEO.duplicated(["map", "map_code"]).any()
    # the region of a new province is its predecessors' where they share one, else none
    assert row("2025:12")["region_en"] == row("12")["region_en"] == "Northwest"
    assert pd.isna(row("2025:52")["region_en"])  # Gia Lai and Bình Định lay in two regions


def test_geo_2025_table_holds_34_provinces() -> None:
    geo_2025 = geo_2025_table(REFERENCE_DIR)
    assert len(geo_2025) == 34 and geo_2025["code"].is_unique
    assert list(geo_2025.columns) == [
        "code",
        "name_vi",
        "name_en",
        "kind",
        "full_name_vi",
        "full_name_en",
    ]


def test_successors_are_provinces_of_2025() -> None:
    """Codes are two namespaces: Kon Tum (62) became part of Quảng Ngãi (51 since 2025), and
    Bình Định's old code 52 is new Gia Lai's."""
    new_names = geo_2025_table(REFERENCE_DIR).set_index("code")["name_vi"]
    below_country = GEO[GEO["level"] != "country"]
    assert below_country["successor_code_2025"].notna().all()
    named = below_country["successor_code_2025"].map(new_names)
    assert named.tolist() == below_country["successor_name_2025"].tolist()
    assert (
        below_country.loc[below_country["level"] == "province", "successor_code_2025"].nunique()
        == 34
    )
    assert tuple(row("62")[["successor_code_2025", "successor_name_2025"]]) == ("51", "Quảng Ngãi")
    assert tuple(row("52")[["name_vi", "successor_name_2025"]]) == ("Bình Định", "Gia Lai")
    assert row("64")["successor_code_2025"] == "52"  # old Gia Lai is new Gia Lai, code 52
    tam_duong = row("106")  # a district inherits its province's successor and region
    assert (tam_duong["name_vi"], tam_duong["parent_code"]) == ("Tam Đường", "12")
    assert (tam_duong["successor_code_2025"], tam_duong["region_en"]) == (
        "12",
        row("12")["region_en"],
    )


# ---------------------------------------------------------------------------------- resolver


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("62", "62"),  # GSO codes as they are
        ("106", "106"),
        ("VN", "VN"),
        (" 62 ", "62"),
        ("Kon Tum", "62"),  # the province, not the same-named city 608
        ("kon tum", "62"),
        ("KON TUM", "62"),
        ("Đắk Lắk", "66"),
        ("dak lak", "66"),
        ("Bà Rịa - Vũng Tàu", "77"),
        ("ba ria vung tau", "77"),
        ("Tuyên Quang", "08"),
        ("Việt Nam", "VN"),
    ],
)
def test_resolve_codes_and_names_in_any_case_and_spelling(written: str, code: str) -> None:
    assert RESOLVER.resolve(written) == code


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("tỉnh Kon Tum", "62"),
        ("Tỉnh Kon Tum", "62"),
        ("tinh kon tum", "62"),
        ("Huyện Tam Đường", "106"),
        ("huyện tam đường", "106"),
        ("Huyện Mường Tè", "107"),
        ("huyen muong te", "107"),
        ("HUYỆN MƯỜNG TÈ", "107"),
        ("Thành phố Kon Tum", "608"),  # the city's full name names the city
        ("TP. Hồ Chí Minh", "79"),
        ("TP Hồ Chí Minh", "79"),
        ("Thành phố Hồ Chí Minh", "79"),
        ("TP. Vinh", "412"),
        ("Quận Tân Phú", "767"),
        ("Thị xã Sơn Tây", "269"),
    ],
)
def test_resolve_names_with_a_prefix(written: str, code: str) -> None:
    assert RESOLVER.resolve(written) == code


def test_the_prefixes_are_the_lexicons() -> None:
    """Prefixes are data; 'huyện' folds to 'huien' (y->i), and is stripped in that form."""
    prefixes = load_lexicon(REFERENCE_DIR)["geo_prefixes"]
    words = {w for ws in prefixes.values() for w in ws}
    assert {"tỉnh", "huyện", "tp.", "thành phố"} <= words
    assert RESOLVER.prefixes == GeoResolver(GEO).prefixes == prefixes
    lexicon = load_lexicon(REFERENCE_DIR)
    without = GeoResolver(GEO, lexicon | {"geo_prefixes": {k: [] for k in prefixes}})
    for written, code in [("huyện Tam Đường, Lai Châu", "106"), ("TP. Vinh", "412")]:
        assert RESOLVER.resolve(written) == code
        with pytest.raises(ReferenceError, match=rf"^unknown geo {written!r}"):
            without.resolve(written)


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("Tam Đường, Lai Châu", "106"),
        ("Tam Duong, Lai Chau", "106"),
        ("Tam Đường (Lai Châu)", "106"),
        ("huyện Tam Đường, Lai Châu", "106"),
        ("An Lão, Hải Phòng", "313"),
        ("an lao, binh dinh", "542"),
        ("Châu Thành, Tiền Giang", "821"),
        ("Châu Thành, Kiên Giang", "905"),
        ("Tân Phú, Đồng Nai", "734"),
    ],
)
def test_resolve_a_district_by_name_and_province(written: str, code: str) -> None:
    assert RESOLVER.resolve(written) == code


@pytest.mark.parametrize(
    ("written", "province", "city"),
    [("Kon Tum", "62", "608"), ("Lào Cai", "10", "080"), ("Hoà Bình", "17", "961")],
)
def test_a_bare_name_prefers_the_unique_province(written: str, province: str, city: str) -> None:
    assert row(city)["name_vi"] == written  # a district of that very name exists
    assert RESOLVER.resolve(written) == province


@pytest.mark.parametrize(
    ("written", "options"),
    [
        ("An Lão", ["313", "542"]),  # districts of Hải Phòng and Bình Định
        ("Cai Lậy", ["817", "820"]),  # a town and a district of Tiền Giang
        ("Hoàng Mai", ["008", "432"]),
        ("Tam Duong", ["106", "247"]),  # Tam Đường (Lai Châu) and Tam Dương (Vĩnh Phúc) fold alike
        ("huyen Tam Duong", ["106", "247"]),
        ("Châu Thành", ["708", "808", "821", "831", "847", "877", "892", "905", "933", "942"]),
    ],
)
def test_an_ambiguous_name_lists_the_options(written: str, options: list[str]) -> None:
    with pytest.raises(ReferenceError) as raised:
        RESOLVER.resolve(written)
    message = str(raised.value)
    assert message.startswith(f"geo {written!r} is ambiguous: ")
    assert message.endswith("Use the GSO code or 'Name, Province'.")
    listed = message.split(" is ambiguous: ")[1].split(". Use")[0].split(", ")
    assert [o.split(" ")[0] for o in listed] == options


def test_diacritics_tell_apart_names_that_fold_alike() -> None:
    assert RESOLVER.resolve("Tam Đường") == "106"
    assert RESOLVER.resolve("Tam Dương") == "247"


@pytest.mark.parametrize(
    ("written", "suggested"),
    [("Kon Tumm", ["Kon Tum"]), ("Lao Kai", ["Lào Cai"]), ("Dak Lakk", ["Đắk Lắk"])],
)
def test_an_unknown_name_suggests_close_ones(written: str, suggested: list[str]) -> None:
    with pytest.raises(
        ReferenceError, match=rf"^unknown geo {written!r}\. Did you mean: "
    ) as raised:
        RESOLVER.resolve(written)
    names = str(raised.value).split("Did you mean: ")[1].rstrip("?").split(", ")
    assert set(suggested) <= set(names) and len(names) <= 3


def test_an_unknown_code_or_name_without_close_ones_says_so() -> None:
    for written in ("999", "Xyz"):
        with pytest.raises(ReferenceError) as raised:
            RESOLVER.resolve(written)
        assert str(raised.value) == f"unknown geo {written!r}."


@pytest.mark.parametrize(
    ("written", "code"),
    [("thanh pho kon tum", "608"), ("TP. Kon Tum", "608"), ("huyen dien bien", "100")],
)
def test_a_prefix_naming_a_city_or_district_is_kept(written: str, code: str) -> None:
    assert RESOLVER.resolve(written) == code


def test_tone_mark_placement_does_not_change_the_place() -> None:
    assert RESOLVER.resolve("Hòa Bình") == RESOLVER.resolve("Hoà Bình") == "17"


# ------------------------------------------------------- a table row's place within a parent


@pytest.mark.parametrize(
    ("parent", "printed", "code"),
    [
        ("62", "Huyện Đăk Hà", "615"),  # a district of the document's province
        ("62", "huyện kon plông", "613"),  # any case, the prefix folded ('huyen' → 'huien')
        ("62", "Thành phố Kon Tum", "608"),  # the provincial city, not the province
        ("62", "Tỉnh Kon Tum", "62"),  # the prefix names the province's level
        ("62", "TOÀN TỈNH", "62"),  # the whole-province row
        ("VN", "CẢ NƯỚC", "VN"),
        ("VN", "Whole country", "VN"),
        ("VN", "TP. Hồ Chí Minh", "79"),
        ("12", "Huyện Mường Tè", "107"),
    ],
)
def test_a_row_is_placed_within_its_documents_place(parent, printed, code):
    assert RESOLVER.within(parent, printed).code == code


def test_a_same_named_place_elsewhere_is_never_taken():
    """Mường Tè is a district of Lai Châu (12), not of Kon Tum (62): not placed, and said why."""
    placed = RESOLVER.within("62", "Huyện Mường Tè")
    assert placed.code is None
    assert "not in the reference within Kon Tum" in placed.reason
    assert "107 in Lai Châu" in placed.reason


def test_a_name_two_children_share_is_not_placed():
    """Tiền Giang (82) has both the town (817) and the district (820) Cai Lậy: the bare name is
    ambiguous, the full names are not."""
    bare = RESOLVER.within("82", "Cai Lậy")
    assert bare.code is None and "ambiguous" in bare.reason
    assert "817" in bare.reason and "820" in bare.reason
    assert RESOLVER.within("82", "Huyện Cai Lậy").code == "820"
    assert RESOLVER.within("82", "Thị xã Cai Lậy").code == "817"


# ------------------------------------------------------------------- names as printed


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("Việt Nam", "VN"),
        ("Toàn quốc", "VN"),
        ("Cả nước", "VN"),
        ("whole country", "VN"),
        ("Thừa Thiên Huế", "46"),  # the province's name until 2025: today's Huế
        ("Tỉnh Thừa Thiên Huế", "46"),
        ("thua thien hue", "46"),
        ("Bà Rịa - Vũng Tàu", "77"),
        ("Bà Rịa-Vũng Tàu", "77"),
        ("tỉnh Bà Rịa – Vũng Tàu", "77"),
        ("TP. Hồ Chí Minh", "79"),
        ("TP Hồ Chí Minh", "79"),
        ("Thành phố Hồ Chí Minh", "79"),
        ("Hoà Bình", "17"),
        ("Khánh Hoà", "56"),
        ("Khánh Hòa", "56"),
        ("Thanh Hoá", "38"),
    ],
)
def test_names_as_printed(written: str, code: str) -> None:
    assert RESOLVER.resolve(written) == code


def test_a_former_name_places_a_row_too() -> None:
    assert RESOLVER.within("VN", "Thừa Thiên Huế").code == "46"
    assert RESOLVER.within("VN", "Thừa Thiên - Huế").code == "46"


def test_every_former_name_cites_its_source() -> None:
    former = pd.read_csv(REFERENCE_DIR / "geo_former_names.csv", dtype=str)
    assert former["source"].str.len().min() > 20
    assert set(former["code"]) <= set(GEO["geo_code"])


# ------------------------------------------------------------------- the map since the reform

NEW = RESOLVER.on_map("from_2025_07")


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("Gia Lai", "2025:52"),  # new Gia Lai, not the old one (64)
        ("tỉnh Gia Lai", "2025:52"),
        ("52", "2025:52"),  # a GSO code of the new map
        ("2025:52", "2025:52"),
        ("Quảng Ngãi", "2025:51"),
        ("Huế", "2025:46"),
        ("Việt Nam", "VN"),
    ],
)
def test_the_resolver_of_the_new_map_names_its_provinces(written: str, code: str) -> None:
    assert NEW.resolve(written) == code


def test_each_map_names_its_own_places() -> None:
    assert RESOLVER.resolve("Gia Lai") == "64" and RESOLVER.resolve("52") == "52"  # Bình Định
    assert RESOLVER.on_map("before_2025_07") is RESOLVER
    assert NEW.on_map("before_2025_07") is RESOLVER and RESOLVER.on_map("from_2025_07") is NEW
    for gone in ("Kon Tum", "Tam Đường", "Thừa Thiên Huế"):  # merged, a district, a former name
        with pytest.raises(ReferenceError, match=rf"^unknown geo {gone!r}"):
            NEW.resolve(gone)
    with pytest.raises(ValueError, match="map must be one of"):
        RESOLVER.on_map("2030")


def test_is_within_follows_the_hierarchy_of_a_map() -> None:
    assert RESOLVER.is_within("106", "12") and RESOLVER.is_within("106", "VN")
    assert RESOLVER.is_within("12", "12") and not RESOLVER.is_within("12", "106")
    assert not RESOLVER.is_within("107", "62")  # Mường Tè is in Lai Châu
    assert NEW.is_within("2025:52", "VN") and not RESOLVER.is_within("2025:52", "VN")


def test_a_dissolved_district_is_not_the_place_that_took_its_name():
    """Quận Thủ Đức was merged with Quận 2 and Quận 9 into Thành phố Thủ Đức (769) in 2021:
    a yearbook's row for the old district is not placed, and the reason says what happened."""
    for printed in ("Quận Thủ Đức", "Q. Thủ Đức", "Quận 9"):
        placed = RESOLVER.within("79", printed)
        assert placed.code is None and "dissolved on 2021-01-01" in placed.reason
        assert "769" in placed.reason
    assert RESOLVER.within("79", "Thành phố Thủ Đức").code == "769"
    assert RESOLVER.within("79", "Thủ Đức").code == "769"


def test_apostrophes_are_read_as_printed():
    """The source CSV doubles five apostrophes (SQL escaping): names keep one, as printed."""
    assert GEO.loc[GEO["geo_code"] == "645", "name_vi"].item() == "Ea H'leo"
    assert RESOLVER.within("66", "Huyện Ea H'leo").code == "645"
    assert RESOLVER.within("66", "M'Đrắk").code == "652"
    assert not GEO["name_vi"].str.contains("''").any()
