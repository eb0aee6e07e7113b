"""Reference geography: the country, 63 provinces and 696 districts before the 1 July 2025
reform, the 34 provinces after it, and the resolver that turns a place as written into a code."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from pipeline.errors import ReferenceError
from pipeline.settings import REFERENCE_DIR
from pipeline.text.lexicon import load_lexicon
from pipeline.text.normalise import fold_phrase


def geo_table(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """The `geo` table: country, 63 pre-2025 provinces and 696 districts, GSO codes."""
    prov = pd.read_csv(reference_dir / "provinces_before_2025_07.csv", dtype=str)
    dist = pd.read_csv(reference_dir / "districts_before_2025_07.csv", dtype=str)
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
    return pd.concat([country, provinces, districts], ignore_index=True)


def geo_2025_table(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """The `geo_2025` table: the 34 provinces since 1 July 2025 (a separate code namespace)."""
    df = pd.read_csv(reference_dir / "provinces_from_2025_07.csv", dtype=str)
    return df[["code", "name_vi", "name_en", "kind", "full_name_vi", "full_name_en"]]


@dataclass
class GeoResolver:
    """Resolve a sidecar's `geo` (a name in any spelling, or a GSO code) to one geo_code.

    ``prefixes`` are the words that may open a place's name (``tỉnh``, ``huyện`` ...: the
    lexicon's ``geo_prefixes``, by the level they name); they are ignored when names are
    compared, except that a level named by one is honoured where it decides.
    """

    geo: pd.DataFrame
    prefixes: dict[str, list[str]] | None = None  # lexicon geo_prefixes, by level
    whole: dict[str, list[str]] | None = None  # lexicon geo_whole: 'cả nước', 'toàn tỉnh' ...

    def __post_init__(self) -> None:
        lexicon = None
        if self.prefixes is None or self.whole is None:
            lexicon = load_lexicon(REFERENCE_DIR)
        if self.prefixes is None:
            self.prefixes = lexicon["geo_prefixes"]
        if self.whole is None:
            self.whole = lexicon["geo_whole"]
        self._prefix = _prefix_regex(tuple(w for ws in self.prefixes.values() for w in ws))
        self._prefix_level = {
            fold_phrase(w): level for level, words in self.prefixes.items() for w in words
        }
        self._whole = {
            level: {fold_phrase(w) for w in words} for level, words in self.whole.items()
        }
        self._by_code = dict(zip(self.geo["geo_code"], self.geo["name_vi"], strict=True))
        self._level = dict(zip(self.geo["geo_code"], self.geo["level"], strict=True))
        self._parent = dict(zip(self.geo["geo_code"], self.geo["parent_code"], strict=True))
        self._by_key: dict[str, list[str]] = {}
        self._exact: dict[str, list[str]] = {}
        for code, name, full, level, parent in zip(
            self.geo["geo_code"],
            self.geo["name_vi"],
            self.geo["full_name_vi"],
            self.geo["level"],
            self.geo["parent_code"],
            strict=True,
        ):
            keys = {self._key(name), self._key(full)}
            if level == "district" and parent in self._by_code:
                keys.add(self._key(f"{name}, {self._by_code[parent]}"))
                keys.add(self._key(f"{name} ({self._by_code[parent]})"))
            for k in keys:
                self._by_key.setdefault(k, []).append(code)
            exact_keys = {_exact_key(name), _exact_key(full)}
            if level == "district" and parent in self._by_code:
                exact_keys.add(_exact_key(f"{name}, {self._by_code[parent]}"))
            for k in exact_keys:
                self._exact.setdefault(k, []).append(code)

    @classmethod
    def of(
        cls, reference_dir: Path = REFERENCE_DIR, geo: pd.DataFrame | None = None
    ) -> GeoResolver:
        """The resolver of a reference folder (its geography and its lexicon's prefixes)."""
        geo = geo_table(reference_dir) if geo is None else geo
        lexicon = load_lexicon(reference_dir)
        return cls(geo, lexicon["geo_prefixes"], lexicon["geo_whole"])

    def _key(self, name: str) -> str:
        """Matching key: folded, without a leading prefix, hyphens and spaces as one space."""
        key = self._prefix.sub("", fold_phrase(name))
        return re.sub(r"[\s\-–]+", " ", key).strip()

    def resolve(self, value: object) -> str:
        text = str(value).strip()
        if text in self._by_code:
            return text
        exact = self._exact.get(_exact_key(text), [])
        codes = exact if exact else self._by_key.get(self._key(text), [])
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
        prefix = self._prefix.match(fold_phrase(printed))
        named_level = self._prefix_level.get(prefix.group().strip()) if prefix else None
        if named_level == level and parent in self._by_key.get(key, []):
            return Placed(parent, "the place itself")  # 'Tỉnh X' in X's own yearbook
        exact = [c for c in self._exact.get(_exact_key(printed), []) if self._parent[c] == parent]
        folded = [c for c in self._by_key.get(key, []) if self._parent[c] == parent]
        for codes in (exact, folded):
            if len(codes) == 1:
                return Placed(codes[0], "")
        name = self._by_code.get(parent, parent)
        if folded:
            options = ", ".join(f"{c} ({self._by_code[c]})" for c in folded)
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


def _exact_key(name: str) -> str:
    """Case- and spacing-insensitive, diacritics kept: names differing by diacritics stay apart."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().replace("-", " ").split())


@lru_cache(maxsize=8)
def _prefix_regex(prefixes: tuple[str, ...]) -> re.Pattern[str]:
    words = sorted({fold_phrase(p) for p in prefixes}, key=len, reverse=True)
    return re.compile(r"^(?:" + "|".join(re.escape(w) for w in words) + r")\s+")


@lru_cache(maxsize=4)
def load_resolver(reference_dir: Path = REFERENCE_DIR) -> GeoResolver:
    """The resolver of a reference folder, built once per process (pool workers inherit it)."""
    return GeoResolver.of(reference_dir)
