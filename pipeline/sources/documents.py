"""Sources layer: the immutable documents in ``data/raw`` and the sidecars that describe them.

A document is a pair ``<source_id>.txt`` (or a table, ``<source_id>.csv``: see
``pipeline.sources.tabular``) + ``<source_id>.yaml``; an optional
``<source_id>.corrections.yaml`` holds quote-checked corrections. Adding a plan is dropping
files here. Anything malformed stops the build with one message naming the file (and line/key).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipeline.errors import InputError, did_you_mean
from pipeline.reference import GeoResolver
from pipeline.settings import relative as _rel
from pipeline.sources.places import document_place
from pipeline.sources.table_spec import check_table_sidecar, document_files
from pipeline.sources.tabular import check_table

SIDECAR_KEYS = {
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
CORRECTION_KEYS = {"id", "quote", "action", "reason", "status", "match", "set"}
CORRECTION_ACTIONS = {"override", "drop", "flag"}
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when installed


@dataclass
class Source:
    source_id: str
    path: Path
    sidecar: Path
    meta: dict
    geo_code: str
    text: str
    sha256: str
    n_lines: int
    corrections_path: Path | None = None
    corrections: list[dict] = field(default_factory=list)

    @property
    def default_year(self) -> int | None:
        return self.meta.get("default_year")


def _load_yaml(path: Path) -> object:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except UnicodeDecodeError as e:
        raise InputError(f"{_rel(path)}: not UTF-8 ({e.reason} at byte {e.start})") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise InputError(f"{_rel(path)}{where}: invalid YAML: {problem}") from None


def _decode(path: Path) -> tuple[str, bytes]:
    data = path.read_bytes()
    if not data.strip():
        raise InputError(f"{_rel(path)}: the document is empty")
    try:
        return data.decode("utf-8"), data
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise InputError(
            f"{_rel(path)}, line {line}: not UTF-8 "
            f"(byte 0x{data[e.start]:02x} at offset {e.start}); "
            "save the document as UTF-8"
        ) from None


def _check_sidecar(path: Path, meta: object, resolver: GeoResolver) -> tuple[dict, str]:
    if not isinstance(meta, dict):
        raise InputError(f"{_rel(path)}: a sidecar must be a mapping of keys (geo, title, ...)")
    for key in meta:
        if key not in SIDECAR_KEYS:
            raise InputError(f"{_rel(path)}: unknown key {key!r}{did_you_mean(key, SIDECAR_KEYS)}")
    for key, required in SIDECAR_KEYS.items():
        if required and (key not in meta or meta[key] in (None, "")):
            raise InputError(f"{_rel(path)}: required key {key!r} is missing")
    geo_code = document_place(path, meta, resolver)  # on the map of its issue date
    issued = meta.get("issued_on")
    if issued is not None:
        ok = isinstance(issued, (int, dt.date)) or bool(
            re.fullmatch(r"\d{4}(?:-\d{2}(?:-\d{2})?)?", str(issued))
        )
        if not ok:
            raise InputError(
                f"{_rel(path)}: key 'issued_on' must be an ISO date or a year, got {issued!r}"
            )
        meta["issued_on"] = str(issued)
    dy = meta.get("default_year")
    if dy is not None and not (isinstance(dy, int) and 1990 <= dy <= 2060):
        raise InputError(
            f"{_rel(path)}: key 'default_year' must be a year such as 2025, got {dy!r}"
        )
    return meta, geo_code


def _check_corrections(path: Path, doc: object, text: str) -> list[dict]:
    if doc is None:
        return []
    items = doc.get("corrections") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise InputError(f"{_rel(path)}: expected a top-level 'corrections:' list")
    out = []
    for i, c in enumerate(items, 1):
        where = f"{_rel(path)}: correction {i}"
        if not isinstance(c, dict):
            raise InputError(f"{where}: must be a mapping")
        unknown = set(c) - CORRECTION_KEYS
        if unknown:
            raise InputError(f"{where}: unknown key(s) {sorted(unknown)}")
        for key in ("quote", "action", "reason"):
            if not c.get(key):
                raise InputError(f"{where}: required key {key!r} is missing")
        if c["action"] not in CORRECTION_ACTIONS:
            raise InputError(f"{where}: action must be one of {sorted(CORRECTION_ACTIONS)}")
        if c["action"] == "override" and not isinstance(c.get("set"), dict):
            raise InputError(f"{where}: an override needs a 'set:' mapping of new values")
        if c["quote"] not in text:
            raise InputError(
                f"{where}: quote {c['quote']!r} does not occur in the source document; "
                "a correction must quote the text it corrects verbatim"
            )
        c.setdefault("id", f"{path.name.split('.')[0]}#{i}")
        c.setdefault("status", "active")
        out.append(c)
    return out


def discover(raw_dir: Path, resolver: GeoResolver) -> list[Source]:
    """All documents in ``raw_dir``, checked; raises :class:`InputError` on the first problem."""
    if not raw_dir.is_dir():
        raise InputError(f"{_rel(raw_dir)}: raw document folder not found")
    texts = document_files(raw_dir)  # *.txt and *.csv
    sidecars = {
        p.stem: p for p in raw_dir.glob("*.yaml") if not p.name.endswith(".corrections.yaml")
    }
    corrections = {
        p.name[: -len(".corrections.yaml")]: p for p in raw_dir.glob("*.corrections.yaml")
    }
    for stem, p in sorted(texts.items()):
        if stem not in sidecars:
            raise InputError(
                f"{_rel(p)}: no sidecar; add {_rel(p.with_suffix('.yaml'))} with geo and title"
            )
    for stem, p in sorted(sidecars.items()):
        if stem not in texts:
            raise InputError(
                f"{_rel(p)}: sidecar without a document; expected "
                f"{_rel(p.with_suffix('.txt'))} or a table {p.with_suffix('.csv').name}"
            )
    for stem, p in sorted(corrections.items()):
        if stem not in texts:
            raise InputError(
                f"{_rel(p)}: corrections for a document that does not exist ({stem}.txt)"
            )
    sources: list[Source] = []
    seen: dict[str, Path] = {}
    for stem in sorted(texts):
        path, sidecar = texts[stem], sidecars[stem]
        meta, geo_code = _check_sidecar(sidecar, _load_yaml(sidecar), resolver)
        check_table_sidecar(sidecar, meta, path)
        source_id = str(meta.get("source_id") or stem)
        if not _SLUG.fullmatch(source_id):
            raise InputError(
                f"{_rel(sidecar)}: source_id {source_id!r} must be a lower-case slug "
                "(a-z, 0-9, '-')"
            )
        if source_id in seen:
            raise InputError(
                f"{_rel(sidecar)}: duplicate source_id {source_id!r} "
                f"(also used by {_rel(seen[source_id])})"
            )
        seen[source_id] = sidecar
        text, data = _decode(path)
        check_table(path, meta, text, resolver, geo_code)
        corr_path = corrections.get(stem)
        corr = _check_corrections(corr_path, _load_yaml(corr_path), text) if corr_path else []
        n_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
        sources.append(
            Source(
                source_id,
                path,
                sidecar,
                meta,
                geo_code,
                text,
                hashlib.sha256(data).hexdigest(),
                n_lines,
                corr_path,
                corr,
            )
        )
    if not sources:
        raise InputError(f"{_rel(raw_dir)}: no documents (*.txt or *.csv with a *.yaml sidecar)")
    return sources
