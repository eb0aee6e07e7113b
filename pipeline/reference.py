"""Reference layer: geography (before and after the 2025 reform), units, indicator catalog."""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from pipeline.grammar import Grammar
from pipeline.text import fold_phrase, phrase_needle, phrase_pieces, phrase_regex

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "data" / "reference"


class ReferenceError(ValueError):
    """Reference data that cannot be used; the message names the file and entry."""


# ----------------------------------------------------------------------------------- geography


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
    """Resolve a sidecar's `geo` (a name in any spelling, or a GSO code) to one geo_code."""

    geo: pd.DataFrame

    def __post_init__(self) -> None:
        self._by_code = dict(zip(self.geo["geo_code"], self.geo["name_vi"], strict=True))
        self._level = dict(zip(self.geo["geo_code"], self.geo["level"], strict=True))
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
            keys = {_geo_key(name), _geo_key(full)}
            if level == "district" and parent in self._by_code:
                keys.add(_geo_key(f"{name}, {self._by_code[parent]}"))
                keys.add(_geo_key(f"{name} ({self._by_code[parent]})"))
            for k in keys:
                self._by_key.setdefault(k, []).append(code)
            exact_keys = {_exact_key(name), _exact_key(full)}
            if level == "district" and parent in self._by_code:
                exact_keys.add(_exact_key(f"{name}, {self._by_code[parent]}"))
            for k in exact_keys:
                self._exact.setdefault(k, []).append(code)

    def resolve(self, value: object) -> str:
        text = str(value).strip()
        if text in self._by_code:
            return text
        exact = self._exact.get(_exact_key(text), [])
        codes = exact if exact else self._by_key.get(_geo_key(text), [])
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
        close = difflib.get_close_matches(_geo_key(text), list(self._by_key), n=3, cutoff=0.6)
        names = sorted({self._by_code[self._by_key[k][0]] for k in close})
        hint = f" Did you mean: {', '.join(names)}?" if names else ""
        raise ReferenceError(f"unknown geo {text!r}.{hint}")


