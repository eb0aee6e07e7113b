"""Read helpers for notebooks: each takes an open (read-only) connection and returns a
DataFrame, with place and indicator names in English or Vietnamese (``lang``). The tables of the
``gap`` view live in ``gap_tables`` and are re-exported here."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from pipeline.analysis.gap_tables import (  # the gap view's tables, here for the notebooks
    deadline_actuals,
    gap_years,
    labelled_gap,
    largest_gaps,
    not_comparable,
    read_with_care,
    status_summary,
)
from pipeline.analysis.labels import check_lang as _lang
from pipeline.analysis.labels import geo_label_sql
from pipeline.analysis.labels import nfc_frame as _nfc
from pipeline.arrow_frames import arrow_frame, arrow_readable, frame
from pipeline.settings import RAW_DIR, ROOT
from pipeline.warehouse.gap_copy import gap_query, published_gap


def _with_connection(con, fn):
    if con is not None:
        return fn(con)
    from pipeline.warehouse import connect  # the analysis layer reads; it never builds

    own = connect()
    try:
        return fn(own)
    finally:
        own.close()


def gap_frame(con: duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
    """The ``gap`` view as a DataFrame, in GAP_ORDER (opens the warehouse when ``con`` is None)."""
    return _with_connection(con, _gap)


def _gap(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """From the build's Arrow copy of the view when ``con`` is that build (same rows, a tenth
    of the time), else from the view."""
    table = published_gap(con)
    if table is None or not arrow_readable(table):
        return frame(con, gap_query(con))
    return arrow_frame(table)


def labelled_observations(
    con: duckdb.DuckDBPyConnection,
    lang: str = "en",
    indicator_code: str | None = None,
    target_years: list[int] | None = None,
) -> pd.DataFrame:
    """Every numeric, non-restated observation with names in ``lang`` (optionally one indicator;
    optionally only the targets for ``target_years``, with every actual)."""
    lang = _lang(lang)
    years = None if target_years is None else [int(y) for y in target_years]
    df = con.execute(
        f"""
        SELECT o.observation_id, o.source_id, o.geo_code, {geo_label_sql(lang)} AS geo_name,
               geo.level AS geo_level, o.indicator_code, i.name_{lang} AS indicator_name,
               o.year, o.kind, o.is_estimate, o.comparator, o.value, o.value_upper,
               o.unit_code, u.symbol AS unit_symbol, u.name_{lang} AS unit_name,
               coalesce(list_contains(o.flags, 'conflict'), false) AS conflict,
               o.line_start, o.quote, o.flags
        FROM observation o
        JOIN geo USING (geo_code)
        JOIN indicator i USING (indicator_code)
        JOIN unit u ON u.unit_code = o.unit_code
        WHERE o.value IS NOT NULL
          AND NOT coalesce(list_contains(o.flags, 'restated'), false)
          AND (? IS NULL OR o.indicator_code = ?)
          AND (o.kind = 'actual' OR ?::INTEGER[] IS NULL OR list_contains(?::INTEGER[], o.year))
        ORDER BY o.geo_code, o.year, o.kind, o.line_start""",
        [indicator_code, indicator_code, years, years],
    ).df()
    return _nfc(df)


# ------------------------------------------------------------------------------ the tour


def table_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Rows per table and view of the warehouse."""
    names = con.execute(
        """
        SELECT table_name, 'table' AS type FROM duckdb_tables() WHERE NOT internal
        UNION ALL
        SELECT view_name, 'view' FROM duckdb_views() WHERE NOT internal
        ORDER BY type, table_name"""
    ).fetchall()
    rows = [
        {"name": n, "type": t, "rows": con.execute(f'SELECT count(*) FROM "{n}"').fetchall()[0][0]}
        for n, t in names
    ]
    return pd.DataFrame(rows, columns=["name", "type", "rows"])


