"""Reference geography: the country, 63 provinces and 696 districts before the 1 July 2025
reform, the 34 provinces after it, and the resolver that turns a place as written into a code.

The `geo` table holds both maps, each row saying which (``map``): the places before the reform
keep their GSO codes; the 34 provinces since then get codes of their own (``2025:52`` for new
Gia Lai, whose GSO code 52 was Bình Định's), so a code never names two places. A resolver names
the places of one map (:meth:`GeoResolver.on_map`)."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import pandas as pd

from pipeline.errors import ReferenceError
from pipeline.settings import REFERENCE_DIR
from pipeline.text.lexicon import load_lexicon
from pipeline.text.normalise import fold_phrase

# The two maps, as the `geo` table's ``map`` column names them; the country is on both.
BEFORE_2025 = "before_2025_07"
FROM_2025 = "from_2025_07"
BOTH_MAPS = "both"
MAPS = (BEFORE_2025, FROM_2025)
NEW_MAP_PREFIX = "2025:"  # geo_code of a province since 1 July 2025: the prefix and its GSO code


def _read_names(path: Path) -> pd.DataFrame:
    """A reference CSV, its apostrophes as printed: the source database escaped them for SQL
    ("Ea H''leo" for Ea H'leo, README.geography.md), which no document prints."""
    df = pd.read_csv(path, dtype=str)
    for col in df.columns:
        if col.startswith(("name", "full_name", "successor_name")):
            df[col] = df[col].str.replace("''", "'", regex=False)
    return df


def geo_table(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """The `geo` table: the country, 63 pre-2025 provinces and 696 districts (GSO codes), and
    the 34 provinces since 1 July 2025 (codes ``2025:<GSO code>``); ``map`` says which map."""
    prov = _read_names(reference_dir / "provinces_before_2025_07.csv")
    dist = _read_names(reference_dir / "districts_before_2025_07.csv")
    country = pd.DataFrame(
        [
            {
                "geo_code": "VN",
                "name_vi": "Việt Nam",
                "name_en": "Viet Nam",
                "level": "country",
                "parent_code": None,
                "region_vi": None,
                "region_en": None,
                "successor_code_2025": None,
                "successor_name_2025": None,
                "full_name_vi": "Việt Nam",
                "full_name_en": "Viet Nam",
                "kind": "country",
            }
        ]
    )
    provinces = pd.DataFrame(
        {
            "geo_code": prov["code"],
            "name_vi": prov["name_vi"],
            "name_en": prov["name_en"],
            "level": "province",
            "parent_code": "VN",
            "region_vi": prov["region_vi"],
            "region_en": prov["region_en"],
            "successor_code_2025": prov["successor_code"],
            "successor_name_2025": prov["successor_name_vi"],
            "full_name_vi": prov["full_name_vi"],
            "full_name_en": prov["full_name_en"],
            "kind": prov["kind"],
        }
    )
    by_code = provinces.set_index("geo_code")
    districts = pd.DataFrame(
        {
            "geo_code": dist["code"],
            "name_vi": dist["name_vi"],
            "name_en": dist["name_en"],
            "level": "district",
            "parent_code": dist["province_code"],
            "region_vi": dist["province_code"].map(by_code["region_vi"]),
            "region_en": dist["province_code"].map(by_code["region_en"]),
            "successor_code_2025": dist["province_code"].map(by_code["successor_code_2025"]),
            "successor_name_2025": dist["province_code"].map(by_code["successor_name_2025"]),
            "full_name_vi": dist["full_name_vi"],
            "full_name_en": dist["full_name_en"],
            "kind": "district",
        }
    )
    old = pd.concat([country, provinces, districts], ignore_index=True)
    old["map"] = [BOTH_MAPS] + [BEFORE_2025] * (len(old) - 1)
    old["map_code"] = old["geo_code"]
    return pd.concat([old, _new_map_rows(reference_dir, provinces)], ignore_index=True)


def _new_map_rows(reference_dir: Path, old_provinces: pd.DataFrame) -> pd.DataFrame:
    """The provinces since 1 July 2025 as `geo` rows: their own code, the country as parent,
    themselves as successor, and the region their predecessors share (none where they differ)."""
    new = _read_names(reference_dir / "provinces_from_2025_07.csv")
    regions = old_provinces.groupby("successor_code_2025")[["region_vi", "region_en"]].agg(
        lambda v: v.iloc[0] if v.nunique() == 1 else None
    )
    return pd.DataFrame(
        {
            "geo_code": NEW_MAP_PREFIX + new["code"],
            "name_vi": new["name_vi"],
            "name_en": new["name_en"],
            "level": "province",
            "parent_code": "VN",
            "region_vi": new["code"].map(regions["region_vi"]),
            "region_en": new["code"].map(regions["region_en"]),
            "successor_code_2025": new["code"],
            "successor_name_2025": new["name_vi"],
            "full_name_vi": new["full_name_vi"],
            "full_name_en": new["full_name_en"],
            "kind": new["kind"],
            "map": FROM_2025,
            "map_code": new["code"],
        }
    )


def geo_2025_table(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """The `geo_2025` table: the 34 provinces since 1 July 2025 (a separate code namespace)."""
    df = _read_names(reference_dir / "provinces_from_2025_07.csv")
    return df[["code", "name_vi", "name_en", "kind", "full_name_vi", "full_name_en"]]


@dataclass
class GeoResolver:
    """Resolve a place as written (a sidecar's `geo`, a table row) to one geo_code.

    Names match in any case, with or without diacritics, with the tone mark on either vowel
    (``Hoà``/``Hòa``), by a former name (``geo_former_names.csv``), and with or without the
    words that open a place's name (``tỉnh``, ``huyện``, ``TP.`` …: the lexicon's
    ``geo_prefixes`` by the level they name, and ``geo_abbreviations``). A prefix is ignored
    when names are compared, except where the level it names decides between same-named places.

    A resolver names the places of one map (``map``: the country and the places before the
    1 July 2025 reform by default); :meth:`on_map` gives the resolver of the other, on which a
    place's GSO code of that map (``52``) names it too.
    """

    geo: pd.DataFrame
    lexicon: dict | None = None  # geo_prefixes, geo_abbreviations, geo_whole
    former: pd.DataFrame | None = None  # geo_former_names.csv: code, former_name_vi, ...
    map: str = BEFORE_2025
    dissolved: pd.DataFrame | None = None  # geo_dissolved.csv: units merged into another

    def __post_init__(self) -> None:
        lexicon = self.lexicon if self.lexicon is not None else load_lexicon(REFERENCE_DIR)
        self.lexicon = lexicon
        if self.former is None:
            self.former = former_names(REFERENCE_DIR) if self.map == BEFORE_2025 else None
        if self.dissolved is None:
            self.dissolved = dissolved_units(REFERENCE_DIR)
        self._maps: dict[str, GeoResolver] = {self.map: self}
        self._every_map = self.geo
        if "map" in self.geo.columns:
            on_map = self.geo["map"].isin([self.map, BOTH_MAPS])
            self.geo = self.geo[on_map].reset_index(drop=True)
        self._by_map_code = (
            dict(zip(self.geo["map_code"], self.geo["geo_code"], strict=True))
            if "map_code" in self.geo.columns
            else {}
        )
        self.prefixes = lexicon["geo_prefixes"]
        self._prefix = _prefix_regex(tuple(w for ws in self.prefixes.values() for w in ws))
        self._prefix_level = {
            fold_phrase(w): level for level, words in self.prefixes.items() for w in words
        }
        self._expand = {
            fold_phrase(short): fold_phrase(full)
            for full, shorts in lexicon["geo_abbreviations"].items()
            for short in shorts
        }
        self._whole = {
            level: {fold_phrase(w) for w in words} for level, words in lexicon["geo_whole"].items()
        }
        self._by_code = dict(zip(self.geo["geo_code"], self.geo["name_vi"], strict=True))
        self._level = dict(zip(self.geo["geo_code"], self.geo["level"], strict=True))
        self._parent = dict(zip(self.geo["geo_code"], self.geo["parent_code"], strict=True))
        self._by_key: dict[str, list[str]] = {}  # folded, without prefix
        self._exact: dict[str, list[str]] = {}  # diacritics kept, tone placement free
        self._full: dict[str, list[str]] = {}  # folded, with the prefix (abbreviations spelt out)
        for code, names in self._names().items():
            for name in names:
                for index, key in (
                    (self._by_key, self._key(name)),
                    (self._exact, _exact_key(name)),
                    (self._full, self._full_key(name)),
                ):
                    if code not in index.setdefault(key, []):
                        index[key].append(code)

    def _names(self) -> dict[str, list[str]]:
        """Every way the reference names each place: its name and full name (a district also
        with its province), and its former names."""
        names: dict[str, list[str]] = {}
        for code, name, full, level, parent in zip(
            self.geo["geo_code"],
            self.geo["name_vi"],
            self.geo["full_name_vi"],
            self.geo["level"],
            self.geo["parent_code"],
            strict=True,
        ):
            names[code] = [name, full]
            if level == "district" and parent in self._by_code:
                province = self._by_code[parent]
                names[code] += [f"{name}, {province}", f"{name} ({province})"]
        former = self.former if self.former is not None else pd.DataFrame(columns=["code"])
        for code, name in zip(former["code"], former.get("former_name_vi", []), strict=True):
            if code in names:
                names[code].append(name)
        return names

    def on_map(self, name: str) -> GeoResolver:
        """The resolver of the places on map ``name`` (``before_2025_07`` or ``from_2025_07``),
        from the same geography and lexicon (built once). Former names are names of places
        before the reform, so the map since then has none."""
        if name not in MAPS:
            raise ValueError(f"map must be one of {MAPS}, not {name!r}")
        if name not in self._maps:
            other = GeoResolver(self._every_map, self.lexicon, None, name)
            other._maps = self._maps
            self._maps[name] = other
        return self._maps[name]

    def is_within(self, code: str, parent: str) -> bool:
        """Whether place ``code`` is ``parent`` itself or lies in it (the country holds every
        place of the map; a province its districts)."""
        if code not in self._level or parent not in self._level:
            return False
        return code == parent or self._level[parent] == "country" or self._parent[code] == parent

    @classmethod
    def of(
        cls, reference_dir: Path = REFERENCE_DIR, geo: pd.DataFrame | None = None
    ) -> GeoResolver:
        """The resolver of a reference folder (its geography, former names and lexicon)."""
        geo = geo_table(reference_dir) if geo is None else geo
        return cls(
            geo,
            load_lexicon(reference_dir),
            former_names(reference_dir),
            dissolved=dissolved_units(reference_dir),
        )

    def _key(self, name: str) -> str:
        """Matching key: folded, without a leading prefix, hyphens and spaces as one space."""
        key = self._prefix.sub("", fold_phrase(name))
        return re.sub(r"[\s\-–]+", " ", key).strip()

    @cached_property
    def _dissolved_by_name(self) -> dict[tuple[str, str], tuple[str, str]]:
        """(parent, full name with its prefix, folded) -> (what it became part of, when)."""
        d = self.dissolved
        return {
            (parent, self._full_key(name)): (part_of, when)
            for parent, name, part_of, when in zip(
                d["parent_code"],
                d["full_name_vi"],
                d["part_of_code"],
                d["dissolved_on"],
                strict=True,
            )
        }

    def _full_key(self, name: str) -> str:
        """Folded with its prefix, an abbreviated prefix spelt out ('TP.' → 'thành phố')."""
        key = re.sub(r"[\s\-–]+", " ", fold_phrase(name)).strip()
        head = self._prefix.match(key)
        if head and head.group().strip() in self._expand:
            key = self._expand[head.group().strip()] + " " + key[head.end() :]
        return key

    def _named_level(self, printed: str) -> str | None:
        """The level a name's prefix names ('tỉnh' → province), None without one."""
        prefix = self._prefix.match(fold_phrase(printed))
        return self._prefix_level.get(prefix.group().strip()) if prefix else None

    def _candidates(self, text: str) -> list[str]:
        """Places a name may mean, the most specific spelling first: as written (tone placement
        aside), then by its full name with the prefix, then folded without it."""
        if self._key(text) in self._whole.get("country", ()):
            return ["VN"]
        for codes in (
            self._exact.get(_exact_key(text)),
            self._full.get(self._full_key(text)) if self._named_level(text) else None,
        ):
            if codes:
                return codes
        return self._by_key.get(self._key(text), [])

    def resolve(self, value: object) -> str:
        """The one place ``value`` names; raises ReferenceError (with close names) otherwise."""
        text = str(value).strip()
        if text in self._by_code:
            return text
        if text in self._by_map_code:  # a GSO code of this map ('52' since the reform)
            return self._by_map_code[text]
        codes = self._candidates(text)
        if len(codes) > 1:
            # a bare name means the province when exactly one province has it, not a same-named city
            provinces = [c for c in codes if self._level[c] == "province"]
            if len(provinces) == 1:
                return provinces[0]
        if len(codes) == 1:
            return codes[0]
        if len(codes) > 1:
            options = ", ".join(f"{c} ({self._by_code[c]})" for c in codes)
            raise ReferenceError(
                f"geo {text!r} is ambiguous: {options}. Use the GSO code or 'Name, Province'."
            )
        close = difflib.get_close_matches(self._key(text), list(self._by_key), n=3, cutoff=0.6)
        names = sorted({self._by_code[self._by_key[k][0]] for k in close})
        hint = f" Did you mean: {', '.join(names)}?" if names else ""
        raise ReferenceError(f"unknown geo {text!r}.{hint}")

    def within(self, parent: str, printed: str) -> Placed:
        """The place a table row names within the place ``parent`` (a district of a province,
        a province of the country, or the parent itself: 'Toàn tỉnh', 'Cả nước').

        Never a place elsewhere: a name that is not a child of ``parent``, or that two
        children share, is not placed, and the reason says why.
        """
        key = self._key(printed)
        level = self._level.get(parent)
        if level is not None and key in self._whole.get(level, ()):
            return Placed(parent, "the whole place")
        if self._named_level(printed) == level and parent in self._by_key.get(key, []):
            return Placed(parent, "the place itself")  # 'Tỉnh X' in X's own yearbook
        gone = self._dissolved_by_name.get((parent, self._full_key(printed)))
        if gone is not None:  # 'Quận Thủ Đức' is not today's Thành phố Thủ Đức
            part_of, when = gone
            return Placed(
                None,
                f"place {printed!r} was dissolved on {when}, part of "
                f"{self._by_code.get(part_of, part_of)} ({part_of}) since: its figures are not "
                "those of any place in the reference",
            )
        for index, k in ((self._exact, _exact_key(printed)), (self._by_key, key)):
            codes = [c for c in index.get(k, []) if self._parent[c] == parent]
            if len(codes) == 1:
                return Placed(codes[0], "")
        name = self._by_code.get(parent, parent)
        if len(codes) > 1:
            options = ", ".join(f"{c} ({self._by_code[c]})" for c in codes)
            return Placed(None, f"place {printed!r} is ambiguous within {name}: {options}")
        if parent in self._by_key.get(key, []):
            return Placed(parent, "the place itself")
        elsewhere = [c for c in self._by_key.get(key, []) if c != parent]
        hint = (
            " (a place of that name lies elsewhere: "
            + ", ".join(f"{c} in {self._by_code.get(self._parent[c], '-')}" for c in elsewhere[:3])
            + ")"
            if elsewhere
            else ""
        )
        return Placed(None, f"place {printed!r} is not in the reference within {name}{hint}")


@dataclass(frozen=True)
class Placed:
    """Where a row's place was found: its code, or None with the reason it was not placed."""

    code: str | None
    reason: str


_TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng (combining)


def _exact_key(name: str) -> str:
    """Case- and spacing-insensitive, diacritics kept, so names differing by a diacritic stay
    apart; but a syllable's tone mark may sit on either vowel ('Hoà'/'Hòa', 'Thuỷ'/'Thủy'):
    it is moved to the end of its syllable."""
    words = unicodedata.normalize("NFD", name).casefold().replace("-", " ").split()
    keyed = []
    for word in words:
        tones = "".join(sorted(c for c in word if c in _TONES))
        keyed.append("".join(c for c in word if c not in _TONES) + tones)
    return unicodedata.normalize("NFC", " ".join(keyed))


@lru_cache(maxsize=8)
def _prefix_regex(prefixes: tuple[str, ...]) -> re.Pattern[str]:
    words = sorted({fold_phrase(p) for p in prefixes}, key=len, reverse=True)
    return re.compile(r"^(?:" + "|".join(re.escape(w) for w in words) + r")\s+")


def dissolved_units(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Districts merged into another before the reference's cut (``geo_dissolved.csv``), each
    with its source: a yearbook may still print them, and their figures are no place's today."""
    return pd.read_csv(reference_dir / "geo_dissolved.csv", dtype=str)


def former_names(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Names places were known by before (``geo_former_names.csv``), each with its source."""
    return pd.read_csv(reference_dir / "geo_former_names.csv", dtype=str)


@lru_cache(maxsize=4)
def load_resolver(reference_dir: Path = REFERENCE_DIR) -> GeoResolver:
    """The resolver of a reference folder, built once per process (pool workers inherit it)."""
    return GeoResolver.of(reference_dir)
