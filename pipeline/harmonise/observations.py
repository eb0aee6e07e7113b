"""Figures become observations in each indicator's canonical unit.

Rules (DEVELOPERS.md): the definition wins over a mislabelled unit and the value is never
rescaled to "fix" it; conflicting figures are all kept and flagged; qualitative targets keep
their words; corrections come only from quote-checked ``*.corrections.yaml`` files.
"""

from __future__ import annotations

import hashlib

import pandas as pd

from pipeline.harmonise.conflicts import flag_conflicts
from pipeline.harmonise.corrections import apply_corrections
from pipeline.reference import Catalog
from pipeline.sources import Source
from pipeline.staging import Extraction, Figure
from pipeline.text import Document

OBSERVATION_COLUMNS = [
    "observation_id",
    "source_id",
    "geo_code",
    "indicator_code",
    "year",
    "kind",
    "is_estimate",
    "comparator",
    "value",
    "unit_code",
    "value_reported",
    "unit_reported",
    "label_reported",
    "line_start",
    "line_end",
    "quote",
    "condition",
    "flags",
    "flag_detail",
    "value_upper",
    "reader",
    "correction_ids",
    "place_reported",
    "sex",
    "residence",
    "cited_instrument",
    "cited_url",
    "cited_published_as",
    "official_statistics",
]
UNMAPPED_COLUMNS = ["source_id", "line_start", "line_end", "text", "reason", "reason_code"]


def _fmt(v: float | None) -> str:
    if v is None:
        return ""
    return f"{v:g}"


def _strip_span(doc: Document, start: int, end: int) -> tuple[int, int]:
    """A span without the white space around it, so quotes and line ranges are tight."""
    while start < end and doc.text[start].isspace():
        start += 1
    while end > start and doc.text[end - 1].isspace():
        end -= 1
    return start, end


def _unit_check(fig: Figure, catalog: Catalog) -> tuple[float | None, list[str], list[str]]:
    """Value in the canonical unit, with flags and their explanations."""
    ind = catalog.indicators[fig.indicator_code]
    units = catalog.grammar.units
    canonical = units[ind.unit]
    flags: list[str] = []
    detail: list[str] = []
    value = fig.value
    reported = units.get(fig.unit_code_reported) if fig.unit_code_reported else None
    if (
        value is None
        or reported is None
        or reported.code == canonical.code
        or reported.kind == "noun"
    ):
        return value, flags, detail
    if reported.convert and reported.convert.get("to") == canonical.code:
        factor = float(reported.convert["factor"])
        flags.append("unit_converted")
        detail.append(
            f"unit_converted: {fig.value:g} {reported.symbol} = {fig.value * factor:g} "
            f"{canonical.symbol}"
        )
        return value * factor, flags, detail
    flags.append("unit_corrected")
    detail.append(
        f"unit_corrected: printed {fig.unit_reported or reported.symbol!r} "
        f"({reported.name_en}) but "
        f"{ind.name_en} is defined in {canonical.name_en}; value kept as printed ({fig.value:g}), "
        f"unit set to {canonical.code}"
    )
    return value, flags, detail