def sources_frame(con: duckdb.DuckDBPyConnection, lang: str = "en") -> pd.DataFrame:
    """One row per document: place, issuer, date, what was read from it."""
    lang = _lang(lang)
    title = "s.title" if lang == "vi" else "coalesce(s.title_en, s.title)"
    df = con.execute(
        f"""
        SELECT s.source_id, {geo_label_sql(lang, "g")} AS place, g.level, s.issued_on, s.issuer,
               {title} AS title,
               count(o.observation_id) FILTER (WHERE o.kind = 'actual') AS actuals,
               count(o.observation_id) FILTER (WHERE o.kind = 'target') AS targets,
               string_agg(DISTINCT o.year::VARCHAR, ', ' ORDER BY o.year::VARCHAR) AS years,
               (SELECT count(*) FROM unmapped u WHERE u.source_id = s.source_id) AS unmapped
        FROM source_document s
        JOIN geo g USING (geo_code)
        LEFT JOIN observation o USING (source_id)
        GROUP BY ALL ORDER BY s.source_id"""
    ).df()
    return _nfc(df)


def coverage_frame(con: duckdb.DuckDBPyConnection, lang: str = "en") -> pd.DataFrame:
    """Place × indicator: how many figures, and which kinds and years (``A23`` actual 2023,
    ``T25`` target 2025, ``A23e`` an estimate)."""
    lang = _lang(lang)
    df = con.execute(
        f"""
        WITH cell AS (
          SELECT o.geo_code, o.indicator_code, o.kind, o.year,
                 bool_or(o.is_estimate) AS estimate, count(*) AS n
          FROM observation o
          WHERE NOT coalesce(list_contains(o.flags, 'restated'), false)
          GROUP BY ALL
        )
        SELECT c.geo_code, {geo_label_sql(lang, "g")} AS geo_name, c.indicator_code,
               i.name_{lang} AS indicator_name, i.domain, sum(c.n)::INTEGER AS n,
               string_agg(
                 (CASE c.kind WHEN 'actual' THEN 'A' ELSE 'T' END)
                 || right(c.year::VARCHAR, 2) || (CASE WHEN c.estimate THEN 'e' ELSE '' END),
                 ' ' ORDER BY c.kind, c.year) AS cell
        FROM cell c
        JOIN geo g USING (geo_code)
        JOIN indicator i USING (indicator_code)
        GROUP BY ALL
        ORDER BY i.domain, c.indicator_code, c.geo_code"""
    ).df()
    return _nfc(df)


def raw_path(con: duckdb.DuckDBPyConnection, source_id: str, raw_dir: Path = RAW_DIR) -> Path:
    (file_name,) = con.execute(
        "SELECT file_name FROM source_document WHERE source_id = ?", [source_id]
    ).fetchall()[0]
    return raw_dir / file_name


def trace(
    con: duckdb.DuckDBPyConnection,
    observation_id: str,
    context: int = 2,
    raw_dir: Path = RAW_DIR,
) -> dict:
    """An observation with its provenance: the row, the verbatim quote, and the raw lines around
    it (``>`` marks the lines it was read from). Raises KeyError for an unknown id."""
    df = con.execute(
        """
        SELECT o.*, s.file_name, s.title, s.sha256
        FROM observation o JOIN source_document s USING (source_id)
        WHERE o.observation_id = ?""",
        [observation_id],
    ).df()
    if df.empty:
        raise KeyError(observation_id)
    row = df.iloc[0].to_dict()
    path = raw_dir / row["file_name"]
    excerpt = []
    if path.exists():
        lines = path.read_text(encoding="utf-8").split("\n")
        a, b = int(row["line_start"]), int(row["line_end"])
        for n in range(max(1, a - context), min(len(lines), b + context) + 1):
            mark = ">" if a <= n <= b else " "
            excerpt.append(f"{mark}{n:5} | {lines[n - 1].rstrip()}")
        row["quote_in_file"] = row["quote"] in path.read_text(encoding="utf-8")
    try:
        row["raw_file"] = str(path.resolve().relative_to(ROOT))
    except ValueError:
        row["raw_file"] = str(path)
    row["excerpt"] = "\n".join(excerpt)
    return row


