"""The indicator catalog (``indicators.yaml``): names, units, directions, plausible ranges and
the aliases a label is matched by; and the `unit` and `indicator` tables built from it."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from pipeline.errors import ReferenceError, did_you_mean
from pipeline.settings import REFERENCE_DIR
from pipeline.text.grammar import Grammar
from pipeline.text.normalise import fold_phrase, phrase_needle, phrase_pieces, phrase_regex
from pipeline.yaml_load import safe_load as safe_yaml

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


_OPTIONAL_FIELDS = {"requires_denominator"}


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
        doc = safe_yaml(raw.decode("utf-8"))
        self.grammar = Grammar(reference_dir)
        self.indicators: dict[str, Indicator] = {}
        fields = set(Indicator.__dataclass_fields__)
        for entry in doc["indicators"]:
            unknown = sorted(set(entry) - fields)
            if unknown:
                hint = did_you_mean(unknown[0], fields)
                raise ReferenceError(
                    f"{path}: indicator {entry.get('code')!r}: unknown field {unknown[0]!r}{hint}"
                )
            missing = sorted(f for f in fields - set(entry) if f not in _OPTIONAL_FIELDS)
            if missing:
                raise ReferenceError(
                    f"{path}: indicator {entry.get('code')!r}: missing field {missing[0]!r}"
                )
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
