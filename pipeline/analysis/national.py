"""Read helpers for notebook 04: the ``yardstick`` view (each place's targets against the
national ones) and the series of actuals a place has over the years, with names in English or
Vietnamese (``lang``). Each takes an open, read-only connection and returns a DataFrame."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pandas as pd

from pipeline.analysis.labels import check_lang, geo_label_sql, nfc_frame


def _years(years: Iterable[int] | None) -> list[int] | None:
    return None if years is None else [int(y) for y in years]


# yardstick with names, and the flags of both targets (from their `gap` rows): {place} is the
# place's display name in the language, {lang} the language's column suffix
YARDSTICK_SQL = """
    SELECT y.*, {place} AS geo_name, geo.level AS geo_level,
           i.name_{lang} AS indicator_name, i.domain,
           u.symbol AS unit_symbol, u.name_{lang} AS unit_name,
           lt.target_flags, nt.target_flags AS national_flags
    FROM yardstick y
    JOIN gap lt ON lt.target_observation_id = y.target_observation_id
    JOIN gap nt ON nt.target_observation_id = y.national_observation_id
    JOIN geo ON geo.geo_code = y.geo_code
    JOIN indicator i ON i.indicator_code = y.indicator_code
    JOIN unit u ON u.unit_code = y.unit_code
    WHERE ?::INTEGER[] IS NULL OR list_contains(?::INTEGER[], y.target_year)
    ORDER BY i.domain, y.indicator_code, y.geo_code, y.target_year, y.national_value,
             y.national_observation_id"""


def labelled_yardstick(
    con: duckdb.DuckDBPyConnection, lang: str = "en", years: Iterable[int] | None = None
) -> pd.DataFrame:
    """``yardstick`` with the place, indicator, unit and domain named in ``lang``, and the flags
    of both targets; optionally only the local targets of ``years``."""
    sql = YARDSTICK_SQL.format(place=geo_label_sql(check_lang(lang)), lang=lang)
    return nfc_frame(con.execute(sql, [_years(years)] * 2).df())


def ambition_summary(
    con: duckdb.DuckDBPyConnection, lang: str = "en", years: Iterable[int] | None = None
) -> pd.DataFrame:
    """Per place: how many of its targets have a national yardstick, how the comparisons come
    out (pairs), and how many targets fall short of at least one national target."""
    df = labelled_yardstick(con, lang, years)
    pairs = pd.crosstab(df["geo_name"], df["ambition"]).reindex(
        columns=["more_ambitious", "as_ambitious", "less_ambitious", "not_comparable"],
        fill_value=0,
    )
    per_target = df.drop_duplicates("target_observation_id")
    targets = per_target.groupby("geo_name").agg(
        targets=("target_observation_id", "size"), falls_short_of_any=("falls_short_of_any", "sum")
    )
    return targets.join(pairs).reset_index()


SHORTFALL_COLUMNS = [
    "geo_name",
    "indicator_name",
    "target_year",
    "comparator",
    "target_value",
    "national_year",
    "national_year_basis",
    "national_comparator",
    "national_value",
    "unit_symbol",
    "difference",
    "national_instrument",
    "caveats",
    "target_observation_id",
    "national_observation_id",
]


def falls_short(
    con: duckdb.DuckDBPyConnection, lang: str = "en", years: Iterable[int] | None = None
) -> pd.DataFrame:
    """The local targets less ambitious than a national one: one row per such pair, with the
    instrument that sets the national target."""
    df = labelled_yardstick(con, lang, years)
    return df.loc[df["falls_short"], SHORTFALL_COLUMNS].reset_index(drop=True)


def not_compared(
    con: duckdb.DuckDBPyConnection, lang: str = "en", years: Iterable[int] | None = None
) -> pd.DataFrame:
    """The pairs the view does not rank, and why (words, conditions, senses)."""
    df = labelled_yardstick(con, lang, years)
    cols = [*SHORTFALL_COLUMNS[:9], "ambition_reason", "target_condition", "national_condition"]
    return df.loc[df["ambition"] == "not_comparable", cols].reset_index(drop=True)


def national_disagreements(con: duckdb.DuckDBPyConnection, lang: str = "en") -> pd.DataFrame:
    """National targets (and actuals) that cited instruments state differently, each with its
    instrument and page."""
    lang = check_lang(lang)
    df = con.execute(
        f"""
        SELECT i.name_{lang} AS indicator_name, o.kind, o.year, o.comparator, o.value,
               u.symbol AS unit_symbol, o.cited_instrument, o.cited_url, o.observation_id
        FROM observation o
        JOIN geo USING (geo_code)
        JOIN indicator i USING (indicator_code)
        JOIN unit u ON u.unit_code = o.unit_code
        WHERE geo.level = 'country' AND list_contains(o.flags, 'instruments_differ')
        ORDER BY i.domain, o.indicator_code, o.kind DESC, o.year, o.value"""
    ).df()
    return nfc_frame(df)


def actual_series(
    con: duckdb.DuckDBPyConnection, lang: str = "en", min_years: int = 2
) -> pd.DataFrame:
    """Every actual of the places and indicators with actuals for ``min_years`` or more
    years, from any source: preliminary and estimated figures, official statistics and the
    instrument cited say which is which."""
    lang = check_lang(lang)
    df = con.execute(
        f"""
        WITH actual AS (
          SELECT * FROM observation
          WHERE kind = 'actual' AND value IS NOT NULL AND sex = 'total' AND residence = 'total'
            AND NOT list_contains(flags, 'restated')
        ),
        series AS (
          SELECT geo_code, indicator_code FROM actual GROUP BY ALL
          HAVING count(DISTINCT year) >= ?
        )
        SELECT a.geo_code, {geo_label_sql(lang)} AS geo_name, geo.level AS geo_level,
               a.indicator_code, i.name_{lang} AS indicator_name, i.domain,
               u.symbol AS unit_symbol, u.name_{lang} AS unit_name,
               a.year, a.comparator, a.value, a.is_estimate,
               list_contains(a.flags, 'preliminary') AS preliminary,
               a.official_statistics, a.source_id, a.cited_instrument, a.observation_id, a.flags
        FROM actual a
        JOIN series USING (geo_code, indicator_code)
        JOIN geo USING (geo_code)
        JOIN indicator i USING (indicator_code)
        JOIN unit u ON u.unit_code = a.unit_code
        ORDER BY geo.level, a.geo_code, i.domain, a.indicator_code, a.year,
                 a.official_statistics DESC, a.is_estimate""",
        [int(min_years)],
    ).df()
    return nfc_frame(df)


def targets_ahead(con: duckdb.DuckDBPyConnection, series: pd.DataFrame) -> pd.DataFrame:
    """For each series of :func:`actual_series`: the place's own targets after its last actual
    year (``role`` own) and, for a province or district, the national targets of those years
    or later (``role`` national), each with its instrument and caveats."""
    last = series.groupby(["geo_code", "indicator_code"], as_index=False)["year"].max()
    con.register("_series_last", last)
    try:
        df = con.execute(
            """
            SELECT s.geo_code, s.indicator_code,
                   CASE WHEN g.geo_code = s.geo_code THEN 'own' ELSE 'national' END AS role,
                   g.target_year AS year, g.comparator, g.target_value AS value,
                   coalesce(g.target_instrument, d.title) AS instrument,
                   list_intersect(g.caveats, g.target_flags) AS caveats,
                   g.target_observation_id
            FROM _series_last s
            JOIN gap g ON g.indicator_code = s.indicator_code AND g.target_year > s.year
            JOIN geo ON geo.geo_code = g.geo_code
            JOIN geo place ON place.geo_code = s.geo_code
            LEFT JOIN source_document d ON d.source_id = g.target_source_id
            WHERE g.target_value IS NOT NULL
              AND (g.geo_code = s.geo_code
                   OR (geo.level = 'country' AND place.level <> 'country'))
            ORDER BY s.geo_code, s.indicator_code, role DESC, year, value"""
        ).df()
    finally:
        con.unregister("_series_last")
    return nfc_frame(df)


__all__ = [
    "actual_series",
    "ambition_summary",
    "falls_short",
    "labelled_yardstick",
    "national_disagreements",
    "not_compared",
    "targets_ahead",
]
