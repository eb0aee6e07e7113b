"""The rows of a large table's suite, a chunk at a time, with the helper columns DuckDB computes.

Each query reads the rows of the table ``t`` that ``{where}`` selects, with ``_rowid`` (their
position in the table), what they are checked against joined to them (the first row of a key
when a key repeats: a repeated key fails its own suite), and the helper columns that need no raw
file. Each helper column is a plain boolean: a missing input makes it false where the check
fails, never NULL (Great Expectations would count a NULL as missing, not as failed). List
columns come as comma-joined text, as the suites see them.
"""

from __future__ import annotations

from pipeline.quality.gap_checks import CHECKED

_FIRST = "QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY rowid) = 1"
_SOURCES = f"""s AS (SELECT source_id, n_lines, geo_code, file_name FROM source_document
               WHERE source_id IS NOT NULL {_FIRST.format(key="source_id")})"""
# each place's parent as the check reads it: the last row of a repeated code
_PARENTS = """p AS (SELECT geo_code, parent_code FROM geo WHERE geo_code IS NOT NULL
               QUALIFY row_number() OVER (PARTITION BY geo_code ORDER BY rowid DESC) = 1)"""


def _has(flags: str, flag: str) -> str:
    return f"coalesce(list_contains({flags}, '{flag}'), false)"


_DETAIL = "coalesce(t.flag_detail, '')"
_AGAINST = """(i.direction = 'higher_is_better' AND t.comparator IN ('<', '<='))
              OR (i.direction = 'lower_is_better' AND t.comparator IN ('>', '>='))"""

OBSERVATION = f"""
WITH i AS (SELECT * FROM indicator WHERE indicator_code IS NOT NULL
           {_FIRST.format(key="indicator_code")}), {_SOURCES}, {_PARENTS}
SELECT t.rowid AS _rowid,
  t.* REPLACE (coalesce(array_to_string(t.flags, ','), '') AS flags,
               coalesce(array_to_string(t.correction_ids, ','), '') AS correction_ids),
  i.min_plausible, i.max_plausible, i.unit_code AS indicator_unit_code,
  i.direction AS indicator_direction, s.n_lines AS source_n_lines, s.geo_code AS source_geo_code,
  t.comparator IS NOT NULL OR {_has("t.flags", "qualitative")}
    AS comparator_present_unless_qualitative,
  (t.value IS NOT NULL AND NOT isnan(t.value)) OR {_has("t.flags", "qualitative")}
    AS value_present_unless_qualitative,
  NOT {_has("t.flags", "unit_corrected")} OR contains({_DETAIL}, 'unit_corrected:')
    AS unit_corrected_explained,
  NOT {_has("t.flags", "conflict")} OR contains({_DETAIL}, 'conflict:') AS conflict_explained,
  coalesce(list_bool_and(list_transform(t.flags, lambda x: contains({_DETAIL}, x))), true)
    AS flags_explained,
  NOT coalesce(t.kind = 'target' AND ({_AGAINST}), false) AS comparator_agrees_with_direction,
  coalesce(t.geo_code = s.geo_code OR (s.geo_code = 'VN' AND p.geo_code IS NOT NULL)
           OR p.parent_code = s.geo_code, false) AS geo_within_source,
  NOT coalesce(t.reader IN ('csv_long', 'csv_wide'), false)
    OR (t.cited_instrument IS NOT NULL AND t.cited_url IS NOT NULL) AS cited_if_from_a_table,
  s.file_name AS _file
FROM observation t LEFT JOIN i ON i.indicator_code = t.indicator_code
LEFT JOIN s ON s.source_id = t.source_id LEFT JOIN p ON p.geo_code = t.geo_code
WHERE {{where}}"""


def _flags_of(o: str) -> str:
    """An observation's flags as `gap` carries them: plus 'estimate' when printed as one; NULL
    when the row names no such observation."""
    estimate = f"coalesce({o}.is_estimate, false) AND NOT {_has(f'{o}.flags', 'estimate')}"
    return f"""CASE WHEN {o}.observation_id IS NOT NULL THEN list_concat(
        coalesce({o}.flags, []::VARCHAR[]),
        CASE WHEN {estimate} THEN ['estimate'] ELSE []::VARCHAR[] END) END"""


def _condition_travels(column: str, o: str) -> str:
    return f"""(({column} IS NULL AND ({o}.observation_id IS NULL OR {o}.condition IS NULL))
        OR ({o}.observation_id IS NOT NULL AND {column} IS NOT DISTINCT FROM {o}.condition))"""


def _same(o: str, pairs: tuple[tuple[str, str], ...]) -> str:
    return " AND ".join(f"{o}.{a} IS NOT DISTINCT FROM {b}" for a, b in pairs)


