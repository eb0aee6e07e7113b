"""Marts layer: analysis views over the warehouse, one ``.sql`` file each (``gap.sql``, and
``yardstick.sql``, which reads ``gap``).

Each file runs as is in any DuckDB client; the build runs it in the staged warehouse and then
stores the view's rows in a table (``<view>_rows``) that the view reads and sorts into its
documented order, so a researcher's ``SELECT * FROM gap`` costs a scan and a sort, not the
view's SQL, and an incremental build may patch the rows in place.
"""

from __future__ import annotations

import duckdb

from pipeline.marts import partial
from pipeline.marts.sql import MARTS_DIR, Delta, view_sql

__all__ = ["MARTS_DIR", "VIEWS", "create_views", "view_sql"]

GAP_COLUMNS = [
    "geo_code",
    "indicator_code",
    "unit_code",
    "direction",
    "baseline_year",
    "baseline_value",
    "baseline_is_estimate",
    "baseline_source_id",
    "target_year",
    "comparator",
    "target_value",
    "target_source_id",
    "gap",
    "gap_to_close",
    "status",
    "years_left",
    "required_annual_change",
    "required_annual_rate",
    "trend_start_year",
    "trend_start_value",
    "observed_annual_rate",
    "projected_value",
    "progress_ratio",
    "progress_class",
    "target_value_upper",
    "target_value_reported",
    "target_conflict",
    "target_observation_id",
    "baseline_observation_id",
    "baseline_conflict",
    "baseline_flags",
    "target_flags",
    "baseline_condition",
    "target_condition",
    "status_reason",
    "caveats",
    "baseline_is_preliminary",
    "baseline_basis",
    "baseline_instrument",
    "baseline_url",
    "target_instrument",
    "target_url",
    "trend_start_observation_id",
]
# where a baseline comes from, in the order the view prefers them
BASELINE_BASES = ("target_document", "official_statistics", "other_source")
STATUSES = ("met", "not_met", "not_comparable", "no_baseline", "qualitative")
# status_reason of each status the view does not measure (met and not_met have none)
STATUS_REASONS = {
    "not_comparable": "conditions_differ",
    "no_baseline": "no_actual_before_target_year",
    "qualitative": "target_in_words",
}
PROGRESS_CLASSES = ("on_track", "acceleration_needed", "stagnation_or_regression")

GAP_ORDER = "geo_code, indicator_code, target_year, target_source_id, target_observation_id"
# on each view's table of rows (`gap_rows`, `yardstick_rows`)
ROWS_COMMENT = "the rows of the view {}, which returns them in the order {}"

YARDSTICK_COLUMNS = [
    "geo_code",
    "indicator_code",
    "unit_code",
    "direction",
    "target_year",
    "comparator",
    "target_value",
    "target_value_reported",
    "target_source_id",
    "target_observation_id",
    "national_year",
    "national_year_basis",
    "national_comparator",
    "national_value",
    "national_value_reported",
    "national_instrument",
    "national_url",
    "national_source_id",
    "national_observation_id",
    "difference",
    "ambition",
    "ambition_reason",
    "falls_short",
    "target_condition",
    "national_condition",
    "caveats",
    "national_targets",
    "falls_short_of_any",
]
AMBITIONS = ("more_ambitious", "as_ambitious", "less_ambitious", "not_comparable")
# ambition_reason of a pair that is not compared (the others have none)
AMBITION_REASONS = (
    "target_in_words",
    "conditions_differ",
    "neutral_indicator",
    "comparators_point_apart",
)
NATIONAL_YEAR_BASES = ("same_year", "nearest_later_year")
YARDSTICK_ORDER = (
    "geo_code, indicator_code, target_year, target_observation_id, national_value, "
    "national_observation_id"
)

# view name -> the order its rows are stored in; created in this order (yardstick reads gap)
VIEWS = {"gap": GAP_ORDER, "yardstick": YARDSTICK_ORDER}


def create_views(
    con: duckdb.DuckDBPyConnection,
    previous: str | None = None,
    fresh: list[str] | None = None,
    tables: list[str] = (),
) -> dict[str, Delta]:
    """Create every mart in a staged warehouse: its rows computed once and stored in
    ``<view>_rows``, and the view itself a sorted read of them (its documented order).

    With ``previous`` (the schema of the previous build's warehouse, made by the same code from
    the same reference data, of which ``con``'s warehouse is a copy) and ``fresh`` (the
    documents whose rows it does not hold), a view of ``partial.PARTITIONED`` has its stored
    rows patched for the keys whose observations changed only; returns the fingerprints of the
    rows each patched table lost and gained.
    """
    deltas = {}
    for name, order in VIEWS.items():
        con.execute(view_sql(name))
        keys = None
        if previous is not None and fresh is not None and name in partial.PARTITIONED:
            keys = partial.changed_keys(con, name, previous, fresh)
        if keys is not None:
            deltas[f"{name}_rows"] = partial.patch_rows(con, name, order, keys, list(tables))
        else:
            con.execute(
                f"CREATE OR REPLACE TABLE {name}_rows AS SELECT * FROM {name} ORDER BY {order}"
            )
        con.execute(f"COMMENT ON TABLE {name}_rows IS '{ROWS_COMMENT.format(name, order)}'")
        con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {name}_rows ORDER BY {order}")
    return deltas
