"""The sidecar (``<source_id>.yaml``): what the build needs to know about a document.

Read by :mod:`pipeline.sources.strict_yaml` (every value is the text written), then each key is
checked against its type: text, a date or year, a plausible year, a URL, a place. A place name
that also names a city or district is resolved to the province, and the build says so.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import InputError, did_you_mean
from pipeline.reference import GeoResolver
from pipeline.settings import MAX_SIDECAR_BYTES, PLAUSIBLE_YEARS, relative
from pipeline.sources.places import document_map, document_place
from pipeline.sources.strict_yaml import YamlMap, load_strict
from pipeline.text import fold_phrase

TEXT_KEYS = ("title", "title_en", "issuer", "doc_number", "notes")
SIDECAR_KEYS = {  # key -> required
    "geo": True,
    "title": True,
    "title_en": False,
    "issuer": False,
    "issued_on": False,
    "doc_number": False,
    "url": False,
    "default_year": False,
    "source_id": False,
    "notes": False,
    # tables and official statistics (pipeline/sources/table_spec.py checks them); the map the
    # document names its places on, where its issue date does not say (pipeline/sources/places.py)
    "table": False,
    "official_statistics": False,
    "geo_map": False,
}
MAPPING_KEYS = ("table",)  # the one key whose value is a mapping (table_spec checks it)
SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")  # source ids and the file names they come from
_ISSUED = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")  # 2024, 2024-05, 2024-05-21
_URL = re.compile(r"https?://\S+")


@dataclass
class Sidecar:
    """A checked sidecar: its values (typed), the place it resolved to, what to tell the user."""

    meta: dict
    geo_code: str
    notes: list[str] = field(default_factory=list)  # said in the build output

    @property
    def source_id(self) -> str | None:
        return self.meta.get("source_id")


def _exact(name: str) -> str:
    """Case- and spacing-insensitive, diacritics kept (a district "Đường" is not "Dương")."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


@dataclass
class Places:
    """The resolver and, built once per discovery and map, every place by code and by name
    (exact and without diacritics): looking places up in the geography frame per sidecar took
    seconds."""

    resolver: GeoResolver
    by_code: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # name, full, level
    by_name: dict[str, list[str]] = field(default_factory=dict)
    _maps: dict[str, Places] = field(default_factory=dict)

    @classmethod
    def of(cls, resolver: GeoResolver) -> Places:
        places = cls(resolver)
        geo = resolver.geo
        for code, name, full, level in zip(
            geo["geo_code"], geo["name_vi"], geo["full_name_vi"], geo["level"], strict=True
        ):
            places.by_code[code] = (name, full, level)
            places.by_name.setdefault("=" + _exact(name), []).append(code)
            places.by_name.setdefault("~" + fold_phrase(name), []).append(code)
        return places

    def on_map(self, name: str) -> Places:
        """The places of map ``name`` (``pipeline.reference.geography.MAPS``), built once."""
        if name not in self._maps:
            self._maps[name] = Places.of(self.resolver.on_map(name))
        return self._maps[name]


def read_sidecar(path: Path, places: Places | GeoResolver) -> Sidecar:
    """The checked sidecar ``path``: typed values, the resolved geo code, notes for the user."""
    where = relative(path)
    meta = load_strict(path, MAX_SIDECAR_BYTES, "sidecar", where)
    if not isinstance(meta, YamlMap):
        raise InputError(f"{where}: a sidecar must be a mapping of keys (geo, title, ...)")
    for key in meta:
        if key not in SIDECAR_KEYS:
            raise InputError(
                f"{where}, line {meta.line_of(key)}: unknown key {key!r}"
                f"{did_you_mean(key, SIDECAR_KEYS)}"
            )
    for key, required in SIDECAR_KEYS.items():
        if required and meta.get(key) in (None, ""):
            raise InputError(f"{where}: required key {key!r} is missing")
    for key, value in meta.items():
        if value is not None and not isinstance(value, str) and key not in MAPPING_KEYS:
            kind = "a list" if isinstance(value, list) else "a mapping"
            raise InputError(
                f"{where}, line {meta.line_of(key)}: key {key!r} must be text, got {kind}"
            )
    out = {k: v for k, v in meta.items() if v is not None}
    line = meta.line_of
    if "issued_on" in out:
        out["issued_on"] = _issued_on(out["issued_on"], f"{where}, line {line('issued_on')}")
    if "default_year" in out:
        out["default_year"] = _year(out["default_year"], f"{where}, line {line('default_year')}")
    if "url" in out and not _URL.fullmatch(out["url"]):
        raise InputError(
            f"{where}, line {line('url')}: key 'url' must be an http(s):// address without "
            f"spaces, got {out['url']!r}"
        )
    places = places if isinstance(places, Places) else Places.of(places)
    geo_code = document_place(path, out, places.resolver)  # on the map of its issue date
    on_map = places.on_map(document_map(out, path))
    notes = _namesake_notes(out["geo"].strip(), geo_code, on_map, f"{where}, line {line('geo')}")
    return Sidecar(out, geo_code, notes)


def _year(text: str, where: str) -> int:
    lo, hi = PLAUSIBLE_YEARS
    if not (re.fullmatch(r"\d{4}", text) and lo <= int(text) <= hi):
        raise InputError(
            f"{where}: key 'default_year' must be a year from {lo} to {hi}, got {text!r}"
        )
    return int(text)


def _issued_on(text: str, where: str) -> str:
    lo, hi = PLAUSIBLE_YEARS
    m = _ISSUED.fullmatch(text)
    problem = None
    if not m:
        problem = "must be a date (2024-03-01), a month (2024-03) or a year (2024)"
    elif not lo <= int(m[1]) <= hi:
        problem = f"must be in the years {lo} to {hi}"
    else:
        try:
            dt.date(int(m[1]), int(m[2] or 1), int(m[3] or 1))
        except ValueError as e:
            problem = f"is not a real date ({e})"
    if problem:
        raise InputError(f"{where}: key 'issued_on' {problem}, got {text!r}")
    return text


def _namesake_notes(text: str, code: str, places: Places, where: str) -> list[str]:
    """A note when a bare name was read as a place whose name another place shares, or a number
    as a place's name rather than a code (``1`` is District 1; Hà Nội is ``01``)."""
    name, full, level = places.by_code[code]
    if text.isdigit() and text != code:
        return [
            f"{where}: geo {text!r} is read as the name of {full} ({code}), a {level}, not as "
            "a GSO code; codes are written in full (01, 079, ...)"
        ]
    if text == code:
        key = None
    elif _exact(text) == _exact(name):
        key = "=" + _exact(text)
    elif fold_phrase(text) == fold_phrase(name):
        key = "~" + fold_phrase(text)  # written without diacritics: any namesake may be meant
    else:
        key = None  # a full name ("Thành phố X"), or "Name, Province": the user said which
    same = [c for c in places.by_name.get(key, []) if c != code] if key else []
    if not same:
        return []
    others = ", ".join(f"{places.by_code[c][1]} ({c})" for c in same)
    return [
        f"{where}: geo {text!r} is read as {full} ({code}), a {level}, "
        f"not {others}; write the full name or the code to say which"
    ]
