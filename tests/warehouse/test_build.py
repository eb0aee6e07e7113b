"""Foundation: bad input stops the build loudly, the swap is atomic, readers keep their snapshot."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipeline.errors import BuildError
from pipeline.settings import ROOT
from pipeline.warehouse import steps as build_steps
from tests.helpers import KT, quiet_build, sha

# ----------------------------------------------------------------------------- geography


def test_geography_counts_and_successors(con):
    levels = dict(
        con.execute(
            "SELECT level, count(*) FROM geo WHERE map <> 'from_2025_07' GROUP BY 1"
        ).fetchall()
    )
    assert levels == {"country": 1, "province": 63, "district": 696}
    new = con.execute(
        "SELECT count(*), count(*) FILTER (level = 'province') FROM geo WHERE map = 'from_2025_07'"
    ).fetchone()
    assert new == (34, 34)  # the map since July 2025, under codes of its own
    assert con.execute("SELECT name_vi FROM geo WHERE geo_code = '2025:52'").fetchone() == (
        "Gia Lai",
    )
    assert con.execute("SELECT count(*) FROM geo_2025").fetchone()[0] == 34
    assert (
        con.execute("SELECT successor_name_2025 FROM geo WHERE geo_code='62'").fetchone()[0]
        == "Quảng Ngãi"
    )
    assert con.execute("SELECT name_vi, parent_code FROM geo WHERE geo_code='106'").fetchone() == (
        "Tam Đường",
        "12",
    )
    assert con.execute("SELECT name_vi FROM geo_2025 WHERE code='52'").fetchone()[0] == "Gia Lai"


def test_cli_sql_shows_provinces_and_districts():
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline",
            "sql",
            "select level, count(*) n from geo where map <> 'from_2025_07' group by 1 order by 1",
            "--csv",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "province,63" in out and "district,696" in out


def test_schema_matches_the_contract(con):
    contract = {
        "geo": "geo_code name_vi name_en level parent_code region_vi region_en successor_code_2025 successor_name_2025",
        "geo_2025": "code name_vi name_en kind",
        "unit": "unit_code symbol name_vi name_en per",
        "indicator": "indicator_code name_vi name_en domain unit_code direction definition sdg_code",
        "source_document": "source_id geo_code title issuer issued_on doc_number url file_name sha256 n_lines",
        "observation": "observation_id source_id geo_code indicator_code year kind is_estimate comparator "
        "value unit_code value_reported unit_reported label_reported line_start line_end "
        "quote condition flags flag_detail",
        "unmapped": "source_id line_start line_end text reason",
        "build_info": "built_at git_commit package_version n_sources n_observations",
    }
    for table, cols in contract.items():
        have = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
        assert have[: len(cols.split())] == cols.split(), table
    per = dict(con.execute("SELECT unit_code, per FROM unit").fetchall())
    assert per["percent"] == 100 and per["per_1000"] == 1000 and per["per_100000"] == 100000
    assert per["years"] is None and per["count"] is None
    assert con.execute("SELECT count(*) FROM indicator").fetchone()[0] >= 55


def test_documented_example_queries_run(con):
    docs = (ROOT / "docs" / "warehouse.md").read_text(encoding="utf-8")
    queries = re.findall(r"```sql\n(.*?)```", docs, flags=re.S)
    assert len(queries) >= 5
    for q in queries:
        con.execute(q).fetchall()


def test_parquet_per_table(seed_build: Path):
    for table in ("geo", "observation", "indicator", "unit", "source_document", "unmapped"):
        path = seed_build.parent / f"{table}.parquet"
        n = duckdb.connect().execute(f"SELECT count(*) FROM '{path}'").fetchone()[0]
        m = (
            duckdb.connect(str(seed_build), read_only=True)
            .execute(f"SELECT count(*) FROM {table}")
            .fetchone()[0]
        )
        assert n == m


# --------------------------------------------------------------------------------- atomicity


def test_failure_mid_build_leaves_the_old_warehouse_byte_identical(good, monkeypatch):
    raw, out, cache, wh, before = good

    def fails(_staged):
        raise BuildError("simulated failure after loading")

    monkeypatch.setattr(build_steps, "record", fails)
    with pytest.raises(BuildError):
        quiet_build(raw, out, cache, validate=False)
    assert sha(wh) == before
    assert not list(out.glob(".warehouse-*")) and not list(out.glob(".parquet-*"))
    duckdb.connect(str(wh), read_only=True).execute("SELECT count(*) FROM observation").fetchone()


def test_rebuild_while_a_reader_holds_the_old_file(good):
    raw, out, cache, wh, _ = good
    reader = duckdb.connect(str(wh), read_only=True)
    n_before = reader.execute("SELECT count(*) FROM observation").fetchone()[0]
    # change the corpus: drop one document, so the new warehouse differs
    (raw / f"{KT}.txt").unlink()
    (raw / f"{KT}.yaml").unlink()
    (raw / f"{KT}.corrections.yaml").unlink()
    quiet_build(raw, out, cache, validate=False)
    assert reader.execute("SELECT count(*) FROM observation").fetchone()[0] == n_before
    reader.close()
    fresh = duckdb.connect(str(wh), read_only=True)
    assert fresh.execute("SELECT count(*) FROM observation").fetchone()[0] < n_before


def test_cli_build_failure_exit_code_and_message(tmp_path: Path):
    """The real entry point: one clear message, non-zero exit (on a scratch copy of the repo)."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "pipeline", repo / "pipeline")
    shutil.copytree(ROOT / "data" / "reference", repo / "data" / "reference")
    shutil.copytree(ROOT / "data" / "raw", repo / "data" / "raw")
    (repo / "data" / "raw" / "orphan.yaml").write_text("geo: Lào Cai\ntitle: x\n", encoding="utf-8")
    r = subprocess.run(
        [sys.executable, "-m", "pipeline", "build", "--no-validate"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2
    assert "orphan.yaml: sidecar without a document" in r.stderr
    assert "previous warehouse is unchanged" in r.stderr


# ------------------------------------------------------------------------------- file drop


def test_a_new_province_is_a_file_drop(good):
    raw, out, cache, wh, _ = good
    (raw / "lao-cai-2025-health-plan.txt").write_text(
        "KẾ HOẠCH\n\nII. MỤC TIÊU\n\n1. Đến năm 2025\n\n"
        "- Tỷ lệ tham gia bảo hiểm y tế đạt trên 95% dân số.\n"
        "- Đạt 30 giường bệnh, 9 bác sĩ trên 10.000 dân.\n",
        encoding="utf-8",
    )
    (raw / "lao-cai-2025-health-plan.yaml").write_text(
        "geo: lao cai\ntitle: Kế hoạch y tế tỉnh Lào Cai\n", encoding="utf-8"
    )
    quiet_build(raw, out, cache, validate=False)
    con = duckdb.connect(str(wh), read_only=True)
    rows = con.execute(
        "SELECT indicator_code, year, comparator, value FROM observation "
        "WHERE geo_code='10' ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("doctors_per_10000", 2025, "=", 9.0),
        ("health_insurance_coverage", 2025, ">", 95.0),
        ("hospital_beds_per_10000", 2025, "=", 30.0),
    ]


# ------------------------------------------------------------------------------------- CLI


def test_cli_sources_and_explain(seed_build: Path, monkeypatch):
    env = {"CHITIEU_WAREHOUSE": str(seed_build)}
    import os

    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline",
            "sql",
            "select observation_id from observation where indicator_code='doctors_per_10000' "
            "and geo_code='62' and year=2025",
            "--csv",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
    )
    oid = r.stdout.split()[-1]
    r = subprocess.run(
        [sys.executable, "-m", "pipeline", "explain", oid],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
    )
    assert "Doctors per 10,000 population" in r.stdout and "Số bác sĩ trên 10.000 dân" in r.stdout
    assert "> " in r.stdout  # the source line is marked
    r = subprocess.run(
        [sys.executable, "-m", "pipeline", "sources", "--csv"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
    )
    assert f"{KT},62,Kon Tum,66," in r.stdout