def _cited(side: str, o: str) -> str:
    """A figure's citation travels into the row (none when the row names no such figure)."""
    return f"""CASE WHEN {o}.observation_id IS NULL
                    THEN t.{side}_instrument IS NULL AND t.{side}_url IS NULL
                    ELSE t.{side}_instrument IS NOT DISTINCT FROM {o}.cited_instrument
                     AND t.{side}_url IS NOT DISTINCT FROM {o}.cited_url END"""


# an actual's basis as the view ranks them: 1 the target's own document (and citation), 2 official
# statistics, 3 any other source
_PRI = """(CASE WHEN a.source_id IS NOT DISTINCT FROM ot.source_id
                 AND a.cited_instrument IS NOT DISTINCT FROM ot.cited_instrument
                 AND a.cited_url IS NOT DISTINCT FROM ot.cited_url THEN 1
            WHEN coalesce(a.official_statistics, false) THEN 2 ELSE 3 END)"""
_BASES = "['target_document', 'official_statistics', 'other_source']"
_MEASURED = "coalesce(t.status IN ('met', 'not_met'), false)"
_KEY = (("geo_code", "t.geo_code"), ("indicator_code", "t.indicator_code"))
_TARGET = (("kind", "'target'"), ("year", "t.target_year"), ("source_id", "t.target_source_id"))

GAP = f"""
WITH o AS (
  SELECT {", ".join(CHECKED)}, observation_id FROM observation
  WHERE observation_id IN (SELECT target_observation_id FROM gap_rows t WHERE {{where}}
                           UNION ALL
                           SELECT baseline_observation_id FROM gap_rows t WHERE {{where}})
  {_FIRST.format(key="observation_id")}),
-- the actuals a baseline is chosen from: the latest year before the target's, and of that year
-- the basis the view prefers (own document, then official statistics, then any other source)
e AS (
  SELECT t.rowid AS _rowid, max(a.year) AS latest,
    {_BASES}[arg_max({_PRI}, a.year * 10 - {_PRI})] AS basis
  FROM gap_rows t JOIN o ot ON ot.observation_id = t.target_observation_id
  JOIN observation a ON a.geo_code = t.geo_code AND a.indicator_code = t.indicator_code
   AND a.year < ot.year AND a.kind = 'actual' AND a.value IS NOT NULL AND NOT isnan(a.value)
   AND coalesce(a.sex, 'total') = 'total' AND coalesce(a.residence, 'total') = 'total'
  WHERE {{where}} GROUP BY t.rowid)
SELECT t.rowid AS _rowid,
  t.* REPLACE (array_to_string(t.baseline_flags, ',') AS baseline_flags,
               array_to_string(t.target_flags, ',') AS target_flags,
               array_to_string(t.caveats, ',') AS caveats),
  ot.observation_id IS NOT NULL AND {_same("ot", _TARGET + _KEY)}
    AND NOT {_has("ot.flags", "restated")} AS target_is_a_stated_target,
  CASE WHEN t.baseline_observation_id IS NULL THEN ob.observation_id IS NULL
       ELSE ob.observation_id IS NOT NULL
         AND {_same("ob", (("kind", "'actual'"), ("year", "t.baseline_year"), *_KEY))}
         AND coalesce(ob.value = t.baseline_value AND ob.year < t.target_year, false)
  END AS baseline_is_an_earlier_actual,
  coalesce(coalesce(t.target_flags, []::VARCHAR[]) = {_flags_of("ot")}, false)
    AND CASE WHEN ob.observation_id IS NULL THEN t.baseline_flags IS NULL
             ELSE coalesce(coalesce(t.baseline_flags, []::VARCHAR[]) = {_flags_of("ob")}, false)
        END AS flags_travel,
  {_condition_travels("t.target_condition", "ot")}
    AND {_condition_travels("t.baseline_condition", "ob")} AS conditions_travel,
  coalesce(list_has_all(list_concat(coalesce(t.baseline_flags, []::VARCHAR[]),
                                    coalesce(t.target_flags, []::VARCHAR[])),
                        coalesce(t.caveats, []::VARCHAR[])), false) AS caveats_from_flags,
  {_MEASURED} = (t.status_reason IS NULL)
    AND ({_MEASURED} OR t.gap_to_close IS NULL OR isnan(t.gap_to_close))
    AS measured_only_when_comparable,
  {_cited("target", "ot")} AND {_cited("baseline", "ob")}
    AND CASE WHEN ob.observation_id IS NULL THEN t.baseline_is_preliminary IS NULL
             ELSE coalesce(t.baseline_is_preliminary, false) = {_has("ob.flags", "preliminary")}
        END AS citations_travel,
  CASE WHEN ot.observation_id IS NULL THEN false
       WHEN e.latest IS NULL THEN t.baseline_observation_id IS NULL
       ELSE coalesce(t.baseline_year = e.latest AND t.baseline_basis = e.basis, false)
  END AS baseline_preferred
FROM gap_rows t LEFT JOIN o ot ON ot.observation_id = t.target_observation_id
LEFT JOIN o ob ON ob.observation_id = t.baseline_observation_id
LEFT JOIN e ON e._rowid = t.rowid WHERE {{where}}"""