def observation_frame(records: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame.from_records(records, columns=OBSERVATION_COLUMNS, nrows=len(records))


def unmapped_frame(records: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame.from_records(records, columns=UNMAPPED_COLUMNS, nrows=len(records))


def _flags(fig: Figure, catalog: Catalog) -> tuple[float | None, list[str], list[str]]:
    """The value in the canonical unit, the figure's flags and their explanations."""
    value, flags, detail = _unit_check(fig, catalog)
    if fig.qualitative:
        flags.append("qualitative")
        detail.append(f"qualitative: target stated in words, no figure: {fig.value_reported!r}")
    if fig.range_high is not None:
        flags.append("range")
        detail.append(
            f"range: {_fmt(fig.value)} to {_fmt(fig.range_high)} in the source; "
            "value holds the lower bound, value_upper the upper"
        )
    if fig.preliminary:
        flags.append("preliminary")
        detail.append("preliminary: the source marks this figure as preliminary (sơ bộ)")
    detail.extend(fig.notes)
    return value, flags, detail


def _observation(source: Source, doc: Document, fig: Figure, catalog: Catalog) -> dict:
    """One observation row: the figure harmonised, with its lines and verbatim quote."""
    value, flags, detail = _flags(fig, catalog)
    start, end = _strip_span(doc, fig.start, fig.end)
    ls, le = doc.lines_of(start, end)
    comparator = None if fig.qualitative else (fig.comparator or "=")
    if fig.range_high is not None:
        comparator = ">="
    geo_code = fig.geo_code or source.geo_code
    parts = [source.source_id, ls, le, fig.indicator_code, fig.year, fig.kind, fig.value_reported]
    # what tells apart figures of one line beyond the document's own place and the totals
    # (appended only then, so that the ids of plain figures stay what they always were)
    split = (fig.geo_code, fig.sex, fig.residence)
    if split != (None, "total", "total"):
        parts += list(split)
    key = "|".join(map(str, parts))
    return {
        "observation_id": hashlib.sha1(key.encode()).hexdigest()[:12],
        "source_id": source.source_id,
        "geo_code": geo_code,
        "indicator_code": fig.indicator_code,
        "year": fig.year,
        "kind": fig.kind,
        "is_estimate": bool(fig.is_estimate or fig.preliminary),
        "comparator": comparator,
        "value": value,
        "unit_code": catalog.indicators[fig.indicator_code].unit,
        "value_reported": fig.value_reported,
        "unit_reported": fig.unit_reported,
        "label_reported": fig.label_reported,
        "line_start": ls,
        "line_end": le,
        "quote": doc.quote(start, end),
        "condition": fig.condition,
        "flags": flags,
        "flag_detail": detail,
        "value_upper": fig.range_high,
        "reader": fig.reader,
        "correction_ids": [],
        "place_reported": fig.place_reported,
        "sex": fig.sex,
        "residence": fig.residence,
        "cited_instrument": fig.cited_instrument,
        "cited_url": fig.cited_url,
        "cited_published_as": fig.cited_published_as,
        "official_statistics": bool(
            source.meta.get("official_statistics", False)
            if fig.official_statistics is None
            else fig.official_statistics
        ),
    }


def _unmapped(source: Source, lines: tuple[int, int], text: str, code: str, reason: str) -> dict:
    return {
        "source_id": source.source_id,
        "line_start": lines[0],
        "line_end": lines[1],
        "text": text.strip(),
        "reason": reason,
        "reason_code": code,
    }


def observation_records(
    source: Source, doc: Document, extraction: Extraction, catalog: Catalog
) -> tuple[list[tuple], list[tuple]]:
    """Observation and unmapped rows for one document, as tuples in the tables' column order.

    Plain tuples, not a DataFrame per document: a thousand small frames cost more to build, to
    pickle between processes and to concatenate than the extraction itself.
    """
    rows: list[dict] = []
    unmapped = [
        _unmapped(
            source, doc.lines_of(u.start, u.end), doc.quote(u.start, u.end), u.reason_code, u.reason
        )
        for u in extraction.unmapped
    ]
    for fig in extraction.figures:
        if fig.year is None:
            reason = f"indicator {fig.indicator_code} recognised but no year can be attributed"
            lines, text = doc.lines_of(fig.start, fig.end), doc.quote(fig.start, fig.end)
            unmapped.append(_unmapped(source, lines, text, "no_year", reason))
            continue
        rows.append(_observation(source, doc, fig, catalog))
    flag_conflicts(rows)
    for r in apply_corrections(source, rows):
        lines = (r["line_start"], r["line_end"])
        unmapped.append(
            _unmapped(source, lines, r["quote"], "dropped_by_correction", r["flag_detail"][-1])
        )
    for r in rows:
        r["flag_detail"] = "; ".join(r["flag_detail"]) or None
    return (
        [tuple(r[c] for c in OBSERVATION_COLUMNS) for r in rows],
        [tuple(u[c] for c in UNMAPPED_COLUMNS) for u in unmapped],
    )
