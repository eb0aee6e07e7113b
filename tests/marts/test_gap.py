"""The `gap` view: the figures the issue names on the seed warehouse, comparator strictness, and
synthetic warehouses for baselines, trends and the UN progress-chart classes."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipeline import marts
from pipeline.analysis import frames
from pipeline.settings import ROOT
from pipeline.warehouse.gap_copy import GAP_ARROW, published_gap
from pipeline.warehouse.schema import SCHEMA

ON_TRACK = 0.95  # the progress chart threshold of gap.sql (docs/gap.md)


def one(df: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=df.index)
    for k, v in where.items():
        mask &= df[k] == v
    rows = df[mask]
    assert len(rows) == 1, f"{where}: {len(rows)} rows"
    return rows.iloc[0]


@pytest.fixture()
def gap(con) -> pd.DataFrame:
    return frames.gap_frame(con)


# ------------------------------------------------------------------------- seed documents


def test_kon_tum_doctors_2025(gap):
    r = one(gap, geo_code="62", indicator_code="doctors_per_10000", target_year=2025)
    assert r.baseline_year == 2023 and r.baseline_value == pytest.approx(10.5)
    assert not r.baseline_is_estimate
    assert r.target_value == pytest.approx(11.5) and r.comparator == "="
    assert r.gap == pytest.approx(1.0) and r.gap_to_close == pytest.approx(1.0)
    assert r.status == "not_met"
    assert r.years_left == 2
    assert r.required_annual_change == pytest.approx(0.5)
    assert r.required_annual_rate == pytest.approx((11.5 / 10.5) ** 0.5 - 1)
    assert r.unit_code == "per_10000" and r.direction == "higher_is_better"
    assert r.baseline_source_id == r.target_source_id == "kon-tum-2024-health-strategy-plan"


def test_kon_tum_medical_waste_met_in_2025_and_2030(gap):
    for year in (2025, 2030):
        r = one(gap, geo_code="62", indicator_code="medical_waste_treated", target_year=year)
        assert r.status == "met"
        assert r.baseline_value == 100 and r.target_value == 100
        assert r.gap_to_close == 0 and r.required_annual_change == 0
        assert r.required_annual_rate == 0


def test_kon_tum_tuberculosis_not_met(gap):
    r = one(gap, geo_code="62", indicator_code="tb_incidence_per_100000", target_year=2025)
    assert r.baseline_value == pytest.approx(87.6)
    assert r.comparator == "<" and r.target_value == pytest.approx(50)
    assert r.status == "not_met"
    assert r.gap == pytest.approx(-37.6) and r.gap_to_close == pytest.approx(37.6)
    assert r.required_annual_change == pytest.approx(18.8)
    assert r.required_annual_rate == pytest.approx((50 / 87.6) ** 0.5 - 1)
    assert r.required_annual_rate < 0  # a decline is needed


def test_strict_comparator_on_the_seed(gap):
    """Kon Tum's estimated infant mortality of 25 does not meet `< 25`."""
    r = one(gap, geo_code="62", indicator_code="infant_mortality_rate", target_year=2025)
    assert r.baseline_value == 25 and r.baseline_is_estimate
    assert r.comparator == "<" and r.target_value == 25
    assert r.status == "not_met" and r.gap_to_close == 0


def test_qualitative_and_no_baseline_on_the_seed(gap):
    r = one(gap, geo_code="62", indicator_code="malaria_incidence_per_100000", target_year=2025)
    assert r.status == "qualitative" and pd.isna(r.target_value) and pd.isna(r.gap)
    assert r.baseline_value == pytest.approx(0.34)
    assert "sốt rét" in r.target_value_reported
    # Tuyên Quang sets targets but reports no actual
    tq = gap[gap["geo_code"] == "08"]
    assert len(tq) and set(tq["status"]) == {"no_baseline"}
    assert tq["years_left"].isna().all() and tq["gap_to_close"].isna().all()