# ----------------------------------------------------------------------------- the audit


def _audit(con: duckdb.DuckDBPyConnection, where: str, lang: str) -> pd.DataFrame:
    lang = _lang(lang)
    df = con.execute(
        f"""
        SELECT o.observation_id, o.source_id, {geo_label_sql(lang, "g")} AS place,
               i.name_{lang} AS indicator, o.year, o.kind,
               o.label_reported, o.value_reported, o.unit_reported,
               o.comparator, o.value, u.symbol AS unit, o.flags, o.flag_detail,
               o.correction_ids, o.line_start, o.line_end, o.quote
        FROM observation o
        JOIN geo g USING (geo_code)
        JOIN indicator i USING (indicator_code)
        JOIN unit u ON u.unit_code = o.unit_code
        WHERE {where}
        ORDER BY o.source_id, o.line_start, o.indicator_code, o.year"""
    ).df()
    return _nfc(df)


def unit_corrections(con: duckdb.DuckDBPyConnection, lang: str = "en") -> pd.DataFrame:
    """Every figure whose printed unit contradicted the indicator's definition."""
    return _audit(con, "list_contains(o.flags, 'unit_corrected')", lang)


def unit_conversions(con: duckdb.DuckDBPyConnection, lang: str = "en") -> pd.DataFrame:
    """Every figure converted from the printed unit to the canonical one."""
    return _audit(con, "list_contains(o.flags, 'unit_converted')", lang)


def conflicts(con: duckdb.DuckDBPyConnection, lang: str = "en") -> pd.DataFrame:
    """Every figure that a document contradicts elsewhere (all kept)."""
    return _audit(con, "list_contains(o.flags, 'conflict')", lang)


def qualitative_targets(con: duckdb.DuckDBPyConnection, lang: str = "en") -> pd.DataFrame:
    """Targets stated in words, not figures."""
    return _audit(con, "list_contains(o.flags, 'qualitative')", lang)


def corrections_applied(con: duckdb.DuckDBPyConnection, lang: str = "en") -> pd.DataFrame:
    """Every correction file entry with the observations it touched."""
    lang = _lang(lang)
    df = con.execute(
        f"""
        SELECT c.correction_id, c.source_id, c.action, c.status, c.reason,
               c.quote AS correction_quote, c.n_observations, o.observation_id,
               i.name_{lang} AS indicator, o.year, o.kind, o.value_reported, o.value,
               o.flags, o.condition
        FROM correction c
        LEFT JOIN observation o
          ON o.source_id = c.source_id AND list_contains(o.correction_ids, c.correction_id)
        LEFT JOIN indicator i USING (indicator_code)
        ORDER BY c.source_id, c.correction_id, o.line_start"""
    ).df()
    return _nfc(df)


def flag_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Observations per document and flag (documents with no flag still listed)."""
    return con.execute(
        """
        WITH f AS (
          SELECT source_id, unnest(flags) AS flag FROM observation
        )
        SELECT s.source_id, f.flag, count(f.flag) AS n
        FROM source_document s LEFT JOIN f USING (source_id)
        GROUP BY ALL ORDER BY s.source_id, f.flag"""
    ).df()


__all__ = [
    "conflicts",
    "corrections_applied",
    "coverage_frame",
    "deadline_actuals",
    "flag_counts",
    "frame",
    "gap_frame",
    "gap_query",
    "gap_years",
    "labelled_gap",
    "labelled_observations",
    "largest_gaps",
    "not_comparable",
    "qualitative_targets",
    "raw_path",
    "read_with_care",
    "sources_frame",
    "status_summary",
    "table_counts",
    "trace",
    "unit_conversions",
    "unit_corrections",
]