def _exact_key(name: str) -> str:
    """Case- and spacing-insensitive, diacritics kept: names differing by diacritics stay apart."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().replace("-", " ").split())


def _geo_key(name: str) -> str:
    key = fold_phrase(name)
    key = re.sub(r"^(tinh|thanh pho|tp\.?|huyen|quan|thi xa|thi tran)\s+", "", key)
    return re.sub(r"[\s\-–]+", " ", key).strip()


# ------------------------------------------------------------------------------------- catalog


_MATCH_MEMO_SIZE = 20_000


@dataclass
class Indicator:
    code: str
    name_vi: str
    name_en: str
    domain: str
    unit: str
    direction: str
    definition: str
    sdg: str | None
    range: list[float]
    match: list
    requires_denominator: bool = False


@dataclass
class Match:
    code: str
    score: int
    phrases: list[str] = field(default_factory=list)


class Catalog:
    """The indicator catalog and its name matcher."""

    def __init__(self, reference_dir: Path = REFERENCE_DIR):
        path = reference_dir / "indicators.yaml"
        raw = path.read_bytes()
        self.hash = hashlib.sha256(raw).hexdigest()[:16]
        doc = yaml.safe_load(raw.decode("utf-8"))
        self.grammar = Grammar(reference_dir)
        self.indicators: dict[str, Indicator] = {}
        for entry in doc["indicators"]:
            ind = Indicator(**entry)
            if ind.code in self.indicators:
                raise ReferenceError(f"{path}: indicator {ind.code!r} is defined twice")
            if ind.unit not in self.grammar.units:
                raise ReferenceError(
                    f"{path}: indicator {ind.code!r} has unknown unit {ind.unit!r}"
                )
            if ind.direction not in {"lower_is_better", "higher_is_better", "neutral"}:
                raise ReferenceError(f"{path}: indicator {ind.code!r} has bad direction")
            self.indicators[ind.code] = ind
        phrases: dict[str, re.Pattern[str]] = {}
        self._patterns: list[tuple[str, list[str]]] = []
        for ind in self.indicators.values():
            for entry in ind.match:
                group = [fold_phrase(p) for p in (entry if isinstance(entry, list) else [entry])]
                for p in group:
                    phrases.setdefault(p, re.compile(phrase_regex(p)))
                self._patterns.append((ind.code, group))
        self._phrases = phrases
        # Every match of a phrase's regex contains each of its words (split at " " and "/") as
        # a literal substring, so a phrase with a missing word is skipped without its regex.
        self._pieces = {p: tuple(x for x in phrase_pieces(p) if x) for p in phrases}
        # the phrases by their longest word: a word missing from the text rules out them all
        self._by_needle: dict[str, list[str]] = {}
        for p in phrases:
            self._by_needle.setdefault(phrase_needle(p), []).append(p)
        # match() results by (text, context, has_denominator): label regions recur across
        # documents ("Tỷ lệ tham gia bảo hiểm y tế"); bounded, cleared when full.
        self._memo: dict[tuple[str, str, bool], tuple[tuple[str, int, tuple[str, ...]], ...]] = {}

    def unit_hash(self) -> str:
        return self.hash

    def match(self, text: str, context: str = "", has_denominator: bool = False) -> list[Match]:
        """Indicators whose names occur in ``text`` (folded), best first.

        With ``context`` (e.g. the parent row or the head of a sentence), phrases may come from
        it, but at least one phrase of the winning name must stand in ``text`` itself.
        """
        key = (text, context, has_denominator)
        found = self._memo.get(key)
        if found is None:
            found = self._match(text, context, has_denominator)
            if len(self._memo) >= _MATCH_MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = found
        return [Match(code, score, list(group)) for code, score, group in found]

    def _match(
        self, text: str, context: str, has_denominator: bool
    ) -> tuple[tuple[str, int, tuple[str, ...]], ...]:
        full = f"{context} | {text}" if context else text
        cut = len(full) - len(text)
        found: dict[str, list[tuple[int, int]]] = {}
        pieces, phrases = self._pieces, self._phrases
        for needle, group in self._by_needle.items():
            if needle not in full:
                continue
            for p in group:
                if not all(x in full for x in pieces[p]):
                    continue
                spans = [(m.start(), m.end()) for m in phrases[p].finditer(full)]
                if spans:
                    found[p] = spans
        best: dict[str, tuple[str, int, tuple[str, ...]]] = {}
        for code, group in self._patterns:
            if not all(p in found for p in group):
                continue
            if context and not any(s >= cut for p in group for s, _e in found[p]):
                continue
            ind = self.indicators[code]
            if ind.requires_denominator and not has_denominator:
                continue
            score = sum(len(p) for p in group)
            if code not in best or score > best[code][1]:
                best[code] = (code, score, tuple(group))
        return tuple(sorted(best.values(), key=lambda m: -m[1]))


@lru_cache(maxsize=4)
def load_catalog(reference_dir: Path = REFERENCE_DIR) -> Catalog:
    return Catalog(reference_dir)


def unit_table(catalog: Catalog) -> pd.DataFrame:
    rows = [
        {
            "unit_code": u.code,
            "symbol": u.symbol,
            "name_vi": u.name_vi,
            "name_en": u.name_en,
            "per": u.per,
            "kind": u.kind,
        }
        for u in catalog.grammar.units.values()
    ]
    return pd.DataFrame(rows).astype({"per": "Int64"})


def indicator_table(catalog: Catalog) -> pd.DataFrame:
    rows = []
    for ind in catalog.indicators.values():
        rows.append(
            {
                "indicator_code": ind.code,
                "name_vi": ind.name_vi,
                "name_en": ind.name_en,
                "domain": ind.domain,
                "unit_code": ind.unit,
                "direction": ind.direction,
                "definition": ind.definition,
                "sdg_code": ind.sdg,
                "min_plausible": float(ind.range[0]),
                "max_plausible": float(ind.range[1]),
                "aliases_vi": "; ".join(
                    " + ".join(e) if isinstance(e, list) else e for e in ind.match
                ),
            }
        )
    return pd.DataFrame(rows)