BRVT = "77"


@pytest.mark.parametrize("indicator", ["infant_mortality_rate", "under5_mortality_rate"])
def test_a_unit_correction_travels_into_gap(gap, indicator):
    """Bà Rịa - Vũng Tàu printed its child mortality in %; both figures were corrected."""
    r = one(gap, geo_code=BRVT, indicator_code=indicator, target_year=2024)
    assert r.status == "met"  # the same printed unit on both sides: met under either reading
    assert list(r.baseline_flags) == ["unit_corrected"]
    assert list(r.target_flags) == ["unit_corrected"]
    assert list(r.caveats) == ["unit_corrected"]


def test_the_issue_query_shows_the_unit_correction(con):
    rows = con.execute(
        """SELECT indicator_code, status, baseline_flags, target_flags, caveats
           FROM gap WHERE geo_code = '77' AND indicator_code LIKE '%mortality%'
           ORDER BY indicator_code"""
    ).fetchall()
    flagged = {r[0]: r[4] for r in rows if r[4]}
    assert flagged == {
        "infant_mortality_rate": ["unit_corrected"],
        "under5_mortality_rate": ["unit_corrected"],
    }


@pytest.mark.parametrize("year", [2025, 2030])
def test_kon_tum_immunisation_on_8_and_12_vaccines_is_not_comparable(gap, year):
    r = one(gap, geo_code="62", indicator_code="full_immunisation_under1", target_year=year)
    assert r.status == "not_comparable" and r.status_reason == "conditions_differ"
    assert "8 loại vắc xin" in r.baseline_condition
    assert "12 loại vắc xin" in r.target_condition
    assert (r.baseline_value, r.target_value) == (52.5, 95)  # both figures shown ...
    for col in ("gap", "gap_to_close", "required_annual_change", "required_annual_rate"):
        assert pd.isna(r[col]), col  # ... but not measured against each other
    assert pd.isna(r.progress_ratio) and pd.isna(r.progress_class)
    assert ("correction_applied" in r.caveats) == (year == 2030)


def test_a_stated_comparator_difference_travels_into_gap(gap):
    """Tam Đường: 'trên 7,6' (line 70) and 'đạt 7,6' (line 272): the first stated is measured."""
    r = one(gap, geo_code="106", indicator_code="doctors_per_10000", target_year=2023)
    assert r.comparator == ">" and r.target_value == pytest.approx(7.6)
    assert list(r.target_flags) == ["comparator_differs"]
    assert list(r.caveats) == ["comparator_differs"]


def test_an_estimated_baseline_is_a_caveat(gap):
    r = one(gap, geo_code="62", indicator_code="infant_mortality_rate", target_year=2025)
    assert r.baseline_is_estimate and list(r.baseline_flags) == ["estimate"]
    assert list(r.caveats) == ["estimate"]


def test_status_reason_says_why_a_row_is_not_measured(gap):
    measured = gap["status"].isin(["met", "not_met"])
    assert gap.loc[measured, "status_reason"].isna().all()
    reasons = gap.loc[~measured].set_index("status")["status_reason"]
    assert {s: reasons[s].unique().tolist() for s in reasons.index.unique()} == {
        s: [reason] for s, reason in marts.STATUS_REASONS.items()
    }


def test_one_row_per_target_statement(con, gap):
    keys = ["geo_code", "indicator_code", "target_year", "target_source_id"]
    # a compilation's rows each cite their own instrument: one statement per citation
    assert not gap.duplicated([*keys, "target_instrument", "target_url"]).any()
    assert not gap[gap["target_instrument"].isna()].duplicated(keys).any()
    n = con.execute(
        """SELECT count(*) FROM (SELECT DISTINCT geo_code, indicator_code, year, source_id,
                                        cited_instrument, cited_url
                                 FROM observation WHERE kind = 'target')"""
    ).fetchall()[0][0]
    assert len(gap) == n
    assert list(gap.columns) == marts.GAP_COLUMNS
    assert set(gap["status"]) <= set(marts.STATUSES)


