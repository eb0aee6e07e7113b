-- gap: each place's targets against its latest actual before the target year.
--
-- One row per target statement (the first, non-restated statement of a document for a place,
-- indicator, year and kind; in a compilation whose rows cite their own instruments, of each
-- citation). Documented column by column in docs/gap.md. The baseline is the latest actual
-- before the target year from any source, preferring the target's own document, then official
-- statistics, then other sources. Every row carries the flags and conditions of both figures
-- it compares; a pair measured under different conditions is `not_comparable`, never `met` or
-- `not_met`.
--
-- Runs as is in any DuckDB client connected to a built warehouse (read-write): it creates or
-- replaces the view `gap`. The build runs this file, then stores the view's rows in `gap_rows`
-- (sorted) and points `gap` at them, so reading the view costs a scan.

CREATE OR REPLACE VIEW gap AS
WITH
-- thresholds: the UN SDG progress chart's ratios of projected to required progress, and the
-- tolerance for figures printed with a few decimals (and converted between units)
params AS (
  SELECT 0.95 AS on_track,      -- progress_ratio from here on: on track
         0.10 AS acceleration,  -- from here to on_track: acceleration needed; below: stagnation
         1e-9 AS eps,
         -- flags of either figure that say "read with care": listed in `caveats`
         ['unit_corrected', 'conflict', 'estimate', 'preliminary', 'correction_applied',
          'comparator_differs', 'instruments_differ'] AS caveat_flags
),
-- one statement per (place, indicator, year, kind, document, citation): the first stated,
-- non-restated row; `stated_conflict` is true when the document gives different figures for it.
-- The citation (instrument and URL) is NULL for a document's own figures; a compilation's rows
-- each cite theirs, and each instrument's figure is a statement of its own.
first_statement AS (
  SELECT arg_min(observation_id, (coalesce(list_contains(flags, 'restated'), false),
                                  line_start, observation_id)) AS observation_id,
         bool_or(coalesce(list_contains(flags, 'conflict'), false)) AS stated_conflict
  FROM observation
  -- a figure for men or women, towns or villages, is not the place's figure
  WHERE coalesce(sex, 'total') = 'total' AND coalesce(residence, 'total') = 'total'
  GROUP BY geo_code, indicator_code, year, kind, source_id, cited_instrument, cited_url
),
statement AS (
  SELECT o.observation_id, o.geo_code, o.indicator_code, o.year, o.kind, o.source_id,
         o.comparator, o.value, o.value_upper, o.value_reported, o.unit_code, o.is_estimate,
         f.stated_conflict, o.condition, o.line_start, o.cited_instrument, o.cited_url,
         coalesce(o.official_statistics, false) AS official_statistics,
         -- the observation's flags, plus `estimate` when it is printed as one
         list_concat(coalesce(o.flags, []::VARCHAR[]),
                     CASE WHEN o.is_estimate AND NOT coalesce(list_contains(o.flags, 'estimate'),
                                                              false)
                          THEN ['estimate'] ELSE []::VARCHAR[] END) AS flags,
         -- the condition as compared: case and runs of white space do not matter
         coalesce(lower(regexp_replace(trim(o.condition), '\s+', ' ', 'g')), '') AS condition_key
  FROM first_statement f JOIN observation o USING (observation_id)
),
target AS (SELECT * FROM statement WHERE kind = 'target'),
actual AS (SELECT * FROM statement WHERE kind = 'actual' AND value IS NOT NULL),
-- every actual of the target's place and indicator before its year is a candidate, ranked
-- within its year: (1) the target's own document (the same file and citation), (2) official
-- statistics, (3) any other source; within a rank a final figure before a preliminary or
-- estimated one, then the first document by source_id, then the first stated
candidate AS (
  SELECT t.observation_id AS tid, a.observation_id AS aid, a.year,
         CASE WHEN a.source_id = t.source_id
                   AND a.cited_instrument IS NOT DISTINCT FROM t.cited_instrument
                   AND a.cited_url IS NOT DISTINCT FROM t.cited_url THEN 1
              WHEN a.official_statistics THEN 2
              ELSE 3
         END AS basis_rank,
         coalesce(a.is_estimate, false) AS is_estimate, a.source_id, a.line_start
  FROM target t
  JOIN actual a
    ON a.geo_code = t.geo_code AND a.indicator_code = t.indicator_code AND a.year < t.year
),
-- the baseline is the best candidate of the latest year; the observed trend runs from the best
-- candidate of the earliest year to the baseline
located AS (
  SELECT tid,
         arg_min(aid, (-year, basis_rank, is_estimate, source_id, line_start, aid)) AS bid,
         arg_min(basis_rank, (-year, basis_rank, is_estimate, source_id, line_start, aid))
           AS basis_rank,
         CASE WHEN min(year) < max(year)
              THEN arg_min(aid, (year, basis_rank, is_estimate, source_id, line_start, aid))
         END AS sid
  FROM candidate
  GROUP BY tid
),
paired AS (
  SELECT t.geo_code, t.indicator_code, t.unit_code, i.direction,
         b.year AS baseline_year, b.value AS baseline_value,
         b.is_estimate AS baseline_is_estimate, b.source_id AS baseline_source_id,
         t.year AS target_year, t.comparator, t.value AS target_value,
         t.source_id AS target_source_id,
         s.year AS trend_start_year, s.value AS trend_start_value,
         t.value_upper AS target_value_upper, t.value_reported AS target_value_reported,
         t.stated_conflict AS target_conflict, t.observation_id AS target_observation_id,
         b.observation_id AS baseline_observation_id, b.stated_conflict AS baseline_conflict,
         b.flags AS baseline_flags, t.flags AS target_flags,
         b.condition AS baseline_condition, t.condition AS target_condition,
         CASE l.basis_rank WHEN 1 THEN 'target_document' WHEN 2 THEN 'official_statistics'
                           WHEN 3 THEN 'other_source' END AS baseline_basis,
         b.cited_instrument AS baseline_instrument, b.cited_url AS baseline_url,
         t.cited_instrument AS target_instrument, t.cited_url AS target_url,
         s.observation_id AS trend_start_observation_id,
         t.year - b.year AS years_left,
         b.condition_key <> t.condition_key AS conditions_differ,
         CASE
           WHEN t.value IS NULL OR b.value IS NULL THEN NULL
           WHEN b.condition_key <> t.condition_key THEN NULL  -- not the same thing measured
           WHEN t.comparator = '<' THEN b.value < t.value - p.eps
           WHEN t.comparator = '<=' THEN b.value <= t.value + p.eps
           WHEN t.comparator = '>' THEN b.value > t.value + p.eps
           WHEN t.comparator = '>=' THEN b.value >= t.value - p.eps
           WHEN i.direction = 'higher_is_better' THEN b.value >= t.value - p.eps
           WHEN i.direction = 'lower_is_better' THEN b.value <= t.value + p.eps
           ELSE abs(b.value - t.value) <= p.eps
         END AS is_met
  FROM target t
  CROSS JOIN params p
  JOIN indicator i USING (indicator_code)
  LEFT JOIN located l ON l.tid = t.observation_id
  LEFT JOIN actual b ON b.observation_id = l.bid
  LEFT JOIN actual s ON s.observation_id = l.sid
),
measured AS (
  SELECT *,
         CASE
           WHEN target_value IS NULL THEN 'qualitative'
           WHEN baseline_value IS NULL THEN 'no_baseline'
           WHEN conditions_differ THEN 'not_comparable'
           WHEN is_met THEN 'met'
           ELSE 'not_met'
         END AS status,
         CASE WHEN is_met IS NOT NULL THEN round(target_value - baseline_value, 10) END AS gap,
         CASE WHEN is_met THEN 0.0
              WHEN NOT is_met THEN round(abs(target_value - baseline_value), 10)
         END AS gap_to_close,
         CASE WHEN trend_start_value > 0 AND baseline_value >= 0
                   AND baseline_year > trend_start_year
              THEN pow(baseline_value / trend_start_value,
                       1.0 / (baseline_year - trend_start_year)) - 1
         END AS observed_annual_rate
  FROM paired
),
projected AS (
  SELECT *,
         baseline_value * pow(1 + observed_annual_rate, years_left) AS projected_value
  FROM measured
)
SELECT geo_code, indicator_code, unit_code, direction,
       baseline_year, baseline_value, baseline_is_estimate, baseline_source_id,
       target_year, comparator, target_value, target_source_id,
       gap, gap_to_close, status, years_left,
       round(gap_to_close / years_left, 10) AS required_annual_change,
       CASE WHEN status = 'met' THEN 0.0
            WHEN status = 'not_met' AND baseline_value > 0 AND target_value >= 0
                 AND years_left > 0
            THEN pow(target_value / baseline_value, 1.0 / years_left) - 1
       END AS required_annual_rate,
       trend_start_year, trend_start_value,
       observed_annual_rate, projected_value,
       CASE WHEN status IN ('met', 'not_met') AND abs(target_value - baseline_value) > p.eps
            THEN (projected_value - baseline_value) / (target_value - baseline_value)
       END AS progress_ratio,
       CASE WHEN status <> 'not_met' OR projected_value IS NULL
                 OR abs(target_value - baseline_value) <= p.eps THEN NULL
            WHEN (projected_value - baseline_value) / (target_value - baseline_value)
                 >= p.on_track THEN 'on_track'
            WHEN (projected_value - baseline_value) / (target_value - baseline_value)
                 >= p.acceleration THEN 'acceleration_needed'
            ELSE 'stagnation_or_regression'
       END AS progress_class,
       target_value_upper, target_value_reported, target_conflict,
       target_observation_id, baseline_observation_id, baseline_conflict,
       baseline_flags, target_flags, baseline_condition, target_condition,
       CASE status
         WHEN 'not_comparable' THEN 'conditions_differ'
         WHEN 'no_baseline' THEN 'no_actual_before_target_year'
         WHEN 'qualitative' THEN 'target_in_words'
       END AS status_reason,
       list_sort(list_intersect(list_concat(coalesce(baseline_flags, []::VARCHAR[]),
                                            target_flags), p.caveat_flags)) AS caveats,
       -- issue #12: where the baseline comes from, and the citations of both figures
       list_contains(baseline_flags, 'preliminary') AS baseline_is_preliminary,
       baseline_basis, baseline_instrument, baseline_url, target_instrument, target_url,
       trend_start_observation_id
FROM projected
CROSS JOIN params p;
