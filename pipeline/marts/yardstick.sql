-- yardstick: each provincial or district target beside the national target(s) for the same
-- indicator and year, and whether it is more, as or less ambitious than each.
--
-- One row per (local target, national target). The national targets are the `gap` rows of the
-- country (VN), one per target statement: where several instruments set one (doctors per 10,000
-- in 2025: 10 under Resolution 20-NQ/TW as cited, 15 under the 2021-2030 health-facility
-- network master plan), each is a row with its instrument. Where no national target is set for
-- the local target's year, those of the nearest later year are used, and `national_year_basis`
-- says so. A local target with no national target for its year or later has no row.
--
-- Ambition compares what each target asks for: the outcomes that meet it, by the comparator or,
-- for `=` and `~`, the indicator's direction (the rules of `gap`: docs/gap.md). A target whose
-- outcomes all meet the other, but not the reverse, is more ambitious; the same outcomes, as
-- ambitious. Two targets pointing different ways, on a neutral indicator, measured under
-- different conditions or stated in words are `not_comparable`, with `ambition_reason`.
--
-- Reads `gap` and `geo`; runs as is in any DuckDB client connected to a built warehouse
-- (read-write): it creates or replaces the view `yardstick`. Documented in docs/gap.md.

CREATE OR REPLACE VIEW yardstick AS
WITH
params AS (
  SELECT 1e-9 AS eps,
         -- flags of either target that say "read with care" (as in gap.sql)
         ['unit_corrected', 'conflict', 'estimate', 'preliminary', 'correction_applied',
          'comparator_differs', 'instruments_differ'] AS caveat_flags
),
-- every target statement with the sense of what it asks for: 'up' (at least / more than the
-- value), 'down' (at most / less than) or 'point' (exactly: `=` on a neutral indicator), and
-- whether the value itself meets it (closed) or not (strict `<`, `>`)
bar AS (
  SELECT g.*, geo.level,
         CASE WHEN g.comparator IN ('>', '>=') THEN 'up'
              WHEN g.comparator IN ('<', '<=') THEN 'down'
              WHEN g.direction = 'higher_is_better' THEN 'up'
              WHEN g.direction = 'lower_is_better' THEN 'down'
              ELSE 'point'
         END AS sense,
         g.comparator NOT IN ('<', '>') AS closed,
         coalesce(lower(regexp_replace(trim(g.target_condition), '\s+', ' ', 'g')), '')
           AS condition_key
  FROM gap g JOIN geo USING (geo_code)
),
local_target AS (SELECT * FROM bar WHERE level IN ('province', 'district')),
national AS (SELECT * FROM bar WHERE level = 'country'),
-- the national year of each local target: its own year if a national target is set for it,
-- else the nearest later year that has one
cell AS (
  SELECT l.target_observation_id AS lid, min(n.target_year) AS national_year
  FROM local_target l
  JOIN national n ON n.indicator_code = l.indicator_code AND n.target_year >= l.target_year
  GROUP BY l.target_observation_id
),
pair AS (
  SELECT l.geo_code, l.indicator_code, l.unit_code, l.direction,
         l.target_year, l.comparator, l.target_value, l.target_value_reported,
         l.target_source_id, l.target_observation_id,
         c.national_year,
         CASE WHEN c.national_year = l.target_year THEN 'same_year'
              ELSE 'nearest_later_year' END AS national_year_basis,
         n.comparator AS national_comparator, n.target_value AS national_value,
         n.target_value_reported AS national_value_reported,
         coalesce(n.target_instrument, s.title) AS national_instrument,
         coalesce(n.target_url, s.url) AS national_url,
         n.target_source_id AS national_source_id,
         n.target_observation_id AS national_observation_id,
         round(l.target_value - n.target_value, 10) AS difference,
         l.target_condition, n.target_condition AS national_condition,
         l.target_flags, n.target_flags AS national_flags,
         l.sense, n.sense AS national_sense, l.closed, n.closed AS national_closed,
         l.condition_key <> n.condition_key AS conditions_differ
  FROM local_target l
  JOIN cell c ON c.lid = l.target_observation_id
  JOIN national n ON n.indicator_code = l.indicator_code AND n.target_year = c.national_year
  LEFT JOIN source_document s ON s.source_id = n.target_source_id
),
judged AS (
  SELECT pair.*,
         CASE
           WHEN target_value IS NULL OR national_value IS NULL THEN 'target_in_words'
           WHEN conditions_differ THEN 'conditions_differ'
           WHEN sense = 'point' AND national_sense = 'point'
                AND abs(target_value - national_value) > p.eps THEN 'neutral_indicator'
           WHEN sense <> national_sense THEN 'comparators_point_apart'
         END AS ambition_reason,
         -- +1: the local target asks for more, -1: for less, 0: for the same
         CASE
           WHEN sense = 'up' AND target_value > national_value + p.eps THEN 1
           WHEN sense = 'up' AND target_value < national_value - p.eps THEN -1
           WHEN sense = 'down' AND target_value < national_value - p.eps THEN 1
           WHEN sense = 'down' AND target_value > national_value + p.eps THEN -1
           -- the same value: a strict bound asks for a little more than a closed one
           WHEN NOT closed AND national_closed THEN 1
           WHEN closed AND NOT national_closed THEN -1
           ELSE 0
         END AS ambition_sign
  FROM pair CROSS JOIN params p
),
ranked AS (
  SELECT judged.*,
         CASE WHEN ambition_reason IS NOT NULL THEN 'not_comparable'
              WHEN ambition_sign > 0 THEN 'more_ambitious'
              WHEN ambition_sign < 0 THEN 'less_ambitious'
              ELSE 'as_ambitious'
         END AS ambition
  FROM judged
)
SELECT geo_code, indicator_code, unit_code, direction,
       target_year, comparator, target_value, target_value_reported, target_source_id,
       target_observation_id,
       national_year, national_year_basis, national_comparator, national_value,
       national_value_reported, national_instrument, national_url, national_source_id,
       national_observation_id,
       CASE WHEN ambition_reason IS NULL THEN difference END AS difference,
       ambition, ambition_reason,
       ambition = 'less_ambitious' AS falls_short,
       target_condition, national_condition,
       list_sort(list_intersect(list_concat(target_flags, national_flags), p.caveat_flags))
         AS caveats,
       count(*) OVER (PARTITION BY target_observation_id) AS national_targets,
       bool_or(ambition = 'less_ambitious') OVER (PARTITION BY target_observation_id)
         AS falls_short_of_any
FROM ranked CROSS JOIN params p;