def test_restated_and_conflicting_targets_on_the_seed(gap, con):
    # Tam Đường states its electronic-health-record target twice, differently: first stated wins
    r = one(gap, geo_code="106", indicator_code="electronic_health_records", target_year=2023)
    assert r.target_conflict and r.target_value == 50
    first = con.execute(
        """SELECT observation_id FROM observation
           WHERE geo_code = '106' AND indicator_code = 'electronic_health_records'
           ORDER BY line_start LIMIT 1"""
    ).fetchall()[0][0]
    assert r.target_observation_id == first
    # every target id in the view is a non-restated target observation
    ids = con.execute(
        """SELECT observation_id FROM observation
           WHERE kind = 'target' AND NOT list_contains(flags, 'restated')"""
    ).df()["observation_id"]
    assert set(gap["target_observation_id"]) <= set(ids)


def test_baselines_are_actuals_before_the_target_year(gap, con):
    measured = gap[gap["baseline_observation_id"].notna()]
    assert len(measured) > 0
    obs = con.execute("SELECT observation_id, kind, year, value FROM observation").df()
    obs = obs.set_index("observation_id")
    b = obs.loc[measured["baseline_observation_id"]]
    assert (b["kind"] == "actual").all()
    assert (b["year"].to_numpy() < measured["target_year"].to_numpy()).all()
    assert (b["value"].to_numpy() == measured["baseline_value"].to_numpy()).all()


def test_gap_frame_opens_the_warehouse_itself(seed_build, monkeypatch):
    monkeypatch.setenv("CHITIEU_WAREHOUSE", str(seed_build))
    df = frames.gap_frame()
    assert len(df) > 0 and "status" in df


def test_documented_gap_queries_run(con):
    docs = (ROOT / "docs" / "gap.md").read_text(encoding="utf-8")
    queries = re.findall(r"```sql\n(.*?)```", docs, flags=re.S)
    assert len(queries) >= 3
    for q in queries:
        assert con.execute(q).fetchall() is not None


def test_every_documented_column_exists(gap):
    docs = (ROOT / "docs" / "gap.md").read_text(encoding="utf-8")
    for col in gap.columns:
        assert f"`{col}`" in docs, col


# ---------------------------------------------------------------------- synthetic warehouses

INDICATORS = {
    "up": "higher_is_better",
    "down": "lower_is_better",
    "flat": "neutral",
}


