"""Tables of the ``gap`` view for the notebooks, names in English or Vietnamese (``lang``), each
optionally limited to some target years (``years``): notebook 02 reads 2025 and 2030, notebook
05 the years whose deadline has passed. ``pipeline.analysis.frames`` re-exports them."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pandas as pd

from pipeline.analysis.labels import check_lang, geo_label_sql, nfc_frame
from pipeline.marts import STATUSES


def _years(years: Iterable[int] | None) -> list[int] | None:
    return None if years is None else [int(y) for y in years]


def gap_years(
    con: duckdb.DuckDBPyConnection, before: int | None = None, since: int | None = None
) -> list[int]:
    """The target years in ``gap``, optionally those before ``before`` or from ``since`` on."""
    rows = con.execute(
        """SELECT DISTINCT target_year FROM gap
           WHERE (? IS NULL OR target_year < ?) AND (? IS NULL OR target_year >= ?)
           ORDER BY 1""",
        [before, before, since, since],
    ).fetchall()
    return [r[0] for r in rows]


def labelled_gap(
    con: duckdb.DuckDBPyConnection, lang: str = "en", years: Iterable[int] | None = None
) -> pd.DataFrame:
    """``gap`` with the place, indicator, unit and domain named in ``lang``."""
    lang = check_lang(lang)
    years = _years(years)
    df = con.execute(
        f"""
        SELECT g.*, {geo_label_sql(lang)} AS geo_name, geo.level AS geo_level,
               i.name_{lang} AS indicator_name, i.domain,
               u.symbol AS unit_symbol, u.name_{lang} AS unit_name
        FROM gap g
        JOIN geo USING (geo_code)
        JOIN indicator i USING (indicator_code)
        JOIN unit u ON u.unit_code = g.unit_code
        WHERE ?::INTEGER[] IS NULL OR list_contains(?::INTEGER[], g.target_year)
        ORDER BY i.domain, g.indicator_code, g.geo_code, g.target_year, g.target_source_id""",
        [years, years],
    ).df()
    return nfc_frame(df)


def largest_gaps(
    con: duckdb.DuckDBPyConnection,
    lang: str = "en",
    n: int | None = 15,
    years: Iterable[int] | None = None,
) -> pd.DataFrame:
    """Targets not yet met, the steepest first: ranked by the compound annual rate required
    (unit-free, so indicators compare), with the absolute change per year in the unit. Only
    ``not_met`` rows are ranked: a ``not_comparable`` pair has no gap to rank (see
    :func:`not_comparable`); ``caveats`` says which ranked rows to read with care."""
    df = labelled_gap(con, lang, years)
    df = df[df["status"] == "not_met"].copy()
    df["_rank"] = df["required_annual_rate"].abs()
    df = df.sort_values(["_rank", "gap_to_close"], ascending=False, na_position="last")
    cols = [
        "geo_name",
        "indicator_name",
        "baseline_year",
        "baseline_value",
        "baseline_is_estimate",
        "target_year",
        "comparator",
        "target_value",
        "unit_code",
        "unit_symbol",
        "unit_name",
        "gap_to_close",
        "years_left",
        "required_annual_change",
        "required_annual_rate",
        "progress_class",
        "target_observation_id",
        "caveats",
        "baseline_flags",
        "target_flags",
    ]
    out = df[cols].reset_index(drop=True)
    return out.head(n) if n else out


READ_WITH_CARE = [
    "geo_name",
    "indicator_name",
    "target_year",
    "status",
    "status_reason",
    "caveats",
    "baseline_value",
    "baseline_flags",
    "baseline_condition",
    "comparator",
    "target_value",
    "target_flags",
    "target_condition",
    "target_observation_id",
]


def not_comparable(
    con: duckdb.DuckDBPyConnection, lang: str = "en", years: Iterable[int] | None = None
) -> pd.DataFrame:
    """Pairs measured under different conditions: both figures and what each was measured on."""
    df = labelled_gap(con, lang, years)
    return df.loc[df["status"] == "not_comparable", READ_WITH_CARE].reset_index(drop=True)


def read_with_care(
    con: duckdb.DuckDBPyConnection, lang: str = "en", years: Iterable[int] | None = None
) -> pd.DataFrame:
    """Every row with a caveat or a pair that is not comparable."""
    df = labelled_gap(con, lang, years)
    keep = (df["caveats"].map(len) > 0) | (df["status"] == "not_comparable")
    return df.loc[keep, READ_WITH_CARE].reset_index(drop=True)


def status_summary(
    con: duckdb.DuckDBPyConnection, years: Iterable[int] | None = None
) -> pd.DataFrame:
    """Counts of gap rows by target year and status, with how many carry a caveat."""
    years = _years(years)
    statuses = ", ".join(f"'{s}'" for s in STATUSES)
    return (
        con.execute(
            f"""
        PIVOT (SELECT target_year, status FROM gap
               WHERE ?::INTEGER[] IS NULL OR list_contains(?::INTEGER[], target_year))
        ON status IN ({statuses})
        USING count(*) GROUP BY target_year ORDER BY target_year""",
            [years, years],
        )
        .df()
        .merge(
            con.execute(
                """SELECT target_year, count(*) FILTER (WHERE len(caveats) > 0) AS with_caveats
               FROM gap GROUP BY ALL"""
            ).df(),
            on="target_year",
        )
    )


def deadline_actuals(
    con: duckdb.DuckDBPyConnection, lang: str = "en", years: Iterable[int] | None = None
) -> pd.DataFrame:
    """Each target next to any actual the documents give *for the target year itself* — what
    answers "was it met?" once a deadline has passed (``gap`` compares with earlier actuals)."""
    lang = check_lang(lang)
    years = _years(years)
    df = con.execute(
        f"""
        SELECT {geo_label_sql(lang)} AS geo_name, i.name_{lang} AS indicator_name,
               g.target_year, g.comparator, g.target_value, g.target_value_reported,
               o.value AS actual_value, o.is_estimate AS actual_is_estimate,
               o.source_id AS actual_source_id, o.observation_id AS actual_observation_id,
               g.status AS status_before_the_year, g.baseline_year, g.baseline_value
        FROM gap g
        JOIN geo USING (geo_code)
        JOIN indicator i USING (indicator_code)
        LEFT JOIN observation o
          ON o.kind = 'actual' AND o.geo_code = g.geo_code
         AND o.indicator_code = g.indicator_code AND o.year = g.target_year
         AND NOT coalesce(list_contains(o.flags, 'restated'), false)
        WHERE ?::INTEGER[] IS NULL OR list_contains(?::INTEGER[], g.target_year)
        ORDER BY g.geo_code, i.domain, g.indicator_code, g.target_year, o.source_id""",
        [years, years],
    ).df()
    return nfc_frame(df)