# the country's target statements by indicator and year: one per document and citation
_STATEMENTS = """ns AS (
  SELECT o.indicator_code, o.year,
         count(DISTINCT (o.source_id, o.cited_instrument, o.cited_url)) AS n
  FROM observation o JOIN lv ON lv.geo_code = o.geo_code AND lv.level = 'country'
  WHERE o.kind = 'target' AND coalesce(o.sex, 'total') = 'total'
    AND coalesce(o.residence, 'total') = 'total'
  GROUP BY ALL)"""
_LEVELS = f"""lv AS (SELECT geo_code, level FROM geo WHERE geo_code IS NOT NULL
                {_FIRST.format(key="geo_code")})"""

YARDSTICK = f"""
WITH {_LEVELS}, {_STATEMENTS},
c AS (SELECT * FROM yardstick_rows t WHERE {{where}}),
o AS (
  SELECT observation_id, kind, geo_code, indicator_code, year FROM observation
  WHERE observation_id IN (SELECT target_observation_id FROM c
                           UNION ALL SELECT national_observation_id FROM c)
  {_FIRST.format(key="observation_id")}),
-- each local target's rows, counted and judged over the whole table
per_target AS (
  SELECT target_observation_id, count(*) AS n_rows, bool_or(falls_short) AS any_short
  FROM yardstick_rows
  WHERE target_observation_id IN (SELECT target_observation_id FROM c) GROUP BY 1),
nearest AS (
  SELECT t.rowid AS _rowid, min(ns.year) AS year FROM yardstick_rows t
  JOIN ns ON ns.indicator_code = t.indicator_code AND ns.year >= t.target_year
  WHERE {{where}} GROUP BY 1)
SELECT t.rowid AS _rowid,
  t.* REPLACE (array_to_string(t.caveats, ',') AS caveats),
  coalesce(ot.kind = 'target' AND ot.geo_code = t.geo_code
           AND ot.indicator_code = t.indicator_code AND ot.year = t.target_year
           AND lt.level IN ('province', 'district'), false) AS local_is_a_local_target,
  coalesce(onat.kind = 'target' AND onat.indicator_code = t.indicator_code
           AND onat.year = t.national_year AND ln.level = 'country', false)
    AS national_is_a_national_target,
  coalesce(t.national_year = nr.year
           AND (t.national_year_basis = 'same_year') = (nr.year = t.target_year), false)
    AS national_year_is_the_nearest,
  coalesce(t.national_targets = pt.n_rows AND pt.n_rows = coalesce(s.n, 0), false)
    AS every_national_target_shown,
  coalesce(t.falls_short_of_any = pt.any_short, false) AS falls_short_of_any_follows
FROM yardstick_rows t
LEFT JOIN o ot ON ot.observation_id = t.target_observation_id
LEFT JOIN o onat ON onat.observation_id = t.national_observation_id
LEFT JOIN lv lt ON lt.geo_code = ot.geo_code
LEFT JOIN lv ln ON ln.geo_code = onat.geo_code
LEFT JOIN nearest nr ON nr._rowid = t.rowid
LEFT JOIN per_target pt ON pt.target_observation_id = t.target_observation_id
LEFT JOIN ns s ON s.indicator_code = t.indicator_code AND s.year = t.national_year
WHERE {{where}}"""

CHUNK_SQL = {
    "source_document": f"""WITH g AS (SELECT geo_code, map FROM geo WHERE geo_code IS NOT NULL
                                      {_FIRST.format(key="geo_code")})
        SELECT t.rowid AS _rowid,
        t.* REPLACE (coalesce(array_to_string(t.layouts, ','), '') AS layouts),
        coalesce(g.map = t.geo_map OR g.map = 'both', false) AS geo_on_its_map
        FROM source_document t LEFT JOIN g ON g.geo_code = t.geo_code WHERE {{where}}""",
    "observation": OBSERVATION,
    "unmapped": f"""WITH {_SOURCES}
        SELECT t.rowid AS _rowid, t.*, s.n_lines AS source_n_lines, s.file_name AS _file
        FROM unmapped t LEFT JOIN s ON s.source_id = t.source_id WHERE {{where}}""",
    "correction": f"""WITH {_SOURCES}
        SELECT t.rowid AS _rowid, t.*, s.file_name AS _file,
          t.status IS DISTINCT FROM 'active' OR coalesce(t.n_observations >= 1, false)
            AS active_touched_observations
        FROM correction t LEFT JOIN s ON s.source_id = t.source_id WHERE {{where}}""",
    "gap": GAP,
    "yardstick": YARDSTICK,
}