def synthetic(rows: list[dict]) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse with the real schema, three indicators and ``rows``."""
    con = duckdb.connect()
    con.execute(SCHEMA)
    for code, direction in INDICATORS.items():
        con.execute(
            "INSERT INTO indicator (indicator_code, unit_code, direction) VALUES (?, 'percent', ?)",
            [code, direction],
        )
    for i, r in enumerate(rows):
        row = {
            "observation_id": f"o{i:03d}",
            "source_id": "doc",
            "geo_code": "g",
            "indicator_code": "up",
            "is_estimate": False,
            "comparator": "=",
            "unit_code": "percent",
            "line_start": 10 + i,
            "flags": [],
        } | r
        row["line_end"] = row["line_start"]
        cols = ", ".join(row)
        con.execute(
            f"INSERT INTO observation ({cols}) VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        )
    marts.create_views(con)
    return con


def A(year, value, **kw):
    return {"kind": "actual", "year": year, "value": value} | kw


def T(year, value, comparator="=", **kw):
    return {"kind": "target", "year": year, "value": value, "comparator": comparator} | kw


@pytest.mark.parametrize(
    ("indicator", "baseline", "comparator", "target", "status", "to_close"),
    [
        ("down", 25, "<", 25, "not_met", 0),
        ("down", 25, "<=", 25, "met", 0),
        ("down", 24.9, "<", 25, "met", 0),
        ("up", 95, ">", 95, "not_met", 0),
        ("up", 95, ">=", 95, "met", 0),
        ("up", 90, ">=", 95, "not_met", 5),
        ("up", 96.7, "=", 95, "met", 0),  # '=' on higher-is-better: at least the target
        ("up", 93.5, "=", 95, "not_met", 1.5),
        ("down", 14, "=", 15, "met", 0),
        ("down", 16, "=", 15, "not_met", 1),
        ("up", 73, "~", 74, "not_met", 1),
        ("flat", 2.1, "=", 2.1, "met", 0),  # neutral '=': equal only
        ("flat", 2.43, "=", 2.1, "not_met", 0.33),
        ("flat", 1.9, "=", 2.1, "not_met", 0.2),
        ("flat", 10, "<", 10, "not_met", 0),  # neutral: the comparator gives the sense
        ("flat", 11, "<", 10, "not_met", 1),
        ("flat", 9, "<", 10, "met", 0),
        ("flat", 9, ">", 10, "not_met", 1),
        ("up", 40, "<", 30, "not_met", 10),  # the comparator wins over the direction
    ],
)
def test_status_and_gap_to_close(indicator, baseline, comparator, target, status, to_close):
    con = synthetic(
        [
            A(2023, baseline, indicator_code=indicator),
            T(2025, target, comparator, indicator_code=indicator),
        ]
    )
    r = frames.gap_frame(con).iloc[0]
    assert r.status == status
    assert r.gap == pytest.approx(target - baseline)
    assert r.gap_to_close == pytest.approx(to_close)
    assert r.required_annual_change == pytest.approx(to_close / 2)
    if status == "met":
        assert r.required_annual_rate == 0
    else:
        assert r.required_annual_rate == pytest.approx((target / baseline) ** 0.5 - 1)


def test_baseline_is_the_latest_actual_before_the_target_year():
    con = synthetic(
        [
            A(2019, 40),
            A(2021, 45, is_estimate=True),
            A(2025, 99),  # the target year itself is not a baseline
            T(2025, 60),
            T(2022, 50),
        ]
    )
    df = frames.gap_frame(con)
    r = one(df, target_year=2025)
    assert (r.baseline_year, r.baseline_value, r.baseline_is_estimate) == (2021, 45, True)
    assert r.baseline_observation_id == "o001" and r.years_left == 4
    r = one(df, target_year=2022)
    assert (r.baseline_year, r.baseline_value) == (2021, 45)


def test_baseline_prefers_the_targets_own_document_on_ties():
    con = synthetic(
        [
            A(2023, 10, source_id="a-other"),
            A(2023, 12, source_id="b-own"),
            A(2023, 11, source_id="c-third"),
            T(2025, 20, source_id="b-own"),
            T(2025, 30, source_id="z-plan"),  # no actual of its own: first document by id
        ]
    )
    df = frames.gap_frame(con)
    assert len(df) == 2  # one row per target document
    assert one(df, target_source_id="b-own").baseline_value == 12
    r = one(df, target_source_id="z-plan")
    assert (r.baseline_value, r.baseline_source_id) == (10, "a-other")


def test_first_stated_target_restated_ignored_conflict_flagged():
    con = synthetic(
        [
            A(2023, 50),
            T(2025, 70, line_start=40, flags=["restated"]),
            T(2025, 70, line_start=30),
            T(2030, 90, line_start=20, flags=["conflict"]),
            T(2030, 80, line_start=50, flags=["conflict"]),
        ]
    )
    df = frames.gap_frame(con)
    assert len(df) == 2
    r = one(df, target_year=2025)
    assert r.target_value == 70 and not r.target_conflict
    assert r.target_observation_id == "o002"  # line 30, not the restatement at line 40
    r = one(df, target_year=2030)
    assert r.target_value == 90 and r.target_conflict and r.target_observation_id == "o003"


def test_qualitative_and_missing_baseline():
    con = synthetic(
        [
            A(2023, 0.34, indicator_code="down"),
            T(
                2025,
                None,
                None,
                indicator_code="down",
                value_reported="Loại trừ sốt rét",
                flags=["qualitative"],
            ),
            T(2025, 80),  # no actual for 'up'
        ]
    )
    df = frames.gap_frame(con)
    q = one(df, indicator_code="down")
    assert q.status == "qualitative" and q.baseline_value == pytest.approx(0.34)
    assert pd.isna(q.gap) and pd.isna(q.gap_to_close) and pd.isna(q.required_annual_rate)
    assert q.target_value_reported == "Loại trừ sốt rét"
    n = one(df, indicator_code="up")
    assert n.status == "no_baseline"
    assert pd.isna(n.years_left) and pd.isna(n.required_annual_change)


def test_required_rate_undefined_for_a_zero_baseline():
    con = synthetic([A(2023, 0), T(2025, 10)])
    r = frames.gap_frame(con).iloc[0]
    assert r.status == "not_met" and r.gap_to_close == 10
    assert pd.isna(r.required_annual_rate)


# ------------------------------------------------------------------- caveats and conditions

CONDITION_8 = "(hiện nay Bộ Y tế mới triển khai 8 loại vắc xin)"
CONDITION_12 = "với 12 loại vắc xin"


@pytest.mark.parametrize(
    ("baseline_condition", "target_condition", "status"),
    [
        (CONDITION_8, CONDITION_12, "not_comparable"),
        (None, CONDITION_12, "not_comparable"),  # only the target states what it measures
        (CONDITION_8, None, "not_comparable"),
        (CONDITION_12, "  Với 12 loại\nvắc xin ", "not_met"),  # case and white space only
        (None, None, "not_met"),
    ],
)
def test_a_pair_measured_under_different_conditions_is_not_comparable(
    baseline_condition, target_condition, status
):
    con = synthetic(
        [A(2023, 52.5, condition=baseline_condition), T(2025, 95, condition=target_condition)]
    )
    r = frames.gap_frame(con).iloc[0]
    assert r.status == status
    assert (r.baseline_condition, r.target_condition) == (baseline_condition, target_condition)
    if status == "not_comparable":
        assert r.status_reason == "conditions_differ"
        assert pd.isna(r.gap) and pd.isna(r.gap_to_close)
        assert pd.isna(r.required_annual_change) and pd.isna(r.required_annual_rate)
    else:
        assert pd.isna(r.status_reason) and r.gap_to_close == pytest.approx(42.5)


def test_not_comparable_is_never_met_however_close_the_figures():
    con = synthetic([A(2023, 99, condition="8 loại"), T(2025, 95, condition="12 loại")])
    r = frames.gap_frame(con).iloc[0]
    assert r.status == "not_comparable" and pd.isna(r.gap_to_close)


def test_a_qualitative_target_with_a_condition_stays_qualitative():
    con = synthetic(
        [A(2023, 1.0), T(2025, None, None, condition="vùng khó khăn", flags=["qualitative"])]
    )
    r = frames.gap_frame(con).iloc[0]
    assert r.status == "qualitative" and r.status_reason == "target_in_words"


def test_flags_of_both_figures_travel_and_caveats_list_those_to_read_with_care():
    con = synthetic(
        [
            A(2023, 40, is_estimate=True, flags=["unit_corrected"]),
            T(2025, 60, flags=["range", "comparator_differs"], line_start=30),
            T(2025, 60, ">", flags=["comparator_differs"], line_start=40),
            A(2023, 5, indicator_code="down", flags=["preliminary", "unit_converted"]),
            T(2025, 4, "<", indicator_code="down", flags=["correction_applied"]),
            T(2030, 70, flags=["conflict"], line_start=50),
            T(2030, 75, flags=["conflict"], line_start=60),
            T(2025, 9, indicator_code="flat"),  # no baseline: NULL baseline flags
        ]
    )
    df = frames.gap_frame(con)
    up = one(df, indicator_code="up", target_year=2025)
    assert up.comparator == "=" and up.target_observation_id == "o001"  # the first stated
    assert list(up.baseline_flags) == ["unit_corrected", "estimate"]
    assert list(up.target_flags) == ["range", "comparator_differs"]
    assert list(up.caveats) == ["comparator_differs", "estimate", "unit_corrected"]
    down = one(df, indicator_code="down")
    assert list(down.baseline_flags) == ["preliminary", "unit_converted"]
    assert list(down.caveats) == ["correction_applied", "preliminary"]
    assert down.status == "not_met"  # a caveat does not change the status
    conflict = one(df, indicator_code="up", target_year=2030)
    assert conflict.target_conflict and conflict.target_value == 70
    assert list(conflict.caveats) == ["conflict", "estimate", "unit_corrected"]
    flat = one(df, indicator_code="flat")
    assert flat.status == "no_baseline" and pd.isna(flat.baseline_flags)
    assert list(flat.target_flags) == [] and list(flat.caveats) == []


def test_the_caveat_flags_of_the_sql_are_named_in_both_languages():
    from pipeline.analysis.labels import TEXT

    sql = marts.view_sql("gap")
    listed = re.search(r"\[([^\]]*)\] AS caveat_flags", sql).group(1)
    flags = re.findall(r"'(\w+)'", listed)
    assert "unit_corrected" in flags and "comparator_differs" in flags
    for lang in ("en", "vi"):
        assert {f"caveat_{f}" for f in flags} <= set(TEXT[lang]), lang


@pytest.mark.parametrize(
    ("first", "latest", "target", "expected"),
    [
        (50, 60, 80, "on_track"),  # +4.7 %/yr for 7 years overshoots 80
        (50, 52, 80, "acceleration_needed"),
        (50, 50, 80, "stagnation_or_regression"),
        (60, 55, 80, "stagnation_or_regression"),  # going the wrong way
    ],
)
def test_un_progress_chart_ratio_and_class(first, latest, target, expected):
    con = synthetic(
        [A(2019, first), A(2021, 99, source_id="other"), A(2023, latest), T(2030, target)]
    )
    # the 2021 figure belongs to another document; the trend runs 2019 -> 2023 in any case
    r = frames.gap_frame(con).iloc[0]
    assert (r.trend_start_year, r.trend_start_value) == (2019, first)
    rate = (latest / first) ** (1 / 4) - 1
    projected = latest * (1 + rate) ** 7
    ratio = (projected - latest) / (target - latest)
    assert r.observed_annual_rate == pytest.approx(rate)
    assert r.projected_value == pytest.approx(projected)
    assert r.progress_ratio == pytest.approx(ratio)
    assert r.progress_class == expected
    assert (ratio >= ON_TRACK) == (expected == "on_track")


def test_trend_needs_two_years_and_is_not_classed_once_met():
    con = synthetic(
        [
            A(2023, 50),
            T(2025, 70),  # one actual: no trend
            A(2019, 10, indicator_code="down"),
            A(2023, 8, indicator_code="down"),
            T(2025, 9, "<", indicator_code="down"),  # already met
        ]
    )
    df = frames.gap_frame(con)
    r = one(df, indicator_code="up")
    assert pd.isna(r.observed_annual_rate) and pd.isna(r.progress_class)
    assert pd.isna(r.trend_start_year)
    m = one(df, indicator_code="down")
    assert m.status == "met" and pd.isna(m.progress_class)
    assert m.observed_annual_rate == pytest.approx((8 / 10) ** 0.25 - 1)
    assert math.isfinite(m.projected_value)


def test_lower_is_better_trend_in_the_right_direction_is_on_track():
    # tuberculosis-like: 130 -> 87.6 over 4 years, target < 50 by 2030
    con = synthetic(
        [
            A(2019, 130, indicator_code="down"),
            A(2023, 87.6, indicator_code="down"),
            T(2030, 50, "<", indicator_code="down"),
        ]
    )
    r = frames.gap_frame(con).iloc[0]
    assert r.observed_annual_rate < 0 and r.projected_value < 50
    assert r.progress_ratio > 1 and r.progress_class == "on_track"


# ------------------------------------------------------------------------- reading into pandas


@pytest.mark.parametrize(
    "table",
    ["gap", "observation", "unmapped", "source_document", "indicator", "geo", "build_info"],
)
def test_frame_is_duckdb_df_with_the_same_values_and_dtypes(con, table):
    # all-NULL, NULL-free and mixed columns of every type the schema uses (lists included)
    sql = f"SELECT * FROM {table}"
    pd.testing.assert_frame_equal(frames.frame(con, sql), con.sql(sql).df())


def test_frame_keeps_duckdb_dtypes_for_nulls_and_no_nulls():
    con = duckdb.connect()
    sql = """SELECT * FROM (VALUES (1, true, 'a', NULL::VARCHAR, 1.5, [1, 2], ['x']),
                                   (2, NULL, NULL, NULL, NULL, NULL, NULL)) t(i, b, s, n, d, l, ls)"""
    got, want = frames.frame(con, sql), con.sql(sql).df()
    pd.testing.assert_frame_equal(got, want)
    assert str(got["i"].dtype) == "int32" and str(got["b"].dtype) == "boolean"


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM gap WHERE false",  # no rows
        "SELECT DATE '2025-07-01' AS d, NULL::UTINYINT AS u, 'a'::ENUM('a', 'b') AS e",
        "SELECT 1::UTINYINT AS u UNION ALL SELECT NULL",
    ],
)
def test_frame_reads_other_results_as_duckdb_does(con, sql):
    pd.testing.assert_frame_equal(frames.frame(con, sql), con.sql(sql).df())


def test_gap_frame_reads_the_build_s_arrow_copy_in_gap_order(con):
    ordered = con.sql(f"SELECT * FROM gap ORDER BY {marts.GAP_ORDER}").df()
    assert frames.gap_query(con) == "SELECT * FROM gap"  # the view sorts
    assert published_gap(con) is not None  # the build's gap.arrow, beside its warehouse
    pd.testing.assert_frame_equal(frames.gap_frame(con), ordered)


def test_the_gap_view_returns_its_order_however_the_rows_are_stored(seed_build, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(seed_build.read_bytes())
    con = duckdb.connect(str(path))
    ordered = con.sql(f"SELECT * FROM gap ORDER BY {marts.GAP_ORDER}").fetchall()
    con.execute("CREATE OR REPLACE TABLE gap_rows AS FROM gap_rows ORDER BY random()")
    con.execute("SET preserve_insertion_order = false")
    assert con.sql("SELECT * FROM gap").fetchall() == ordered


def test_gap_frame_sorts_a_warehouse_whose_view_does_not(seed_build, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(seed_build.read_bytes())
    con = duckdb.connect(str(path))
    ordered = con.sql(f"SELECT * FROM gap ORDER BY {marts.GAP_ORDER}").df()
    assert published_gap(con) is None  # no gap.arrow beside this copy: the view is read
    # a warehouse from before the view sorted: a plain scan of its rows
    con.execute("CREATE OR REPLACE TABLE gap_rows AS FROM gap_rows ORDER BY random()")
    con.execute("CREATE OR REPLACE VIEW gap AS SELECT * FROM gap_rows")
    assert frames.gap_query(con).endswith(f"ORDER BY {marts.GAP_ORDER}")
    pd.testing.assert_frame_equal(frames.gap_frame(con), ordered)


def test_an_arrow_copy_is_not_read_for_a_warehouse_with_other_rows(seed_build, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(seed_build.read_bytes())
    shutil.copyfile(seed_build.resolve().parent / GAP_ARROW, tmp_path / GAP_ARROW)
    con = duckdb.connect(str(path))
    assert published_gap(con) is not None  # the same build's copy, the same rows
    n = con.sql("SELECT count(*) FROM gap").fetchall()[0][0]
    con.execute("DELETE FROM gap_rows WHERE rowid = 0")  # a warehouse changed since
    assert published_gap(con) is None
    pd.testing.assert_frame_equal(
        frames.gap_frame(con), con.sql(f"SELECT * FROM gap ORDER BY {marts.GAP_ORDER}").df()
    )
    assert len(frames.gap_frame(con)) == n - 1


def test_an_arrow_copy_of_other_rows_is_not_read(seed_build, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(seed_build.read_bytes())
    shutil.copyfile(seed_build.resolve().parent / GAP_ARROW, tmp_path / GAP_ARROW)
    con = duckdb.connect(str(path))
    (comment,) = con.sql(
        "SELECT comment FROM duckdb_tables() WHERE table_name = 'gap_rows'"
    ).fetchall()[0]
    assert "; rows id " in comment and published_gap(con) is not None
    # the same number of rows, but those of another build (another id)
    other = comment[:-1] + ("1" if comment[-1] != "1" else "2")
    con.execute(f"COMMENT ON TABLE gap_rows IS '{other}'")
    assert published_gap(con) is None
    con.execute(f"COMMENT ON TABLE gap_rows IS '{comment}'")
    (tmp_path / GAP_ARROW).write_bytes(b"ARROW1 but not an Arrow file")  # damaged: the view is read
    assert published_gap(con) is None and len(frames.gap_frame(con)) > 0


def test_list_columns_read_as_duckdb_reads_them_each_distinct_list_once():
    con = duckdb.connect()
    sql = """SELECT * FROM (VALUES (1, ['a', 'b'], ['x']), (2, [], ['']), (3, NULL, []),
                                   (4, ['a', 'b'], [NULL]), (5, ['a'], ['y' || chr(0) || 'z']),
                                   (6, ['a', 'b'], ['x'])) t(i, l, m)"""
    got, want = frames.frame(con, sql), con.sql(sql).df()
    pd.testing.assert_frame_equal(got, want)
    assert got["l"][0] is got["l"][3] is got["l"][5]  # converted once, shared ...
    with pytest.raises(ValueError, match="read-only"):
        got["l"][0][0] = "c"  # ... and read-only, so that no row changes another
    assert list(got["l"][5]) == ["a", "b"]


def test_the_sql_file_pasted_into_a_session_creates_the_view(seed_build: Path, tmp_path: Path):
    """gap.sql runs as is on a built warehouse (no Python interpolation) and gives the rows the
    build stored."""
    wh = tmp_path / "warehouse.duckdb"
    shutil.copy2(seed_build, wh)
    sql = (ROOT / "pipeline" / "marts" / "gap.sql").read_text(encoding="utf-8")
    assert "{" not in sql.replace("{name}", "")  # nothing left for Python to fill in
    con = duckdb.connect(str(wh))
    try:
        con.execute("DROP VIEW gap")
        con.execute(sql)
        fresh = con.sql(f"SELECT * FROM gap ORDER BY {marts.GAP_ORDER}").fetchall()
        stored = con.sql("SELECT * FROM gap_rows").fetchall()
    finally:
        con.close()
    assert fresh == stored and len(fresh) > 100


def test_a_figure_split_by_sex_or_residence_is_never_the_baseline():
    """Only totals meet targets: a male or an urban actual is not the place's actual."""
    con = synthetic(
        [
            A(2023, 40, sex="male"),
            A(2023, 45, residence="urban"),
            T(2025, 50),
        ]
    )
    r = frames.gap_frame(con).iloc[0]
    assert r.status == "no_baseline" and pd.isna(r.baseline_value)
    con = synthetic([A(2023, 40, sex="male"), A(2022, 30), T(2025, 50)])
    r = frames.gap_frame(con).iloc[0]
    assert (r.baseline_year, r.baseline_value) == (2022, 30)
