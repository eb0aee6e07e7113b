"""The `yardstick` view and the baselines `gap` takes across sources, on small synthetic
warehouses with the real schema and the real SQL: which actual is the baseline (own document,
official statistics, other sources), and whether a local target is more, as or less ambitious
than each national one."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipeline import marts
from pipeline.analysis import frames
from pipeline.quality.yardstick import ambition
from pipeline.settings import ROOT
from pipeline.warehouse.schema import SCHEMA

INDICATORS = {"up": "higher_is_better", "down": "lower_is_better", "flat": "neutral"}
PLACES = [("VN", "country", None), ("p", "province", "VN"), ("d", "district", "p")]


def warehouse(rows: list[dict]) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse: the country, a province and its district, three indicators,
    ``rows`` as observations (a province's plan unless said otherwise), the marts."""
    con = duckdb.connect()
    con.execute(SCHEMA)
    for code, level, parent in PLACES:
        con.execute(
            "INSERT INTO geo (geo_code, level, parent_code) VALUES (?, ?, ?)", [code, level, parent]
        )
    for code, direction in INDICATORS.items():
        con.execute(
            "INSERT INTO indicator (indicator_code, unit_code, direction) VALUES (?, 'percent', ?)",
            [code, direction],
        )
    for i, r in enumerate(rows):
        row = {
            "observation_id": f"o{i:03d}",
            "source_id": "plan",
            "geo_code": "p",
            "indicator_code": "up",
            "is_estimate": False,
            "comparator": "=",
            "unit_code": "percent",
            "line_start": 10 + i,
            "flags": [],
            "official_statistics": False,
        } | r
        row["line_end"] = row["line_start"]
        con.execute(
            f"INSERT INTO observation ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        )
    marts.create_views(con)
    return con


def A(year, value, **kw):
    return {"kind": "actual", "year": year, "value": value} | kw


def T(year, value, comparator="=", **kw):
    return {"kind": "target", "year": year, "value": value, "comparator": comparator} | kw


def N(year, value, comparator="=", instrument="Nghị quyết", **kw):
    """A national target from a compilation, citing its instrument."""
    cited = {"source_id": "national", "geo_code": "VN", "cited_instrument": instrument}
    return T(year, value, comparator, **(cited | {"cited_url": f"https://x.org/{instrument}"} | kw))


def yardstick(con) -> pd.DataFrame:
    return con.sql(f"SELECT * FROM yardstick ORDER BY {marts.YARDSTICK_ORDER}").df()


# --------------------------------------------------------------------- baselines in `gap`


def test_the_targets_own_document_then_official_statistics_then_other_sources():
    con = warehouse(
        [
            A(2023, 10, source_id="a-news"),
            A(2023, 11, source_id="b-gso", official_statistics=True),
            A(2023, 12),  # the plan's own
            T(2025, 20),
            T(2025, 30, source_id="z-other-plan"),
            A(2023, 13, indicator_code="down", source_id="a-news"),
            A(2023, 14, indicator_code="down", source_id="b-gso", official_statistics=True),
            T(2025, 5, indicator_code="down", source_id="z-other-plan"),
        ]
    )
    df = frames.gap_frame(con).set_index(["indicator_code", "target_source_id"])
    assert df.loc[("up", "plan"), ["baseline_value", "baseline_basis"]].tolist() == [
        12,
        "target_document",
    ]
    other = df.loc[("up", "z-other-plan")]
    assert (other.baseline_value, other.baseline_basis, other.baseline_source_id) == (
        11,
        "official_statistics",
        "b-gso",
    )
    assert df.loc[("down", "z-other-plan"), "baseline_basis"] == "official_statistics"


def test_the_latest_year_wins_over_the_preferred_source():
    con = warehouse(
        [
            A(2022, 10, source_id="gso", official_statistics=True),
            A(2023, 11, source_id="news"),
            T(2025, 20),
        ]
    )
    r = frames.gap_frame(con).iloc[0]
    assert (r.baseline_year, r.baseline_basis, r.trend_start_year) == (2023, "other_source", 2022)
    assert r.trend_start_observation_id == "o000"  # the trend spans the two sources


def test_a_final_figure_before_a_preliminary_one_and_preliminary_said():
    con = warehouse(
        [
            A(
                2023,
                69.7,
                source_id="gso",
                official_statistics=True,
                is_estimate=True,
                flags=["preliminary"],
                line_start=5,
            ),
            A(
                2023,
                69.8,
                source_id="gso",
                official_statistics=True,
                cited_instrument="yearbook",
                line_start=6,
            ),
            T(2025, 75, source_id="other"),
            A(
                2022,
                70,
                source_id="gso",
                official_statistics=True,
                is_estimate=True,
                flags=["preliminary"],
                indicator_code="flat",
            ),
            T(2025, 75, source_id="other", indicator_code="flat"),
        ]
    )
    df = frames.gap_frame(con).set_index("indicator_code")
    assert (df.loc["up", "baseline_value"], df.loc["up", "baseline_is_preliminary"]) == (
        69.8,
        False,
    )
    assert df.loc["up", "baseline_instrument"] == "yearbook"
    assert df.loc["flat", "baseline_is_preliminary"] and "preliminary" in df.loc["flat", "caveats"]


def test_a_compilations_statements_are_one_per_citation_with_their_own_baselines():
    con = warehouse(
        [
            A(
                2023,
                12.5,
                source_id="national",
                geo_code="VN",
                cited_instrument="MoH",
                cited_url="https://x.org/moh",
            ),
            N(2024, 13.5, instrument="MoH", cited_url="https://x.org/moh"),
            N(2024, 13.5, instrument="NQ103"),
        ]
    )
    df = frames.gap_frame(con).set_index("target_instrument")
    assert len(df) == 2  # one row per instrument, though one document
    assert df.loc["MoH", "baseline_basis"] == "target_document"
    assert df.loc["NQ103", "baseline_basis"] == "other_source"
    assert df.loc["NQ103", "target_url"] == "https://x.org/NQ103"


# ------------------------------------------------------------------------------ yardstick


@pytest.mark.parametrize(
    ("indicator", "local", "national", "expected"),
    [
        ("up", ("=", 11.5), ("=", 10), "more_ambitious"),
        ("up", ("=", 11.5), ("=", 15), "less_ambitious"),
        ("up", ("=", 10), ("=", 10), "as_ambitious"),
        ("up", (">=", 10), ("=", 10), "as_ambitious"),  # '=' on higher-is-better: at least
        ("up", (">", 95), ("=", 95), "more_ambitious"),  # strictly above asks a little more
        ("up", ("=", 95), (">", 95), "less_ambitious"),
        ("down", ("<", 9), ("<", 12.5), "more_ambitious"),
        ("down", ("<", 25), ("<", 12.5), "less_ambitious"),
        ("down", ("<=", 12.5), ("<", 12.5), "less_ambitious"),
        ("down", ("<", 8), ("=", 11.5), "more_ambitious"),  # '=' on lower-is-better: at most
        ("flat", ("=", 2.1), ("=", 2.1), "as_ambitious"),
        ("flat", ("=", 2.0), ("=", 2.1), "not_comparable"),  # neither more nor less
        ("flat", ("<", 2.0), ("<", 2.1), "more_ambitious"),  # the comparator gives the sense
        ("up", ("<", 30), (">", 20), "not_comparable"),  # pointing different ways
    ],
)
def test_ambition_by_comparator_and_direction(indicator, local, national, expected):
    con = warehouse(
        [
            T(2025, local[1], local[0], indicator_code=indicator),
            N(2025, national[1], national[0], indicator_code=indicator),
        ]
    )
    r = yardstick(con).iloc[0]
    assert r.ambition == expected
    assert r.falls_short == (expected == "less_ambitious")
    assert (r.ambition, r.ambition_reason if isinstance(r.ambition_reason, str) else None) == (
        ambition(r.to_dict())  # the suite's own reckoning agrees
    )
    if expected != "not_comparable":
        assert r.difference == pytest.approx(local[1] - national[1])
    else:
        assert pd.isna(r.difference) and r.ambition_reason in marts.AMBITION_REASONS


def test_every_national_target_of_the_cell_is_shown_with_its_instrument():
    con = warehouse(
        [
            T(2025, 11.5),
            N(2025, 10, instrument="Nghị quyết 20-NQ/TW"),
            N(2025, 15, instrument="Quy hoạch mạng lưới"),
            N(2030, 19, instrument="Quy hoạch mạng lưới"),  # another year: not this cell's
            T(2025, 8, geo_code="d", source_id="district-plan"),
        ]
    )
    df = yardstick(con)
    province = df[df.geo_code == "p"]
    assert province[["national_value", "national_instrument", "ambition"]].values.tolist() == [
        [10, "Nghị quyết 20-NQ/TW", "more_ambitious"],
        [15, "Quy hoạch mạng lưới", "less_ambitious"],
    ]
    assert set(province["national_targets"]) == {2} and province["falls_short_of_any"].all()
    assert set(province["national_url"]) == {
        "https://x.org/Nghị quyết 20-NQ/TW",
        "https://x.org/Quy hoạch mạng lưới",
    }
    district = df[df.geo_code == "d"]  # a district's target is compared too
    assert district["ambition"].tolist() == ["less_ambitious", "less_ambitious"]
    assert "VN" not in set(df["geo_code"])  # national targets are the yardstick, not measured


def test_the_nearest_later_year_stands_in_and_says_so():
    con = warehouse(
        [
            T(2023, 12),
            T(2031, 12),  # no national target from 2031 on: no row
            N(2024, 13.5),
            N(2030, 19),
        ]
    )
    df = yardstick(con)
    assert df[["target_year", "national_year", "national_year_basis"]].values.tolist() == [
        [2023, 2024, "nearest_later_year"]
    ]


def test_targets_in_words_or_under_other_conditions_are_not_compared():
    con = warehouse(
        [
            T(2025, None, None, flags=["qualitative"], value_reported="Duy trì"),
            N(2025, 95),
            T(2030, 95, condition="với 12 loại vắc xin"),
            N(2030, 95, condition="với 10 loại vắc xin"),
            T(2030, 20, indicator_code="down", flags=["unit_corrected"]),
            N(2030, 25, indicator_code="down", flags=["instruments_differ"]),
        ]
    )
    df = yardstick(con).set_index(["indicator_code", "target_year"])
    assert df.loc[("up", 2025), ["ambition", "ambition_reason"]].tolist() == [
        "not_comparable",
        "target_in_words",
    ]
    assert df.loc[("up", 2030), "ambition_reason"] == "conditions_differ"
    down = df.loc[("down", 2030)]
    assert down.ambition == "more_ambitious"
    assert list(down.caveats) == ["instruments_differ", "unit_corrected"]


def test_every_documented_yardstick_column_exists_and_no_other(con):
    df = con.sql("SELECT * FROM yardstick").df()
    assert list(df.columns) == marts.YARDSTICK_COLUMNS
    docs = (ROOT / "docs" / "gap.md").read_text(encoding="utf-8")
    section = docs.split("## The national yardstick")[1]
    for col in df.columns:
        assert f"`{col}`" in section, col


def test_the_sql_file_pasted_into_a_session_creates_the_view(seed_build: Path, tmp_path: Path):
    wh = tmp_path / "warehouse.duckdb"
    shutil.copy2(seed_build, wh)
    sql = (ROOT / "pipeline" / "marts" / "yardstick.sql").read_text(encoding="utf-8")
    assert not re.search(r"\{\w+\}", sql)  # nothing left for Python to fill in
    con = duckdb.connect(str(wh))
    try:
        con.execute("DROP VIEW yardstick")
        con.execute(sql)
        fresh = con.sql(f"SELECT * FROM yardstick ORDER BY {marts.YARDSTICK_ORDER}").fetchall()
        stored = con.sql("SELECT * FROM yardstick_rows").fetchall()
    finally:
        con.close()
    assert fresh == stored and len(fresh) > 50
