"""Which map a document names its places on, and the place its sidecar's ``geo`` names.

Vietnam's provinces were merged on 1 July 2025 (63 became 34, districts were abolished), and
most merged provinces kept the name of one of their parts: a plan for 2026 of "Gia Lai" means
the new province (Gia Lai and Bình Định), not the old one. A document issued on or after that
day therefore names places on the map since the reform (``from_2025_07``); one issued before,
or without an issue date, on the map before it (``before_2025_07``). An issue date that does
not say which (the bare year 2025) stops the build rather than guess. A document issued after
the reform that still names the places before it (a report on earlier years, a yearbook of the
63 provinces) says so in its sidecar: ``geo_map: before_2025_07``.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from pipeline.errors import InputError, ReferenceError
from pipeline.reference import GeoResolver
from pipeline.reference.geography import BEFORE_2025, FROM_2025, MAPS
from pipeline.settings import relative as _rel

REFORM_DAY = dt.date(2025, 7, 1)


def document_map(meta: dict, path: Path | None = None) -> str:
    """The map of a document whose sidecar is ``meta``: its ``geo_map`` if it says, else by its
    ``issued_on``.

    An ISO date or year-month decides; a year decides unless it is 2025. A malformed date is
    left to the sidecar check, which reports it (the map before the reform meanwhile).
    """
    where = f"{_rel(path)}: " if path is not None else ""
    if meta.get("geo_map") not in (None, ""):
        if meta["geo_map"] not in MAPS:
            raise InputError(f"{where}key 'geo_map' must be one of {list(MAPS)}")
        return str(meta["geo_map"])
    issued = meta.get("issued_on")
    if issued is None or issued == "":
        return BEFORE_2025
    if isinstance(issued, dt.date):
        return FROM_2025 if issued >= REFORM_DAY else BEFORE_2025
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", str(issued).strip())
    if m is None:
        return BEFORE_2025
    year, month = int(m.group(1)), m.group(2)
    if year == REFORM_DAY.year and month is None:
        raise InputError(
            f"{where}key 'issued_on': {issued} does not say whether the document was issued "
            f"before or after the provinces were merged on {REFORM_DAY.isoformat()}, which "
            "decides the map its places are named on; give the month (2025-06 or 2025-09), "
            "the date, or geo_map: before_2025_07 or from_2025_07"
        )
    when = (year, int(month) if month else 1)
    return FROM_2025 if when >= (REFORM_DAY.year, REFORM_DAY.month) else BEFORE_2025


def document_place(path: Path, meta: dict, resolver: GeoResolver) -> str:
    """The geo_code of the sidecar's ``geo`` on the document's map, or an InputError that
    says why (for a place the reform merged away: what it became part of)."""
    on_map = document_map(meta, path)
    try:
        return resolver.on_map(on_map).resolve(meta["geo"])
    except ReferenceError as e:
        hint = _before_reform_hint(resolver, meta["geo"]) if on_map == FROM_2025 else ""
        raise InputError(f"{_rel(path)}: key 'geo': {e}{hint}") from None


def _before_reform_hint(resolver: GeoResolver, printed: object) -> str:
    """For a place of the map before the reform named in a document issued after it: what it
    became, and why the document is read on the new map."""
    old = resolver.on_map(BEFORE_2025)
    try:
        code = old.resolve(printed)
    except ReferenceError:
        return ""
    row = old.geo.set_index("geo_code").loc[code]
    level = "a district" if row["level"] == "district" else "a province"
    return (
        f" — {printed!r} is {level} of the map before {REFORM_DAY.isoformat()}"
        f" ({code} {row['name_vi']}), part of {row['successor_name_2025']} since then; the "
        "document's issued_on puts it after the reform, where only the 34 provinces (and no "
        "districts) exist: name the province of the new map, or, if the document names places "
        "as they were before the reform (a report on earlier years), say so with "
        "geo_map: before_2025_07"
    )
